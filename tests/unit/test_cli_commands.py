"""The command line's conveniences: help, pipes, the default store, prune, --calls, --canonical,
diff against git HEAD, colour."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pytest_clearstone
from pytest_clearstone.cli import find_rootdir, main
from pytest_clearstone.observability import Span, TraceStore

from .test_cli import _record

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "support_agent" / "goldens"
PYTHONPATH = str(Path(pytest_clearstone.__file__).parent.parent)


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _span(trace_id: str, name: str, start_s: float, parent: str | None = None) -> Span:
    start = int(start_s * 1e9)
    return Span(
        trace_id=trace_id,
        span_id=f"{trace_id}-{name}",
        parent_span_id=parent,
        name=name,
        start_time_ns=start,
        end_time_ns=start + 1_000_000,
        status="OK",
    )


# -- 5. no arguments, broken pipes -------------------------------------------------------------
def test_no_arguments_prints_the_help(capsys):
    code, out, err = run(capsys)
    assert (code, err) == (0, "")
    assert out.startswith("usage: pytest-clearstone") and "prune" in out


def _into_closed_pipe(*argv: object, buffered: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the CLI with its stdout a pipe nobody reads (``| head`` that has exited); buffered:
    as Python writes a pipe without PYTHONUNBUFFERED (the output held until the last flush)."""
    read, write = os.pipe()
    os.close(read)
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    try:
        return subprocess.run(
            [sys.executable, "-m", "pytest_clearstone", *map(str, argv)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            env=env,
        )
    finally:
        os.close(write)


def test_a_closed_pipe_is_silent_and_keeps_the_exit_status(tmp_path):
    a = _record(tmp_path / "a", ["x"])
    b = _record(tmp_path / "b", ["y"])
    pa, pb = a[0].save_checkpoint(a[1]), b[0].save_checkpoint(b[1])
    result = _into_closed_pipe("diff", pa, pb)
    assert (result.returncode, result.stderr) == (1, "")
    result = _into_closed_pipe("show", pa)
    assert (result.returncode, result.stderr) == (0, "")
    result = _into_closed_pipe("--help")
    assert (result.returncode, result.stderr) == (0, "")


def test_a_closed_pipe_is_silent_when_the_short_output_waits_in_pythons_buffer(tmp_path):
    """Without PYTHONUNBUFFERED nothing reaches the pipe before the last flush: that flush
    meets the closed pipe, and still no error is printed and the exit status stays."""
    a = _record(tmp_path / "a", ["x"])
    pa = a[0].save_checkpoint(a[1])
    result = _into_closed_pipe("diff", pa, pa, buffered=True)
    assert (result.returncode, result.stderr) == (0, "")
    result = _into_closed_pipe("show", pa, buffered=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_run_of_the_command_line_leaves_the_option_deltas_name_as_pytests(capsys, tmp_path):
    """The command line's shortened deltas name its own -v; a test that runs it (or any code in
    the same process after it) names pytest's -vv again, also after a bad input."""
    from pytest_clearstone.diff import show_all

    assert run(capsys, "show", EXAMPLE / "billing.ckpt")[0] == 0
    assert show_all() == "-vv"
    assert run(capsys, "show", tmp_path / "missing.ckpt")[0] == 2
    assert show_all() == "-vv"


# -- 6. the default trace store ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", ""),
        ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.pytest.ini_options]\naddopts = '-q'\n"),
        ("tox.ini", "[tox]\n\n[pytest]\naddopts = -q\n"),
        ("setup.cfg", "[metadata]\nname = x\n\n[tool:pytest]\naddopts = -q\n"),
    ],
)
def test_find_rootdir_walks_up_to_the_pytest_configuration(tmp_path, name, text):
    project = tmp_path / "project"
    (project / "tests" / "deep").mkdir(parents=True)
    (project / name).write_text(text)
    (project / "tests" / "tox.ini").write_text("[tox]\n")  # no [pytest]: not a config file
    (project / "tests" / "setup.cfg").write_text("[metadata]\n")
    assert find_rootdir(project / "tests" / "deep") == project


def test_find_rootdir_without_configuration(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_rootdir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_rootdir(tmp_path / "a" / "b") == tmp_path / "a"  # as pytest: the pyproject
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    assert find_rootdir(tmp_path / "a" / "b") == tmp_path  # a pytest.ini above wins


@pytest.mark.parametrize("name", ["pytest.toml", ".pytest.toml", ".pytest.ini"])
def test_find_rootdir_reads_pytest_9s_configuration_files(tmp_path, name):
    """pytest 9's own files (and the dot-named ones) are configuration files: the nearest wins
    over a pytest.ini further up."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / name).write_text("[pytest]\n")
    assert find_rootdir(project / "tests") == project


def test_find_rootdir_takes_the_nearest_pyproject_and_a_setup_py_above(tmp_path):
    (tmp_path / "outer" / "inner" / "tests").mkdir(parents=True)
    (tmp_path / "outer" / "pyproject.toml").write_text("[project]\nname = 'outer'\n")
    (tmp_path / "outer" / "inner" / "pyproject.toml").write_text("[project]\nname = 'in'\n")
    assert find_rootdir(tmp_path / "outer" / "inner" / "tests") == tmp_path / "outer" / "inner"
    (tmp_path / "legacy" / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "legacy" / "setup.py").write_text("")
    assert find_rootdir(tmp_path / "legacy" / "src" / "pkg") == tmp_path / "legacy"


def test_traces_and_trace_without_db_use_the_default_store(capsys, tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    store = TraceStore(project / ".clearstone" / "traces.db")
    store.write_spans([_span("t1", "root", 1_700_000_000)])
    store.close()
    monkeypatch.chdir(project / "tests")
    code, out, err = run(capsys, "traces")
    assert (code, err) == (0, "") and out.splitlines()[1].split()[:2] == ["t1", "root"]
    code, out, _ = run(capsys, "trace")
    assert code == 0 and out.startswith("trace t1  (1 spans")
    code, out, _ = run(capsys, "trace", "t1")  # an id alone: the default store
    assert code == 0 and out.startswith("trace t1")


def test_a_missing_default_store_names_its_path(capsys, tmp_path, monkeypatch):
    (tmp_path / "pytest.ini").write_text("")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "traces")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert str(tmp_path / ".clearstone" / "traces.db") in err


def test_a_default_store_that_is_a_directory_is_told_so(capsys, tmp_path, monkeypatch):
    # Expected: "is a directory"; it said the store "does not exist"
    (tmp_path / "pytest.ini").write_text("")
    (tmp_path / ".clearstone" / "traces.db").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "traces")
    assert (code, out, err.count("\n")) == (2, "", 1)
    store = tmp_path / ".clearstone" / "traces.db"
    assert f"the default one, {store}, is a directory, not a trace store; give its path" in err


# -- 7. full node ids ---------------------------------------------------------------------------
def test_traces_shows_root_names_in_full(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    node_id = "tests/integration/test_checkout.py::TestCheckout::test_refund[" + "x" * 80 + "]"
    store = TraceStore(tmp_path / "t.db")
    store.write_spans([_span("t1", node_id, 1_700_000_000), _span("t2", "short", 1_700_000_001)])
    store.close()
    code, out, _ = run(capsys, "traces", tmp_path / "t.db")
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 120 for line in lines)
    assert lines[1].split()[:2] == ["t2", "short"]
    wrapped = "".join(line.split()[1] for line in lines[2:3]) + "".join(
        line.strip() for line in lines[3:]
    )
    assert wrapped == node_id


def test_traces_lists_a_trace_whose_root_span_has_an_empty_name(capsys, tmp_path):
    store = TraceStore(tmp_path / "t.db")
    store.write_spans([_span("t1", "", 1_700_000_000)])
    store.close()
    code, out, err = run(capsys, "traces", tmp_path / "t.db")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2 and lines[1].split()[:2] == ["t1", "2023-11-14T22:13:20.000+00:00"]


def test_traces_shows_a_dash_for_a_trace_without_a_root_span(capsys, tmp_path):
    store = TraceStore(tmp_path / "t.db")
    store.write_spans([_span("t1", "child", 1_700_000_000, parent="t1-gone")])
    store.close()
    code, out, err = run(capsys, "traces", tmp_path / "t.db")
    assert (code, err) == (0, "")
    assert out.splitlines()[1].split()[:3] == ["t1", "-", "2023-11-14T22:13:20.000+00:00"]


# -- 8. prune -------------------------------------------------------------------------------------
def _aged(path: Path, days: float) -> Path:
    moment = time.time() - days * 86400
    os.utime(path, (moment, moment))
    return path


def test_prune_keeps_a_checkpoint_just_younger_than_the_days_given(capsys, tmp_path):
    directory = tmp_path / "ckpts"
    directory.mkdir()
    manager, checkpoint = _record(tmp_path, ["a"])
    young = _aged(manager.save_checkpoint(checkpoint, directory / "young.ckpt"), 0.99)
    old = _aged(manager.save_checkpoint(checkpoint, directory / "old.ckpt"), 1.01)
    code, out, _ = run(capsys, "prune", directory, "--older-than", "1")
    assert code == 0
    assert young.exists() and not old.exists()
    assert out.splitlines()[-1] == (
        f"deleted 1 of 2 checkpoint file(s) in {directory} (the application checkpoints older "
        "than 1 day(s)); kept 1 not older than that"
    )


def test_prune_never_deletes_a_golden_of_the_plugin(capsys, tmp_path):
    directory = tmp_path / "ckpts"
    directory.mkdir()
    golden = _aged(Path(shutil.copy(EXAMPLE / "billing.ckpt", directory / "billing.ckpt")), 400)
    manager, checkpoint = _record(tmp_path, ["a"])
    app = _aged(manager.save_checkpoint(checkpoint, directory / "app.ckpt"), 400)
    conflict = directory / "merge.ckpt"  # a golden with conflict markers: cannot tell, kept
    conflict.write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> branch\n")
    _aged(conflict, 400)
    code, out, _ = run(capsys, "prune", directory, "--older-than", "30")
    assert code == 0
    assert golden.exists() and conflict.exists() and not app.exists()
    # each file kept is named with its age and why: not "kept 2 golden or unreadable file(s)",
    # which said neither that they are older than the days given nor why each stays
    assert (
        f"kept {golden}  (400.0 days old, but a golden of the pytest plugin: prune never "
        "deletes one; pytest --clearstone-prune-unused deletes the goldens no test uses)"
    ) in out.splitlines()
    assert (
        f"kept {conflict}  (400.0 days old, but not a readable checkpoint: prune deletes only "
        "application checkpoints it can read)"
    ) in out.splitlines()
    assert out.splitlines()[-1] == (
        f"deleted 1 of 3 checkpoint file(s) in {directory} (the application checkpoints older "
        "than 30 day(s)); kept 2 older than that: 1 golden(s) of the pytest plugin, 1 "
        "unreadable"
    )


def test_prune_says_the_files_it_kept_are_not_older_than_the_days_given(capsys, tmp_path):
    directory = tmp_path / "ckpts"
    directory.mkdir()
    manager, checkpoint = _record(tmp_path, ["a"])
    _aged(manager.save_checkpoint(checkpoint, directory / "young.ckpt"), 2)
    _aged(manager.save_checkpoint(checkpoint, directory / "old.ckpt"), 40)
    _aged(Path(shutil.copy(EXAMPLE / "billing.ckpt", directory / "billing.ckpt")), 3)
    code, out, _ = run(capsys, "prune", directory, "--older-than", "30")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"deleted 1 of 3 checkpoint file(s) in {directory} (the application checkpoints older "
        "than 30 day(s)); kept 2 not older than that"
    )


def test_prune_deletes_only_what_it_can_tell_is_an_application_checkpoint(capsys, tmp_path):
    directory = tmp_path / "ckpts"
    directory.mkdir()
    fmt = '"format": "pytest-clearstone-checkpoint"'
    files = {  # name: (content, kept with this reason or deleted)
        "deep.ckpt": ("[" * 100_000, "not a readable checkpoint"),  # (json's RecursionError)
        "other.ckpt": ('{"hello": "world"}', "not a readable checkpoint"),
        "list.ckpt": ("[1, 2]", "not a readable checkpoint"),
        "converted.ckpt": (
            "{" + fmt + ', "metadata": {"imported_from": "clearstone-sdk"}}',
            "converted from clearstone-sdk: a golden no run records again",
        ),
        "bare.ckpt": ("{" + fmt + ', "metadata": null}', None),  # an application's: deleted
    }
    for name, (text, _) in files.items():
        (directory / name).write_text(text)
        _aged(directory / name, 400)
    code, out, _ = run(capsys, "prune", directory, "--older-than", "30")
    assert code == 0
    for name, (_, kept) in files.items():
        assert (directory / name).exists() == (kept is not None), name
        if kept is not None:
            assert f"kept {directory / name}  (400.0 days old, but {kept}" in out, name
    assert out.splitlines()[-1].startswith("deleted 1 of 5 checkpoint file(s)")


def test_prune_counts_what_it_kept_of_each_kind_and_what_is_not_older(capsys, tmp_path):
    directory = tmp_path / "ckpts"
    directory.mkdir()
    fmt = '"format": "pytest-clearstone-checkpoint"'
    _aged(Path(shutil.copy(EXAMPLE / "billing.ckpt", directory / "a_golden.ckpt")), 400)
    converted = directory / "b_converted.ckpt"
    converted.write_text("{" + fmt + ', "metadata": {"imported_from": "clearstone-sdk"}}')
    _aged(converted, 400)
    _aged(Path(shutil.copy(converted, directory / "c_converted.ckpt")), 400)
    (directory / "d_unreadable.ckpt").write_text("[1, 2]")
    _aged(directory / "d_unreadable.ckpt", 400)
    manager, checkpoint = _record(tmp_path, ["a"])
    _aged(manager.save_checkpoint(checkpoint, directory / "e_young.ckpt"), 2)
    code, out, _ = run(capsys, "prune", directory, "--older-than", "30")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"deleted 0 of 5 checkpoint file(s) in {directory} (the application checkpoints older "
        "than 30 day(s)); kept 4 older than that: 1 golden(s) of the pytest plugin, 2 "
        "converted from clearstone-sdk, 1 unreadable; and 1 not older than that"
    )


def test_prune_db_deletes_old_traces(capsys, tmp_path):
    path = tmp_path / "traces.db"
    store = TraceStore(path)
    now = time.time()
    store.write_spans(
        [
            _span("old", "root", now - 40 * 86400),
            _span("old", "child", now - 40 * 86400, "old-root"),
            _span("new", "root", now - 86400),
        ]
    )
    store.close()
    code, out, _ = run(capsys, "prune", "--db", path, "--older-than", "30", "--dry-run")
    assert (code, out) == (
        0,
        f"would delete 1 trace(s) (2 span(s)) older than 30 day(s) from {path}\n",
    )
    assert TraceStore(path).count_spans() == 3
    code, out, _ = run(capsys, "prune", "--db", path, "--older-than", "30")
    assert (code, out) == (0, f"deleted 1 trace(s) (2 span(s)) older than 30 day(s) from {path}\n")
    assert [s.trace_id for s in TraceStore(path).list_traces()] == ["new"]


def test_prune_db_refuses_a_foreign_file_untouched(capsys, tmp_path):
    path = tmp_path / "app.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    code, _, err = run(capsys, "prune", "--db", path, "--older-than", "1")
    assert code == 2 and "not a pytest-clearstone trace store" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("days", ["200000", "1e300", "1e400", "inf"])
def test_prune_db_older_than_any_stored_time_deletes_nothing(capsys, tmp_path, days):
    # Expected: nothing is that old; the cutoff overflowed SQLite's integers (OverflowError)
    path = tmp_path / "traces.db"
    store = TraceStore(path)
    earliest = Span(trace_id="first", span_id="s", parent_span_id=None, name="root",
                    start_time_ns=-(2**63), end_time_ns=-(2**63), status="OK")  # fmt: skip
    store.write_spans([earliest, _span("epoch", "root", 0)])
    store.close()
    for dry_run in (["--dry-run"], []):
        code, out, err = run(capsys, "prune", "--db", path, "--older-than", days, *dry_run)
        assert (code, err) == (0, "")
        assert out.startswith(("would delete 0 trace(s) (0 span(s)) older than ", "deleted 0 "))
    assert TraceStore(path).count_spans() == 2


def test_prune_directory_older_than_any_time_deletes_nothing(capsys, tmp_path):
    manager, checkpoint = _record(tmp_path, ["a"])
    app = _aged(manager.save_checkpoint(checkpoint, tmp_path / "ckpts" / "app.ckpt"), 400)
    code, out, _ = run(capsys, "prune", tmp_path / "ckpts", "--older-than", "inf")
    assert (code, app.exists()) == (0, True)
    assert (
        out == f"deleted 0 of 1 checkpoint file(s) in {tmp_path / 'ckpts'} (the application "
        "checkpoints older than inf day(s)); kept 1 not older than that\n"
    )


def test_traces_with_a_limit_beyond_sqlites_integers_lists_them_all(capsys, tmp_path):
    # Expected: every trace; a --limit past 2**63 - 1 overflowed SQLite's integers
    path = tmp_path / "traces.db"
    store = TraceStore(path)
    store.write_spans([_span("t1", "root", 1_700_000_000), _span("t2", "root", 1_700_000_001)])
    store.close()
    code, out, err = run(capsys, "traces", path, "--limit", str(2**63))
    assert (code, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["t2", "t1"]


@pytest.mark.parametrize(
    "argv", [["--older-than", "3"], ["{dir}", "--db", "{db}", "--older-than", "3"]]
)
def test_prune_needs_a_directory_or_a_db(capsys, tmp_path, argv):
    code, out, err = run(
        capsys, "prune", *(a.format(dir=tmp_path, db=tmp_path / "x.db") for a in argv)
    )
    assert code == 2 and out == "" and "give a directory of checkpoints or --db DB" in err


# -- 9. show --calls and --canonical ------------------------------------------------------------
def test_show_calls_lists_every_recorded_call_and_the_outcome(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run(capsys, "show", EXAMPLE / "billing.ckpt", "--calls")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("calls (")
    assert "  support_app.tools.search_kb #1  [tool]" in lines
    assert "    args:   limit=2, query='I was charged twice'" in lines
    assert "    result: [{'id': 'kb-101', 'title': 'Duplicate charges'}]" in lines
    assert "  support_app.clients.LLMClient.complete #2  [llm]" in lines
    assert all(len(line) <= 100 for line in lines)
    assert "golden outcome: handle()" in lines
    assert any(
        line.startswith("  result:      \"I'm sorry about the double charge") for line in lines
    )
    assert any(line.startswith("  final state: {'customer_id': 'cus_1042'") for line in lines)


def test_show_calls_numbers_the_runs_of_a_golden_of_several(capsys, tmp_path, monkeypatch):
    """A golden of two replay.run() calls: each run is shown under its own number."""
    monkeypatch.setenv("COLUMNS", "100")
    path = tmp_path / "two.ckpt"
    doc = json.loads((EXAMPLE / "billing.ckpt").read_text())
    doc["outcome"]["then"] = [{"function": "follow_up", "result": "done"}]
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, "show", path, "--calls")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "golden outcome (run 1): handle()" in lines
    assert "golden outcome (run 2): follow_up()" in lines
    assert "  result:      'done'" in lines


def test_show_calls_says_why_a_checkpoint_has_no_golden_outcome(capsys, tmp_path):
    """A golden of the plugin without an outcome: no replay.run() returned; a checkpoint an
    application saved: not a golden of the plugin."""
    golden = tmp_path / "golden.ckpt"
    doc = json.loads((EXAMPLE / "billing.ckpt").read_text())
    del doc["outcome"]
    golden.write_text(json.dumps(doc))
    code, out, err = run(capsys, "show", golden, "--calls")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == (
        "golden outcome: (none: no replay.run() returned while it was recorded: none was "
        "called, or it raised)"
    )
    manager, span_id = _record(tmp_path / "app", ["x"])
    code, out, err = run(capsys, "show", manager.save_checkpoint(span_id), "--calls")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "golden outcome: (none: not a golden of the pytest plugin)"


def test_show_calls_gives_a_failed_calls_error_message_as_it_is_not_quoted(capsys, tmp_path):
    manager, checkpoint = _record(tmp_path, ["a"])
    code, out, err = run(capsys, "show", manager.save_checkpoint(checkpoint), "--calls")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[lines.index("  search #1  [tool]") + 1] == "    error:  ValueError: index offline"


def test_show_calls_cuts_a_long_error_message_to_the_terminals_width(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    manager, checkpoint = _record(tmp_path, ["a"])
    path = manager.save_checkpoint(checkpoint)
    doc = json.loads(path.read_text())
    (search,) = (span for span in doc["trace"]["spans"] if span["name"] == "search")
    search["status_message"] = "ValueError: " + "index offline " * 20
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, "show", path, "--calls")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    error = lines[lines.index("  search #1  [tool]") + 1]
    assert error.startswith("    error:  ValueError: index offline index")
    assert error.endswith("...") and len(error) == 60


def test_show_canonical_has_no_ids_or_timings(capsys, tmp_path):
    a = _record(tmp_path / "a", ["x", "y"])
    b = _record(tmp_path / "b", ["x", "y"])
    pa, pb = a[0].save_checkpoint(a[1]), b[0].save_checkpoint(b[1])
    code, first, err = run(capsys, "show", "--canonical", pa)
    assert (code, err) == (0, "")
    code, second, _ = run(capsys, "show", "--canonical", pb)
    assert first == second  # two recordings of one run: the same text
    doc = json.loads(pa.read_text())
    for volatile in (
        doc["checkpoint_id"],
        doc["trace"]["trace_id"],
        doc["span_id"],
        doc["timestamp"],
    ):
        assert volatile not in first
    assert "    ask y [llm] OK  <- checkpoint" in first.splitlines()
    assert "call ask x #1 [llm]" in first.splitlines()


def test_show_canonical_of_a_file_with_conflict_markers_prints_it(capsys, tmp_path):
    path = tmp_path / "merge.ckpt"
    path.write_text("<<<<<<< HEAD\n{}\n=======\n")
    code, out, _ = run(capsys, "show", "--canonical", path)
    assert (code, out) == (0, "<<<<<<< HEAD\n{}\n=======\n")


# -- 10. diff against git HEAD, per call, line by line -------------------------------------------
def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )


def test_diff_with_one_path_compares_with_git_head(capsys, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "goldens").mkdir(parents=True)
    _git(repo, "init", "-q")
    golden = Path(shutil.copy(EXAMPLE / "billing.ckpt", repo / "goldens" / "billing.ckpt"))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    monkeypatch.chdir(repo / "goldens")
    assert run(capsys, "diff", "billing.ckpt") == (0, "no differences\n", "")

    text = golden.read_text().replace("refunded within 5 business days", "refunded in 3 days")
    golden.write_text(text)
    code, out, err = run(capsys, "diff", "billing.ckpt", "-v")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[:2] == ["--- HEAD:goldens/billing.ckpt", "+++ billing.ckpt"]
    assert "support_app.clients.LLMClient.complete #2:" in lines
    assert "golden outcome:" in lines


def test_diff_with_one_path_names_a_signature_added_since_head(capsys, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    manager, checkpoint = _record(repo, ["a"])
    manager.save_checkpoint(checkpoint, "a.ckpt")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "k" * 32)
    manager.save_checkpoint(checkpoint, "a.ckpt")
    monkeypatch.chdir(repo / "ckpts")
    code, out, err = run(capsys, "diff", "a.ckpt")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "--- HEAD:ckpts/a.ckpt",
        "+++ a.ckpt",
        "checkpoint:",
        "  signature: 'unsigned' -> 'signature valid'",
    ]


def test_diff_with_one_path_follows_a_rename_git_mv_staged(capsys, tmp_path, monkeypatch):
    """The summary's command to keep a renamed test's golden is ``git mv OLD NEW``; ``diff NEW``
    then said NEW was not committed at HEAD. It compares NEW with OLD as committed."""
    repo = tmp_path / "repo"
    (repo / "goldens").mkdir(parents=True)
    _git(repo, "init", "-q")
    shutil.copy(EXAMPLE / "billing.ckpt", repo / "goldens" / "billing.ckpt")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    _git(repo, "mv", "goldens/billing.ckpt", "goldens/refunds.ckpt")
    monkeypatch.chdir(repo / "goldens")
    assert run(capsys, "diff", "refunds.ckpt") == (0, "no differences\n", "")
    golden = repo / "goldens" / "refunds.ckpt"
    golden.write_text(golden.read_text().replace("within 5 business days", "in 3 days"))
    code, out, err = run(capsys, "diff", "refunds.ckpt")
    assert (code, err) == (1, "")
    assert out.splitlines()[:2] == ["--- HEAD:goldens/billing.ckpt", "+++ refunds.ckpt"]


def test_diff_with_one_path_outside_git_or_not_committed(capsys, tmp_path):
    path = Path(shutil.copy(EXAMPLE / "billing.ckpt", tmp_path / "billing.ckpt"))
    code, out, err = run(capsys, "diff", path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "not in a git repository" in err and str(path) in err
    _git(tmp_path, "init", "-q")
    code, _, err = run(capsys, "diff", path)
    assert code == 2 and "billing.ckpt is not committed at HEAD" in err


def _edited_billing(
    tmp_path: Path, edit: Callable[[list[dict[str, Any]]], None]
) -> tuple[Path, Path]:
    """The example's billing golden as ``before.ckpt``, and as ``after.ckpt`` with ``edit``
    made to its ``LLMClient.complete`` spans."""
    before = Path(shutil.copy(EXAMPLE / "billing.ckpt", tmp_path / "before.ckpt"))
    doc = json.loads(before.read_text())
    edit([s for s in doc["trace"]["spans"] if s["name"].endswith("LLMClient.complete")])
    after = tmp_path / "after.ckpt"
    after.write_text(json.dumps(doc))
    return before, after


def _support_ticket(llm: list[dict[str, Any]]) -> None:
    """The second prompt, of several lines, with one word more in one of them."""
    prompt = llm[1]["input"]["v"]["prompt"]
    assert "\n" in prompt
    llm[1]["input"]["v"]["prompt"] = prompt.replace("Ticket", "Support ticket", 1)


def _crlf_prompt(llm: list[dict[str, Any]]) -> None:
    """The second prompt checked out with ``\\r\\n`` line breaks."""
    llm[1]["input"]["v"]["prompt"] = llm[1]["input"]["v"]["prompt"].replace("\n", "\r\n")


def test_diff_keys_calls_and_diffs_text_line_by_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    before, after = _edited_billing(tmp_path, _support_ticket)
    code, out, _ = run(capsys, "diff", before, after)
    assert code == 1
    lines = out.splitlines()
    at = lines.index("support_app.clients.LLMClient.complete #2:")
    section = lines[at + 1 :]
    assert section[0] == "  input['prompt']: (text, line by line)"
    removed = [line for line in section if line.startswith("    -")]
    added = [line for line in section if line.startswith("    +")]
    assert len(removed) == len(added) == 1 and "Support ticket" in added[0]
    assert "spans:" not in lines  # the same calls in the same tree


def test_diff_colours_a_text_diffs_removed_lines_red_and_added_lines_green(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "80")
    before, after = _edited_billing(tmp_path, _support_ticket)
    code, out, _ = run(capsys, "--color=yes", "diff", before, after)
    assert code == 1
    lines = out.splitlines()
    removed = [line for line in lines if line.startswith("  \033[31m  -")]
    added = [line for line in lines if line.startswith("  \033[32m  +")]
    assert len(removed) == len(added) == 1 and "Support ticket" in added[0]


def test_diff_of_a_prompt_whose_line_breaks_changed_names_them(capsys, tmp_path, monkeypatch):
    """A golden re-recorded on a machine that checked the prompt file out with ``\r\n``:
    ``diff`` exited 1 and showed ``input['prompt']: (text, line by line)`` with no line under
    it (its diff of the lines leaves their breaks out)."""
    monkeypatch.setenv("COLUMNS", "80")
    before, after = _edited_billing(tmp_path, _crlf_prompt)
    code, out, _ = run(capsys, "diff", before, after)
    assert code == 1
    lines = out.splitlines()
    at = lines.index("support_app.clients.LLMClient.complete #2:")
    assert lines[at + 1] == (
        "  input['prompt']: (text, line by line; its line breaks: '\\n' before, '\\r\\n' after)"
    )


def test_diff_walks_only_what_differs(capsys, tmp_path, monkeypatch):
    # Expected: `diff` ran deepdiff over the whole values besides the state delta: two goldens of
    # a state 1,500 levels deep, one leaf changed, took ~36 s (deepdiff copies its path per level)
    import deepdiff

    def whole_tree(*args, **kwargs):
        raise AssertionError("deepdiff over the whole values")

    monkeypatch.setattr(deepdiff, "DeepDiff", whole_tree)
    monkeypatch.setenv("COLUMNS", "80")

    def edit(llm: list[dict[str, Any]]) -> None:
        _support_ticket(llm)
        llm[0]["output"]["v"]["text"] = "ACTION reply PRIORITY " + "low " * 40
        llm[0]["output"]["v"]["usage"]["prompt_tokens"] = 28.0

    before, after = _edited_billing(tmp_path, edit)
    code, out, _ = run(capsys, "diff", before, after)
    assert code == 1
    lines = out.splitlines()
    assert "  input['prompt']: (text, line by line)" in lines
    code, verbose, _ = run(capsys, "diff", "-v", before, after)
    assert code == 1 and "  input['prompt']: (text, line by line)" in verbose.splitlines()
    # -v: values in full, a change of type too
    assert "  output['usage']['prompt_tokens']: 28 -> 28.0" in verbose.splitlines()
    assert "  output['text']: (text, line by line)" in verbose.splitlines()
    assert "  output['usage']['prompt_tokens']: 28 (int) -> 28.0 (float)" in lines


# -- 11. colour ---------------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "flag", "tty", "coloured"),
    [
        ({}, None, True, True),
        ({}, None, False, False),
        ({}, "--color=yes", False, True),
        ({}, "--color=no", True, False),
        ({"NO_COLOR": "1"}, None, True, False),
        ({"FORCE_COLOR": "1"}, None, False, True),
        ({"NO_COLOR": "1"}, "--color=yes", False, True),
        ({"TERM": "dumb"}, None, True, False),
        ({"NO_COLOR": ""}, None, True, True),  # (set but empty: as pytest, not honoured)
        ({"PY_COLORS": "1", "NO_COLOR": "1"}, None, False, True),
        ({"PY_COLORS": "0", "FORCE_COLOR": "1"}, None, True, False),
    ],
)
def test_colour_like_pytest(monkeypatch, tmp_path, env, flag, tty, coloured):
    for name in ("NO_COLOR", "FORCE_COLOR", "PY_COLORS", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    a = _record(tmp_path / "a", ["x"])
    b = _record(tmp_path / "b", ["y"])
    stream = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    argv = ["diff", str(a[0].save_checkpoint(a[1])), str(b[0].save_checkpoint(b[1]))]
    assert main(argv + ([flag] if flag else [])) == 1
    assert ("\033[31m" in stream.getvalue()) is coloured


# -- upgrade ------------------------------------------------------------------------------------
def test_upgrade_reports_current_goldens_and_changes_no_file(capsys, tmp_path):
    for golden in EXAMPLE.glob("*.ckpt"):
        shutil.copy(golden, tmp_path / golden.name)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, out, _ = run(capsys, "upgrade", tmp_path)
    assert code == 0
    assert "billing.ckpt: up to date (format version 1)" in out
    assert out.rstrip().endswith("2 of 2 checkpoint file(s) up to date")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_upgrade_of_a_directory_reports_its_files_in_path_order(capsys, tmp_path):
    names = ["zeta.ckpt", "alpha.ckpt", "mid.ckpt", "beta.ckpt", "omega.ckpt", "gamma.ckpt"]
    for name in names:
        shutil.copy(EXAMPLE / "billing.ckpt", tmp_path / name)
    code, out, _ = run(capsys, "upgrade", tmp_path)
    assert code == 0
    reported = [line.split(":")[0] for line in out.splitlines()[:-1]]
    assert reported == [str(tmp_path / name) for name in sorted(names)]


def test_upgrade_of_a_directory_reads_the_goldens_of_its_subdirectories(capsys, tmp_path):
    nested = tmp_path / "tests" / "goldens"
    nested.mkdir(parents=True)
    shutil.copy(EXAMPLE / "billing.ckpt", nested / "billing.ckpt")
    code, out, _ = run(capsys, "upgrade", tmp_path)
    assert code == 0
    assert out.splitlines() == [
        f"{nested / 'billing.ckpt'}: up to date (format version 1)",
        "1 of 1 checkpoint file(s) up to date",
    ]


def test_upgrade_refuses_a_newer_or_foreign_file_untouched(capsys, tmp_path):
    newer = tmp_path / "newer.ckpt"
    doc = json.loads(next(EXAMPLE.glob("*.ckpt")).read_text())
    doc["format_version"] = 99
    newer.write_text(json.dumps(doc))
    foreign = tmp_path / "foreign.ckpt"
    foreign.write_text('{"hello": 1}')
    before = newer.read_bytes(), foreign.read_bytes()
    code, out, _ = run(capsys, "upgrade", newer, foreign)
    assert code == 2
    assert "format version 99 is newer than this release's (1); upgrade pytest-clearstone" in out
    assert "foreign.ckpt: not upgraded: not a pytest-clearstone checkpoint" in out
    assert (newer.read_bytes(), foreign.read_bytes()) == before
    code, out, _ = run(capsys, "upgrade", newer, foreign, EXAMPLE / "billing.ckpt")
    assert (code, out.splitlines()[-1]) == (2, "1 of 3 checkpoint file(s) up to date")


def test_diff_shows_40_changes_and_with_v_every_change(capsys, tmp_path):
    """A final state changed in 60 places: the first 40 and a count of the rest; ``-v`` all."""
    golden = json.loads((EXAMPLE / "billing.ckpt").read_text())
    paths = []
    for suffix in ("", "!"):
        golden["outcome"]["final_state"]["notes"] = [f"note {n}{suffix}" for n in range(60)]
        paths.append(tmp_path / f"billing{len(paths)}.ckpt")
        paths[-1].write_text(json.dumps(golden, indent=2))
    code, out, _ = run(capsys, "diff", *paths)
    assert code == 1
    assert "['notes'][39]" in out and "['notes'][40]" not in out
    assert "... and 20 more changes under root['final_state']['notes'] (-v shows all)" in out
    code, out, _ = run(capsys, "diff", *paths, "-v")
    assert code == 1
    assert all(f"['notes'][{n}]: 'note {n}' -> 'note {n}!'" in out for n in range(60))
    assert "more changes" not in out


def test_prune_db_with_nothing_to_delete_leaves_the_file_as_it_is(capsys, tmp_path):
    # an empty file reads as an empty store; before, prune wrote the store's schema into it
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(["prune", "--db", str(empty), "--older-than", "1"]) == 0
    assert "deleted 0 trace(s)" in capsys.readouterr().out
    assert empty.read_bytes() == b""


def test_diff_follows_a_rename_staged_under_a_git_config_of_relative_diffs(
    capsys, tmp_path, monkeypatch
):
    """(``diff.relative = true`` makes ``git diff`` in a folder name paths from that folder.)"""
    repo = tmp_path / "repo"
    (repo / "goldens").mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "config", "diff.relative", "true")
    shutil.copy(EXAMPLE / "billing.ckpt", repo / "goldens" / "billing.ckpt")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    _git(repo, "mv", "goldens/billing.ckpt", "goldens/refunds.ckpt")
    monkeypatch.chdir(repo / "goldens")
    assert run(capsys, "diff", "refunds.ckpt") == (0, "no differences\n", "")
