"""Inspection is safe: it never unpickles, imports, changes a file or prints terminal escapes.

``show``/``diff``/``traces``/``trace`` read files that may come from anywhere (a pull request, a
bug report). Nothing in those files may run code, alter the file or drive the terminal.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import dill
import pytest

import pytest_clearstone
from pytest_clearstone.cli import main
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import TraceStoreError
from pytest_clearstone.observability import SCHEMA_VERSION, Span, TracerProvider, TraceStore

SPRUNG: list[str] = []


def _spring(tag: str) -> str:
    SPRUNG.append(tag)
    return tag


class Trap:
    """Unpickling it leaves a mark in SPRUNG."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return _spring, ("unpickled",)


def _pickle_tree(value: object) -> dict[str, str]:
    data = base64.b64encode(dill.dumps(value, protocol=4)).decode()
    return {"__cs__": "pickle", "type": f"{__name__}.Trap", "v": data}


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _span(trace_id: str, span_id: str, parent: str | None, name: str, **kw: object) -> Span:
    start = 1_700_000_000_000_000_000 + len(span_id) * 1_000_000
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        start_time_ns=start,
        end_time_ns=start + 5_000_000,
        status="OK",
        **kw,
    )  # type: ignore[arg-type]


def _store(path: Path, *spans: Span) -> Path:
    store = TraceStore(path)
    store.write_spans(spans or [_span("t1", "r1", None, "job")])
    store.close()
    return path


# -- 1. trace DB never unpickles ---------------------------------------------------------------
@pytest.fixture
def pickled_db(tmp_path: Path) -> Path:
    """A store whose span attributes hold a pickle (an old or hostile writer put it there)."""
    path = _store(tmp_path / "traces.db")
    conn = sqlite3.connect(path)
    attrs = json.dumps({"payload": _pickle_tree(Trap()), "n": 1})
    conn.execute("UPDATE spans SET attributes_json = ?", (attrs,))
    conn.commit()
    conn.close()
    return path


def test_trace_never_unpickles_span_attributes(capsys, pickled_db):
    SPRUNG.clear()
    code, out, err = run(capsys, "trace", pickled_db, "t1", "-v")
    assert (code, err) == (0, "")
    assert SPRUNG == []
    # the store replaces a pickle by a placeholder naming its type before anything decodes it
    assert f"payload: <{__name__}.Trap: a pickle, not unpickled" in out
    assert "n: 1" in out
    code, out, _ = run(capsys, "traces", pickled_db)
    assert code == 0 and SPRUNG == []

    # the store never holds pickles: one found there is never run, even with --allow-pickle
    code, out, _ = run(capsys, "trace", pickled_db, "t1", "-v", "--allow-pickle")
    assert code == 0 and SPRUNG == []
    assert f"payload: <{__name__}.Trap: a pickle, not unpickled" in out


def test_trace_never_unpickles_a_pickle_tag_spelt_with_an_escape(capsys, pickled_db):
    # ("\\u0070ickle" is JSON's "pickle" too: a hostile writer's spelling is found as well)
    conn = sqlite3.connect(pickled_db)
    (text,) = conn.execute("SELECT attributes_json FROM spans").fetchone()
    escaped = text.replace('"pickle"', '"\\u0070ickle"')
    assert escaped != text
    conn.execute("UPDATE spans SET attributes_json = ?", (escaped,))
    conn.commit()
    conn.close()
    SPRUNG.clear()
    code, out, _ = run(capsys, "trace", pickled_db, "t1", "-v", "--allow-pickle")
    assert code == 0 and SPRUNG == []
    assert f"payload: <{__name__}.Trap: a pickle, not unpickled" in out


def test_trace_s_help_says_allow_pickle_decodes_nothing_there(capsys):
    code, out, _ = run(capsys, "trace", "--help")
    assert code == 0
    told = " ".join(out.split())
    assert "it decodes nothing here: a trace store holds no pickles" in told
    assert "never unpickled" in told
    assert "unpickling runs their code" not in told  # show's and diff's help, not this one's


# -- 2. inspection never changes a file --------------------------------------------------------
def _fingerprint(path: Path) -> tuple[bytes, int, str, list[str]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master"))
    conn.close()
    return path.read_bytes(), path.stat().st_mtime_ns, mode, tables


@pytest.fixture
def foreign_db(tmp_path: Path) -> Path:
    """Another program's SQLite file (rollback journal, its own tables)."""
    path = tmp_path / "app.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return path


@pytest.fixture
def newer_db(tmp_path: Path) -> Path:
    """A store written by a future pytest-clearstone (schema version + 1, rollback journal)."""
    path = tmp_path / "future.db"
    _store(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return path


@pytest.mark.parametrize("command", [["traces"], ["trace"], ["trace", "{db}", "t1"]])
def test_inspecting_a_foreign_sqlite_file_refuses_it_untouched(capsys, foreign_db, command):
    before = _fingerprint(foreign_db)
    argv = [c.format(db=foreign_db) for c in command]
    if len(argv) == 1:
        argv.append(str(foreign_db))
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert str(foreign_db) in err and "not a pytest-clearstone trace store" in err
    assert "delete" not in err.lower()
    assert _fingerprint(foreign_db) == before
    assert before[2] == "delete" and before[3] == ["notes"]


@pytest.mark.parametrize("command", ["traces", "trace"])
def test_inspecting_a_newer_store_refuses_it_untouched(capsys, newer_db, command):
    before = _fingerprint(newer_db)
    code, out, err = run(capsys, command, newer_db)
    assert code == 2 and out == ""
    assert f"schema version {SCHEMA_VERSION + 1}" in err and "upgrade pytest-clearstone" in err
    assert "delete" not in err.lower()
    assert _fingerprint(newer_db) == before


def test_inspecting_a_store_changes_nothing(capsys, tmp_path):
    path = _store(tmp_path / "traces.db")
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = _fingerprint(path)
    for argv in (["traces", path], ["trace", path], ["trace", path, "t1", "-v"]):
        code, _, err = run(capsys, *argv)
        assert (code, err) == (0, "")
    assert _fingerprint(path) == before


def test_not_a_database_is_refused_without_advice_to_delete_it(capsys, tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database, just text" * 40)
    code, _, err = run(capsys, "traces", path)
    assert code == 2 and str(path) in err and "delete" not in err.lower()
    assert path.read_bytes() == b"this is not a database, just text" * 40


_READ_ONLY_SCRIPT = """
import os, sys
from pytest_clearstone.cli import main
main(["traces", sys.argv[2]])  # load every module while the files are still readable
if os.geteuid() == 0:  # root ignores file modes: drop to nobody
    os.setgid(65534)
    os.setuid(65534)
sys.exit(main(["traces", sys.argv[1]]))
"""


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_read_only_store_can_be_inspected(journal):
    directory = Path(tempfile.mkdtemp(prefix="clearstone-ro-"))  # reachable for nobody
    try:
        path = _store(directory / "traces.db")
        warm = _store(directory / "warm.db")
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA journal_mode={journal}")
        conn.close()
        for p in (path, warm):
            p.chmod(0o444)
        directory.chmod(0o555)
        before = _fingerprint(path)
        env = {**os.environ, "PYTHONPATH": str(Path(pytest_clearstone.__file__).parent.parent)}
        result = subprocess.run(
            [sys.executable, "-c", _READ_ONLY_SCRIPT, str(path), str(warm)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=directory,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1].split()[:2] == ["t1", "job"]
        assert _fingerprint(path) == before
    finally:
        directory.chmod(0o755)
        for p in directory.iterdir():
            p.unlink()
        directory.rmdir()


_READ_ONLY_PRUNE_SCRIPT = """
import os, sys
from pytest_clearstone.cli import main
main(["prune", "--db", sys.argv[2], "--older-than", "0"])  # load every module first
if os.geteuid() == 0:  # root ignores file modes: drop to nobody
    os.setgid(65534)
    os.setuid(65534)
sys.exit(main(["prune", "--db", sys.argv[1], "--older-than", "0"]))
"""


@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_pruning_a_store_this_user_cannot_write_names_the_file_and_a_fix_that_works(read_only):
    # Expected: prune says what it cannot write and that the file was left as it is. It said
    # "attempt to write a readonly database. Point the trace store elsewhere (another
    # db_path), or move the file away": neither prunes the file asked for, and db_path is
    # no option of the command.
    directory = Path(tempfile.mkdtemp(prefix="clearstone-ro-"))  # reachable for nobody
    try:
        path = _store(directory / "traces.db")
        warm = _store(directory / "warm.db")
        for p in (path, warm):
            p.chmod(0o444 if read_only == "file" else 0o666)
        directory.chmod(0o555 if read_only == "directory" else 0o777)
        before = _fingerprint(path)
        for journal in [*directory.glob("*-wal"), *directory.glob("*-shm")]:
            journal.unlink()  # (left by the read-only look: a writer makes its own)
        env = {**os.environ, "PYTHONPATH": str(Path(pytest_clearstone.__file__).parent.parent)}
        result = subprocess.run(
            [sys.executable, "-c", _READ_ONLY_PRUNE_SCRIPT, str(path), str(warm)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=directory,
        )
        assert result.returncode == 2, result.stdout
        error = result.stderr.strip()
        what = "the file" if read_only == "file" else "its directory"
        assert error.startswith(
            f"pytest-clearstone: error: cannot prune the trace store {str(path)!r}: "
            f"{what} cannot be written (Permission denied)"
        ), error
        assert "nothing was deleted" in error
        assert "Run prune as a user who may write the file and its directory" in error
        assert "db_path" not in error and "move the file away" not in error
        assert _fingerprint(path) == before
    finally:
        directory.chmod(0o755)
        for p in directory.iterdir():
            p.unlink()
        directory.rmdir()


def test_a_record_run_refuses_a_foreign_sqlite_file_untouched(foreign_db):
    before = _fingerprint(foreign_db)
    store = TraceStore(foreign_db)  # what a record run writes its spans with
    with pytest.raises(TraceStoreError) as info:
        store.write_spans([_span("t1", "r1", None, "job")])
    with pytest.raises(TraceStoreError):
        store.list_traces()
    message = str(info.value)
    assert str(foreign_db) in message and "not a pytest-clearstone trace store" in message
    assert "notes" in message  # what it holds
    assert _fingerprint(foreign_db) == before


def test_a_writing_store_refuses_a_newer_schema_before_switching_to_wal(newer_db):
    before = _fingerprint(newer_db)
    with pytest.raises(TraceStoreError, match=r"schema version \d+.*upgrade"):
        TraceStore(newer_db).write_spans([_span("t9", "x", None, "new")])
    assert _fingerprint(newer_db) == before


# -- 3. show never imports modules a golden names ----------------------------------------------
EVIL = """
from pathlib import Path
Path("IMPORTED").write_text("evilmod ran")
import enum, dataclasses
class Color(enum.Enum):
    RED = 1
@dataclasses.dataclass
class Box:
    item: str
"""


def _golden(tmp_path: Path) -> Path:
    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("run") as span:
        pass
    trace = provider.trace_store.get_trace(span.trace_id)
    manager = CheckpointManager(tmp_path / "goldens")
    path = manager.save_checkpoint(
        manager.create_checkpoint(SimpleNamespace(), trace, span.span_id), "evil.ckpt"
    )
    doc = json.loads(path.read_text())
    doc["agent"]["state"] = {
        "color": {"__cs__": "enum", "cls": "evilmod:Color", "v": 1},
        "box": {"__cs__": "dataclass", "cls": "evilmod:Box", "v": {"item": "x"}},
    }
    doc.pop("tag_index", None)
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("command", ["show", "show --json", "diff", "show --calls"])
def test_show_never_imports_a_module_the_golden_names(tmp_path, command):
    path = _golden(tmp_path)
    (tmp_path / "evilmod.py").write_text(EVIL)
    env = {**os.environ, "PYTHONPATH": str(Path(pytest_clearstone.__file__).parent.parent)}
    argv = [*command.split(), str(path)] + ([str(path)] if command == "diff" else [])
    result = subprocess.run(
        [sys.executable, "-m", "pytest_clearstone", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "IMPORTED").exists()
    if command == "show":
        assert "  color  Color  Color(value=1)" in result.stdout.splitlines()


# -- 4. control characters are printed escaped -------------------------------------------------
ESC = "\x1b]0;pwned\x07\x1b[2J"


def _hostile_golden(tmp_path: Path) -> Path:
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("t")
    with (
        tracer.span(f"tests/test_x.py::test_{ESC}") as root,
        pytest.raises(ValueError),
        tracer.span(f"tool{ESC}", span_type=f"t{ESC}"),
    ):
        raise ValueError(f"bad{ESC}")
    trace = provider.trace_store.get_trace(root.trace_id)
    manager = CheckpointManager(tmp_path)
    return manager.save_checkpoint(
        manager.create_checkpoint(
            SimpleNamespace(**{f"k{ESC}": f"v{ESC}"}),
            trace,
            root.span_id,
            metadata={f"m{ESC}": ESC},
        ),
        "hostile.ckpt",
    )


def _hostile_db(tmp_path: Path) -> Path:
    return _store(
        tmp_path / "hostile.db",
        _span(f"t{ESC}", "r1", None, f"root{ESC}"),
        _span(
            f"t{ESC}", "c1x", "r1", f"child{ESC}", span_type=f"llm{ESC}", status_message=f"E{ESC}"
        ),
    )


@pytest.mark.parametrize(
    "command", ["show", "show --calls", "show --canonical", "traces", "trace", "trace -v", "diff"]
)
def test_control_characters_from_files_are_printed_escaped(capsys, tmp_path, command):
    golden, db = _hostile_golden(tmp_path), _hostile_db(tmp_path)
    other = tmp_path / "other.ckpt"
    other.write_text(golden.read_text().replace("bad", "worse"))
    name, *flags = command.split()
    target = {"show": [golden], "traces": [db], "trace": [db], "diff": [golden, other]}[name]
    code, out, err = run(capsys, name, *target, *flags)
    assert code in (0, 1), err
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out


def test_json_output_escapes_control_characters_too(capsys, tmp_path):
    code, out, _ = run(capsys, "show", _hostile_golden(tmp_path), "--json")
    assert code == 0 and "\x1b" not in out
    assert any(ESC in s["name"] for s in json.loads(out)["spans"])


def test_json_output_escapes_the_delete_character_and_c1_codes_only(capsys, tmp_path):
    """DEL (which JSON leaves as it is) and a C1 code are written as \\u escapes; a letter
    beyond ASCII is written as itself."""
    golden = _golden(tmp_path)
    doc = json.loads(golden.read_text())
    doc["metadata"] = {"note": "a\x7fb\x9bc \u00e9t\u00e9"}
    golden.write_text(json.dumps(doc))
    code, out, err = run(capsys, "show", golden, "--json")
    assert code == 0, err
    assert "\x7f" not in out and "\x9b" not in out
    assert '"note": "a\\u007fb\\u009bc \u00e9t\u00e9"' in out
    assert json.loads(out)["metadata"] == {"note": "a\x7fb\x9bc \u00e9t\u00e9"}


def test_show_says_what_the_file_holds_not_what_its_pickle_field_claims(capsys, tmp_path):
    path = _golden(tmp_path)
    doc = json.loads(path.read_text())
    doc["agent"]["state"] = {"payload": _pickle_tree(Trap())}
    doc["contains_pickle"] = False  # a hostile file understates what it holds
    path.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "show", path)
    assert code == 0
    assert "pickle     yes (shown as placeholders" in out
    assert "unpickled" not in SPRUNG


def test_a_file_name_with_terminal_codes_is_printed_escaped(capsys, tmp_path):
    # a name in a hostile repository may hold SGR codes too: "conceal" (8) would hide what
    # follows it in the output. Before the fix every SGR code passed, as the CLI's own colours do
    golden = _golden(tmp_path)
    hostile = golden.with_name("x\x1b[8m\x1b[1;31m.ckpt")
    golden.rename(hostile)
    code, out, err = run(capsys, "show", hostile)
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b[8m" in out


# a file name that is not valid UTF-8, as os.listdir or os.fsdecode gives it (surrogateescape):
# a tool listing a directory records such a string
UNDECODABLE = os.fsdecode(b"report-\xff.txt")


@pytest.mark.parametrize(
    "command", ["show", "show --calls", "show --canonical", "show --json", "diff"]
)
def test_a_lone_surrogate_from_a_file_is_printed_escaped_not_a_crash(tmp_path, command):
    # before the fix `show` died with UnicodeEncodeError ("surrogates not allowed") writing
    # the string to a UTF-8 stdout
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("t")
    with tracer.span("run") as root, tracer.span("app.list_files", span_type="tool") as call:
        call.set_input({"path": "."})
        call.set_output([UNDECODABLE])
    trace = provider.trace_store.get_trace(root.trace_id)
    manager = CheckpointManager(tmp_path)
    golden = manager.save_checkpoint(
        manager.create_checkpoint(SimpleNamespace(files=[UNDECODABLE]), trace, root.span_id),
        "files.ckpt",
    )
    name, *flags = command.split()
    targets = [golden, golden] if name == "diff" else [golden]
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(pytest_clearstone.__file__).parent.parent),
        "PYTHONIOENCODING": "utf-8",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest_clearstone", name, *map(str, targets), *flags],
        capture_output=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = result.stdout.decode("utf-8")  # (valid UTF-8: strict decoding)
    assert name == "diff" or "udcff" in out
