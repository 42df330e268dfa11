"""The inspection command line: python -m pytest_clearstone show/diff/traces/trace/prune."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_clearstone.cli import main
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.observability import Span, TracerProvider, TraceStore

SPRUNG: list[str] = []


def _spring(tag: str) -> str:
    SPRUNG.append(tag)
    return tag


class Trap:
    """Unpickling it leaves a mark in SPRUNG: shows whether the CLI ran a file's pickles."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return _spring, ("unpickled",)


class Box:
    """A plain class: stored as a pickle."""

    def __init__(self, x: int) -> None:
        self.x = x


class ResearchAgent:
    def __init__(self) -> None:
        self.memory: list[dict[str, str]] = []
        self.total_cost = 0.0

    def research(self, query: str) -> None:
        self.memory.append({"query": query})
        self.total_cost += 0.01


def _record(tmp_path: Path, queries: list[str], *, fail_tool: bool = True, metadata=None):
    """Run the agent under a tracer and return (manager, checkpoint at the last llm span)."""
    provider = TracerProvider(tmp_path / "traces.db")
    tracer = provider.get_tracer("research")
    agent = ResearchAgent()
    with tracer.span("workflow") as root:
        for query in queries:
            with tracer.span(f"ask {query}", span_type="llm") as span:
                agent.research(query)
                span.set_output(f"answer to {query}")
                last = span.span_id
        if fail_tool:
            with pytest.raises(ValueError), tracer.span("search", span_type="tool"):
                raise ValueError("index offline")
    trace = provider.trace_store.get_trace(root.trace_id)
    provider.shutdown()
    manager = CheckpointManager(tmp_path / "ckpts")
    return manager, manager.create_checkpoint(agent, trace, last, metadata=metadata)


@pytest.fixture
def ckpt(tmp_path: Path) -> Path:
    manager, checkpoint = _record(tmp_path, ["a", "b"], metadata={"ticket": "JIRA-123"})
    return manager.save_checkpoint(checkpoint, "a.ckpt")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- show --------------------------------------------------------------------------------------
def test_show_prints_metadata_span_tree_and_state(capsys, ckpt):
    code, out, err = run(capsys, "show", ckpt)
    assert code == 0 and err == ""
    doc = json.loads(ckpt.read_text())
    assert doc["checkpoint_id"] in out
    assert doc["trace"]["trace_id"] in out
    assert f"agent      {ResearchAgent.__module__}.ResearchAgent" in out.splitlines()
    assert f"{doc['span_id']}  'ask b'" in out
    assert "format     version 1" in out
    assert "pickle     no" in out
    assert "  ticket: 'JIRA-123'" in out
    lines = out.splitlines()
    assert re.search(r"^  workflow  \d+\.\d\d ms  OK$", out, re.M)
    assert re.search(r"^    ask a \[llm\]  \d+\.\d\d ms  OK$", out, re.M)
    assert re.search(r"^    ask b \[llm\]  \d+\.\d\d ms  OK  <- checkpoint$", out, re.M)
    assert re.search(
        r"^    search \[tool\]  \d+\.\d\d ms  ERROR ValueError: index offline$", out, re.M
    )
    assert "state (dict, 2 key(s)):" in lines
    assert re.search(
        r"^  memory      list, len 2  \[\{'query': 'a'\}, \{'query': 'b'\}\]$", out, re.M
    )
    assert re.search(r"^  total_cost  float\s+0\.02$", out, re.M)


def test_show_json_is_one_object_with_the_same_facts(capsys, ckpt):
    code, out, _ = run(capsys, "show", ckpt, "--json")
    assert code == 0
    data = json.loads(out)
    doc = json.loads(ckpt.read_text())
    assert data["checkpoint_id"] == doc["checkpoint_id"]
    assert data["agent"].endswith("test_cli.ResearchAgent")
    assert data["trace_id"] == doc["trace"]["trace_id"]
    assert (data["span_id"], data["span_name"]) == (doc["span_id"], "ask b")
    assert data["timestamp"] == doc["timestamp"]
    assert (data["format_version"], data["contains_pickle"]) == (1, False)
    assert data["metadata"] == {"ticket": "JIRA-123"}
    assert [(s["depth"], s["name"], s["span_type"], s["status"]) for s in data["spans"]] == [
        (0, "workflow", None, "OK"),
        (1, "ask a", "llm", "OK"),
        (1, "ask b", "llm", "OK"),
        (1, "search", "tool", "ERROR"),
    ]
    assert data["spans"][3]["status_message"] == "ValueError: index offline"
    assert all(s["duration_ms"] >= 0 for s in data["spans"])
    assert data["state"]["memory"] == {
        "type": "list",
        "len": 2,
        "repr": "[{'query': 'a'}, {'query': 'b'}]",
    }
    assert data["state"]["total_cost"]["type"] == "float"


def test_diff_of_pickled_values_says_allow_pickle_names_what_changed(capsys, tmp_path):
    """Two pickled values that differ were shown as two digests, with no word of how to see
    what changed inside them (an ORM object in the state: `<pickled app.Customer sha256:...>`)."""
    manager, checkpoint = _record(tmp_path, ["a"], metadata={"ns": Box(1)})
    old = manager.save_checkpoint(checkpoint, "old.ckpt", allow_pickle=True)
    manager, checkpoint = _record(tmp_path, ["a"], metadata={"ns": Box(2)})
    new = manager.save_checkpoint(checkpoint, "new.ckpt", allow_pickle=True)
    code, out, _ = run(capsys, "diff", old, new)
    assert code == 1
    assert re.search(r"<pickled .*sha256:\w+> -> <pickled .*sha256:\w+>", out)
    assert out.splitlines()[-1] == (
        "hint: pickled values are shown by their digests; --allow-pickle decodes them (only for "
        "files you trust: unpickling runs their code) to name what changed inside them"
    )
    code, out, _ = run(capsys, "diff", old, new, "--allow-pickle")
    assert code == 1 and "root['ns'].x: 1 -> 2" in out and "hint:" not in out


def test_show_never_unpickles_without_allow_pickle(capsys, tmp_path):
    manager, checkpoint = _record(
        tmp_path, ["a"], metadata={"trap": Trap(), "ns": SimpleNamespace(x=1)}
    )
    path = manager.save_checkpoint(checkpoint, "pickled.ckpt", allow_pickle=True)
    SPRUNG.clear()
    code, out, _ = run(capsys, "show", path)
    assert code == 0 and SPRUNG == []
    assert re.search(r"trap: <pickled .*Trap sha256:[0-9a-f]{8}>", out)
    assert "pickle     yes (shown as placeholders; --allow-pickle decodes them)" in out

    code, out, _ = run(capsys, "show", path, "--allow-pickle")
    assert code == 0 and SPRUNG == ["unpickled"]
    assert re.search(r"^pickle     yes$", out, re.MULTILINE)  # (decoded: no placeholders)
    assert "trap: 'unpickled'" in out and "ns: namespace(x=1)" in out


def test_show_state_that_is_not_a_dict(capsys, tmp_path):
    class Stateful:
        def get_state(self) -> list[int]:
            return [1, 2, 3]

    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("only") as span:
        pass
    trace = provider.trace_store.get_trace(span.trace_id)
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(manager.create_checkpoint(Stateful(), trace, span.span_id))
    code, out, _ = run(capsys, "show", path)
    assert code == 0
    assert "  <state>  list, len 3  [1, 2, 3]" in out.splitlines()


def test_show_says_a_checkpoints_metadata_is_empty_only_when_it_is(capsys, ckpt, tmp_path):
    code, out, _ = run(capsys, "show", ckpt)
    lines = out.splitlines()
    assert code == 0 and lines[lines.index("metadata") + 1] == "  ticket: 'JIRA-123'"
    manager, checkpoint = _record(tmp_path / "bare", ["a"])
    code, out, _ = run(capsys, "show", manager.save_checkpoint(checkpoint, "bare.ckpt"))
    lines = out.splitlines()
    assert code == 0 and lines[lines.index("metadata   (empty)") + 1] == ""


def test_show_names_no_agent_of_a_checkpoint_that_holds_none(capsys, ckpt):
    doc = json.loads(ckpt.read_text())
    doc["agent"].update({"class": None, "module": None})
    ckpt.write_text(json.dumps(doc))
    code, out, err = run(capsys, "show", ckpt)
    assert (code, err) == (0, "")
    assert "agent      (none)" in out.splitlines()


# -- diff --------------------------------------------------------------------------------------
def test_diff_of_a_file_with_itself_is_empty(capsys, ckpt):
    code, out, err = run(capsys, "diff", ckpt, ckpt)
    assert (code, out, err) == (0, "no differences\n", "")


def test_diff_of_two_recordings_of_the_same_run_is_empty(capsys, tmp_path):
    a = _record(tmp_path / "a", ["x", "y"])
    b = _record(tmp_path / "b", ["x", "y"])
    pa = a[0].save_checkpoint(a[1], "a.ckpt")
    pb = b[0].save_checkpoint(b[1], "b.ckpt")
    assert run(capsys, "diff", pa, pb) == (0, "no differences\n", "")


def test_diff_names_the_signature_each_file_has(capsys, tmp_path, monkeypatch):
    manager, checkpoint = _record(tmp_path, ["a"])
    plain = manager.save_checkpoint(checkpoint, "plain.ckpt")
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "k" * 32)
    signed = manager.save_checkpoint(checkpoint, "signed.ckpt")
    code, out, err = run(capsys, "diff", plain, signed)
    assert (code, err) == (1, "")
    assert out.splitlines()[2:] == ["checkpoint:", "  signature: 'unsigned' -> 'signature valid'"]


def test_diff_names_a_state_whose_keys_only_came_in_another_order(capsys, ckpt, tmp_path):
    # Expected: pre-commit's pretty-format-json --autofix (or jq -S) sorted the keys of a
    # golden's objects; a replay gives the agent its state in the order of the file, so one
    # that writes it into a prompt diverges. diff says so and exits with 1. Before the fix it
    # printed "no differences" and exited with 0: the check before a commit passed it.
    doc = json.loads(ckpt.read_text("utf-8"))
    state = doc["agent"]["state"]
    doc["agent"]["state"] = dict(reversed(state.items()))
    moved = tmp_path / "moved.ckpt"
    moved.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    code, out, err = run(capsys, "diff", ckpt, moved)
    assert (code, err) == (1, "")
    assert out.splitlines()[2:] == [
        "key order (the same values; a replay gives the agent its state and the recorded "
        "answers in the order of the file):",
        "  state",
    ]


def test_diff_shows_state_delta_and_span_changes(capsys, tmp_path):
    a = _record(tmp_path / "a", ["x", "y"])
    b = _record(tmp_path / "b", ["x", "z", "w"], fail_tool=False)
    pa = a[0].save_checkpoint(a[1], "a.ckpt")
    pb = b[0].save_checkpoint(b[1], "b.ckpt")
    code, out, err = run(capsys, "diff", pa, pb)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[:2] == [f"--- {pa}", f"+++ {pb}"]
    assert "checkpoint:" in lines and "  span: 'ask y' -> 'ask w'" in lines
    assert "state:" in lines
    assert "  root['memory'][1]['query']: 'y' -> 'z'" in lines
    assert "  root['memory'][2]: added {'query': 'w'}" in lines
    assert "  root['total_cost']: 0.02 -> 0.03" in lines
    assert "spans:" in lines
    spans = lines[lines.index("spans:") + 1 :]
    assert spans[:5] == [
        "   ... 2 unchanged",  # workflow, ask x
        "  -  ask y [llm] OK",
        "  -  search [tool] ERROR",
        "  +  ask z [llm] OK",
        "  +  ask w [llm] OK",
    ]
    assert not any(line.startswith("  @@") for line in lines)
    # one section per recorded call, keyed by target (here: span name) and call number
    assert lines[lines.index("ask y #1:") + 1] == "  removed"
    assert lines[lines.index("ask w #1:") + 1] == "  added"
    assert "ask x #1:" not in lines  # unchanged


def test_diff_exit_code_follows_the_state_alone(capsys, tmp_path):
    manager, checkpoint = _record(tmp_path, ["a"])
    first = manager.save_checkpoint(checkpoint, "first.ckpt")
    doc = json.loads(first.read_text())
    doc["agent"]["state"]["total_cost"] = 99.0
    second = first.with_name("second.ckpt")
    second.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "diff", first, second)
    assert code == 1
    assert out.splitlines()[2:] == ["state:", "  root['total_cost']: 0.01 -> 99.0"]


# -- traces and trace --------------------------------------------------------------------------
def _span(trace_id: str, span_id: str, parent: str | None, name: str, start_ms: int,
          duration_ms: int | None, span_type: str | None = None, **kw: str) -> Span:  # fmt: skip
    start = 1_700_000_000_000_000_000 + start_ms * 1_000_000
    end = None if duration_ms is None else start + duration_ms * 1_000_000
    status = kw.pop("status", "OK" if end else "UNSET")
    return Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent, name=name,
                span_type=span_type, start_time_ns=start, end_time_ns=end, status=status,
                **kw)  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two traces with known timings: t1 (older, 900 ms, one error) and t2 (newer, 40 ms)."""
    path = tmp_path / "traces.db"
    store = TraceStore(path)
    store.write_spans([
        _span("t1", "r1", None, "nightly_job", 0, 900),
        _span("t1", "a1", "r1", "plan", 10, 600, "llm"),
        _span("t1", "b1", "a1", "lookup", 20, 5, "tool"),
        _span("t1", "c1", "r1", "pay", 700, 150, "tool", status="ERROR",
              status_message="ValueError: no"),
        _span("t2", "r2", None, "chat", 5_000, 40),
        _span("t2", "a2", "r2", "reply", 5_001, None, "llm"),
    ])  # fmt: skip
    store.close()
    return path


def test_traces_lists_recent_traces_newest_first(capsys, db):
    code, out, err = run(capsys, "traces", db)
    assert code == 0 and err == ""
    header, second, first = out.splitlines()
    assert header.split() == ["TRACE", "ID", "ROOT", "START", "DURATION", "SPANS", "ERRORS"]
    assert second.split() == ["t2", "chat", "2023-11-14T22:13:25.000+00:00", "open", "2", "0"]
    assert first.split() == ["t1", "nightly_job", "2023-11-14T22:13:20.000+00:00", "900.00", "ms",
                             "4", "1"]  # fmt: skip


def test_traces_colours_a_traces_error_count_red(capsys, db):
    code, out, _ = run(capsys, "--color=yes", "traces", db)
    assert code == 0
    _, second, first = out.splitlines()
    assert first.endswith("  \033[31m1\033[0m") and second.endswith("  0")


def test_traces_limit_and_slow(capsys, db):
    code, out, _ = run(capsys, "traces", db, "--limit", "1")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["t2"]
    code, out, _ = run(capsys, "traces", db, "--slow", "500")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["t1"]
    code, out, _ = run(capsys, "traces", db, "--slow", "1000")
    assert (code, out) == (0, "no traces slower than 1000.0 ms\n")
    # t2 (its reply still open) took no known time: never slower than anything
    code, out, _ = run(capsys, "traces", db, "--slow", "30")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["t1"]


def test_traces_slow_with_a_limit_shows_the_most_recent_slow_traces(capsys, db):
    # Expected: `--slow 500 --limit 1` lists the most recent trace slower than 500 ms (t1);
    # the limit was applied first, so only the newest trace (t2, open) was looked at and the
    # command said there were no slow traces.
    code, out, _ = run(capsys, "traces", db, "--slow", "500", "--limit", "1")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["t1"]


def test_traces_of_an_empty_store(capsys, tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    assert TraceStore(path).count_spans() == 0  # creates the schema
    code, out, _ = run(capsys, "traces", path)
    assert (code, out) == (0, "no traces\n")


@pytest.mark.parametrize("command", [["traces"], ["trace", "t1"]])
@pytest.mark.parametrize(
    "damage", ["start_time_ns = 'yesterday'", "start_time_ns = 1.5e300", "end_time_ns = 'x'"]
)
def test_a_damaged_store_is_told_by_traces_as_by_trace(capsys, db, command, damage):
    # Expected: exit 2 and one line naming the store and its damage; `traces` crashed with a
    # traceback (TypeError, OverflowError) where `trace` said it
    conn = sqlite3.connect(db)
    conn.execute(f"UPDATE spans SET {damage} WHERE trace_id = 't1'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    code, out, err = run(capsys, command[0], db, *command[1:])
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert (
        f"in the trace store {str(db)!r} is damaged (a time or sequence column is not an "
        f"integer). Inspection leaves the file as it is"
    ) in err
    assert db.read_bytes() == before


def test_count_spans_of_a_store_not_created_yet_is_zero(tmp_path):
    """A core fix found while writing the CLI: this raised IndexError."""
    assert TraceStore(tmp_path / "never" / "written.db").count_spans() == 0


def test_trace_prints_the_tree(capsys, db):
    code, out, err = run(capsys, "trace", db, "t1")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "trace t1  (4 spans, started 2023-11-14T22:13:20.000+00:00)",
        "  nightly_job  900.00 ms  OK",
        "    plan [llm]  600.00 ms  OK",
        "      lookup [tool]  5.00 ms  OK",
        "    pay [tool]  150.00 ms  ERROR ValueError: no",
    ]


def test_trace_verbose_shows_a_spans_recorded_output(capsys, tmp_path):
    _record(tmp_path, ["x"], fail_tool=False)
    code, out, err = run(capsys, "trace", tmp_path / "traces.db", "-v")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[2].startswith("    ask x [llm]  ")
    assert lines[3:] == ["        output: 'answer to x'"]


def test_trace_slow_keeps_only_slower_spans(capsys, db):
    code, out, _ = run(capsys, "trace", db, "t1", "--slow", "100")
    assert code == 0
    assert out.splitlines()[1:] == [
        "spans slower than 100.0 ms: 3",
        "  nightly_job  900.00 ms  OK",
        "    plan [llm]  600.00 ms  OK",
        "    pay [tool]  150.00 ms  ERROR ValueError: no",
    ]


def test_trace_slow_counts_every_span_of_the_trace_in_its_title(capsys, db):
    code, out, _ = run(capsys, "trace", db, "t1", "--slow", "100")
    assert code == 0
    assert out.splitlines()[:2] == [
        "trace t1  (4 spans, started 2023-11-14T22:13:20.000+00:00)",
        "spans slower than 100.0 ms: 3",
    ]


def test_slow_means_strictly_slower_in_trace_and_traces(capsys, db):
    # pay took 150 ms and the whole of t1 900 ms: neither is slower than itself
    code, out, _ = run(capsys, "trace", db, "t1", "--slow", "150")
    assert code == 0
    assert out.splitlines()[1:] == [
        "spans slower than 150.0 ms: 2",
        "  nightly_job  900.00 ms  OK",
        "    plan [llm]  600.00 ms  OK",
    ]
    code, out, _ = run(capsys, "traces", db, "--slow", "900")
    assert (code, out) == (0, "no traces slower than 900.0 ms\n")


def test_trace_given_a_file_name_alone_takes_it_for_the_store(capsys, tmp_path, monkeypatch):
    # (a name with a dot is a store's file, not a trace id: the default store is not read)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "trace", "missing.db")
    assert (code, out) == (2, "")
    assert "cannot open the trace store 'missing.db': no such file" in err


def test_trace_given_an_existing_file_without_a_dot_takes_it_for_the_store(capsys, db, monkeypatch):
    monkeypatch.chdir(db.parent)
    db.rename("store")
    code, out, err = run(capsys, "trace", "store")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("trace t2  (2 spans")


def test_trace_without_id_shows_the_most_recent_trace(capsys, db):
    code, out, _ = run(capsys, "trace", db)
    assert code == 0 and out.splitlines()[0].startswith("trace t2  (2 spans")


def test_trace_without_id_of_an_empty_store(capsys, tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    code, out, err = run(capsys, "trace", path)
    assert (code, out) == (2, "")
    assert err == f"pytest-clearstone: error: the trace store '{path}' holds no traces\n"


def test_trace_shows_open_spans(capsys, db):
    code, out, _ = run(capsys, "trace", db, "t2")
    assert code == 0 and "    reply [llm]  open  UNSET" in out.splitlines()


# -- prune -------------------------------------------------------------------------------------
@pytest.fixture
def aged(tmp_path: Path) -> Path:
    directory = tmp_path / "ckpts"
    (directory / "nested").mkdir(parents=True)
    now = time.time()
    for name, days in [("old.ckpt", 40), ("nested/older.ckpt", 90), ("new.ckpt", 1),
                       ("old.txt", 400)]:  # fmt: skip
        path = directory / name
        path.write_text('{"format": "pytest-clearstone-checkpoint", "metadata": {}}')
        os.utime(path, (now - days * 86400, now - days * 86400))
    return directory


def test_prune_dry_run_deletes_nothing(capsys, aged):
    code, out, _ = run(capsys, "prune", aged, "--older-than", "30", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"would delete {aged / 'nested' / 'older.ckpt'}  (90.0 days old)")
    assert lines[1].startswith(f"would delete {aged / 'old.ckpt'}  (40.0 days old)")
    assert lines[2] == (
        f"would delete 2 of 3 checkpoint file(s) in {aged} (the application checkpoints older "
        "than 30 day(s)); kept 1 not older than that"
    )
    assert sorted(p.name for p in aged.rglob("*.ckpt")) == ["new.ckpt", "old.ckpt", "older.ckpt"]


def test_prune_deletes_old_checkpoints_only(capsys, aged):
    code, out, _ = run(capsys, "prune", aged, "--older-than", "30")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"deleted 2 of 3 checkpoint file(s) in {aged} (the application checkpoints older than "
        "30 day(s)); kept 1 not older than that"
    )
    assert sorted(p.name for p in aged.rglob("*")) == ["nested", "new.ckpt", "old.txt"]


# -- bad input: exit 2, one line on stderr, no traceback ---------------------------------------
def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "garbage": ("garbage.ckpt", b"\x00\x01 not json at all"),
        "truncated": ("truncated.ckpt", b'{"format": "pytest-clearstone-checkpoint", "form'),
        "other_json": ("other.ckpt", b'{"hello": "world"}'),
        "empty": ("empty.ckpt", b""),
        "not_sqlite": ("notes.db", b"this is not a database, just text" * 40),
    }
    out = {}
    for key, (name, data) in files.items():
        out[key] = tmp_path / name
        out[key].write_bytes(data)
    return out


BAD_CASES = [
    ("show", "{missing}", "checkpoint not found"),
    ("show", "{garbage}", "not a readable checkpoint"),
    ("show", "{truncated}", "truncated or not JSON"),
    ("show", "{other_json}", "not a pytest-clearstone checkpoint"),
    ("show", "{empty}", "the file is empty"),
    ("show", "{dir}", "it is a directory"),
    ("show --json", "{truncated}", "truncated or not JSON"),
    ("diff {ckpt}", "{missing}", "checkpoint not found"),
    ("diff", "{garbage} {ckpt}", "not a readable checkpoint"),
    ("traces", "{missing}", "no such file"),
    ("traces", "{dir}", "it is a directory"),
    ("traces", "/dev/null", "a character device, not a regular file"),  # (was "no such file")
    ("traces", "{not_sqlite}", "cannot read the trace store"),
    ("trace {db}", "nope", "trace 'nope' is not in the trace store"),
    ("trace", "{missing} t1", "no such file"),
    ("prune", "{missing} --older-than 3", "is not a directory"),
    ("prune", "{ckpt} --older-than 3", "is not a directory"),
    ("prune {dir}", "--older-than -1", "must be a number >= 0"),
    ("prune {dir}", "--older-than soon", "is not a number"),
    ("prune", "{dir}", "the following arguments are required: --older-than"),
    ("traces {db}", "--limit 0", "must be at least 1"),
    ("traces {db}", "--slow fast", "is not a number"),
    ("traces {db}", "--slow nan", "must be a number >= 0"),
    ("shw", "x", "invalid choice: 'shw'"),
    ("show", "{ckpt} --jsn", "unrecognized arguments: --jsn"),
]


@pytest.mark.parametrize(("command", "rest", "reason"), BAD_CASES)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, ckpt, db, command, rest, reason):
    paths = {**_bad_files(tmp_path), "missing": tmp_path / "missing.ckpt", "dir": tmp_path,
             "ckpt": ckpt, "db": db}  # fmt: skip
    argv = f"{command} {rest}".format(**paths).split()
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("pytest-clearstone: error: ")
    assert reason in err
    assert "Traceback" not in err


def test_a_checkpoint_of_a_newer_format_says_upgrade(capsys, ckpt):
    doc = json.loads(ckpt.read_text())
    doc["format_version"] = 99
    ckpt.write_text(json.dumps(doc))
    code, _, err = run(capsys, "show", ckpt)
    assert code == 2
    assert "has checkpoint format version 99" in err and "upgrade pytest-clearstone" in err


# -- colour ------------------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch, db):
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["trace", str(db), "t1"]) == 0
    assert "\033[31mERROR\033[0m ValueError: no" in terminal.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["trace", str(db), "t1"]) == 0
    assert "\033[" not in terminal.getvalue()


def test_no_colour_when_output_is_not_a_terminal(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("NO_COLOR", raising=False)
    a = _record(tmp_path / "a", ["x"])
    b = _record(tmp_path / "b", ["y"])
    code, out, _ = run(capsys, "diff", a[0].save_checkpoint(a[1]), b[0].save_checkpoint(b[1]))
    assert code == 1 and "\033[" not in out


def test_diff_lines_are_coloured_on_a_terminal(monkeypatch, tmp_path):
    monkeypatch.delenv("NO_COLOR", raising=False)
    a = _record(tmp_path / "a", ["x"])
    b = _record(tmp_path / "b", ["y"])
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["diff", str(a[0].save_checkpoint(a[1])), str(b[0].save_checkpoint(b[1]))]) == 1
    assert "\033[31m-  ask x [llm] OK\033[0m" in terminal.getvalue()
    assert "\033[32m+  ask y [llm] OK\033[0m" in terminal.getvalue()


# -- the entry points --------------------------------------------------------------------------
def test_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("show", "diff", "traces", "trace", "prune", "import-clearstone"):
        assert command in out


@pytest.mark.parametrize(
    "command", ["show", "diff", "traces", "trace", "prune", "upgrade", "import-clearstone"]
)
def test_each_command_prints_its_help(capsys, command):
    # (show has two groups of exclusive options: one of them made an empty group each time it
    # was looked up, and argparse's usage line failed on it: "ValueError: empty group")
    code, out, err = run(capsys, command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: pytest-clearstone {command}")


def test_version(capsys):
    from pytest_clearstone import __version__

    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"pytest-clearstone {__version__}\n")


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "pytest_clearstone", "--help"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: pytest-clearstone")
    assert "prune" in result.stdout


def test_python_dash_m_bad_input_exit_status(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest_clearstone", "show", str(tmp_path / "nope.ckpt")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr
        == f"pytest-clearstone: error: checkpoint not found; tried: {tmp_path / 'nope.ckpt'}\n"
    )


# -- import-clearstone -------------------------------------------------------------------------
FIXTURE = Path(__file__).parent.parent / "fixtures" / "clearstone_sdk"


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of clearstone-sdk 0.1.2 files; their pickles need make_samples importable."""
    copy = tmp_path / "sdk"
    shutil.copytree(FIXTURE, copy)
    monkeypatch.syspath_prepend(str(copy))
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    return copy


def test_import_clearstone_refuses_pickles_unless_allowed(capsys, sdk, tmp_path):
    dest = tmp_path / "converted"
    code, out, err = run(capsys, "import-clearstone", sdk, dest)
    assert code == 2 and out == ""
    assert err.startswith("pytest-clearstone: error: refusing to unpickle") and err.count("\n") == 1
    assert not dest.exists() or not any(dest.iterdir())


def test_import_clearstone_writes_checkpoints_that_show_reads(capsys, sdk, tmp_path):
    dest = tmp_path / "converted"
    code, out, err = run(capsys, "import-clearstone", sdk, dest, "--allow-pickle")
    assert code == 0 and err == ""
    *paths, summary = out.splitlines()
    written = sorted(dest.glob("*.ckpt"))
    assert sorted(Path(p) for p in paths) == written and written
    assert summary == f"wrote {len(written)} file(s) to {dest}"
    code, out, _ = run(capsys, "show", written[0])
    assert code == 0 and "spans (" in out


def test_import_clearstone_of_a_missing_source(capsys, tmp_path):
    code, out, err = run(capsys, "import-clearstone", tmp_path / "nothing", tmp_path / "out")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert str(tmp_path / "nothing") in err


def test_recorded_dict_key_order_survives_the_checkpoint_file(tmp_path):
    """A core fix found while writing the docs: .ckpt files sorted every dict's keys, so a
    tool result formatted into a prompt ({'sku', 'name'} -> {'name', 'sku'}) made the replay
    diverge from its own recording."""
    from pytest_clearstone.debugging import Checkpoint

    manager, checkpoint = _record(tmp_path, ["a"], metadata={"hit": {"sku": "K-1", "name": "x"}})
    path = manager.save_checkpoint(checkpoint, "order.ckpt")
    loaded = Checkpoint.read(path)
    assert list(loaded.metadata["hit"]) == ["sku", "name"]
    assert list(loaded.agent_state) == ["memory", "total_cost"]
    assert repr(loaded.metadata["hit"]) == "{'sku': 'K-1', 'name': 'x'}"


def test_show_reports_pickles_and_signature(tmp_path, capsys, monkeypatch):
    """`show` says whether a file holds pickled values and whether its signature is valid."""
    from pytest_clearstone.debugging import CheckpointManager
    from pytest_clearstone.observability import TracerProvider

    class Opaque:  # defined in a test: only dill can encode it
        pass

    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("root") as root:
        pass
    trace = provider.trace_store.get_trace(root.trace_id)
    manager = CheckpointManager(tmp_path)

    class Agent:
        def get_state(self):
            return {"blob": Opaque()}

    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "k" * 32)
    signed = manager.save_checkpoint(
        manager.create_checkpoint(Agent(), trace, root.span_id),
        filename="signed.ckpt",
        allow_pickle=True,
    )
    assert main(["show", str(signed)]) == 0
    assert "trust      contains pickled values; signature valid" in capsys.readouterr().out
    signed.write_text(signed.read_text().replace('"root"', '"r00t"'))
    assert main(["show", "--json", str(signed)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["signed"], doc["signature_valid"]) == (True, False)
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY")
    unsigned = manager.save_checkpoint(
        manager.create_checkpoint(Agent(), trace, root.span_id),
        filename="plain.ckpt",
        allow_pickle=True,
    )
    assert main(["show", str(unsigned)]) == 0
    assert "contains pickled values; unsigned" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        ("show -v {ckpt}", "pytest-clearstone show --help"),
        ("show --json --calls {ckpt}", "pytest-clearstone show --help"),
        ("diff", "pytest-clearstone diff --help"),
        ("traces --limit 0", "pytest-clearstone traces --help"),
        ("prune {dir}", "pytest-clearstone prune --help"),
        ("prune --older-than 3", "pytest-clearstone prune --help"),
        ("shw x", "pytest-clearstone --help"),
    ],
)
def test_a_usage_error_names_the_help_of_its_command(capsys, tmp_path, ckpt, argv, named):
    # `show -v CKPT` said "(see: pytest-clearstone --help)", whose text lists the commands
    # and none of show's options; prune's own check said "(see: prune --help)", no command
    code, out, err = run(capsys, *argv.format(ckpt=ckpt, dir=tmp_path).split())
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert err.rstrip().endswith(f"(see: {named})"), err


def test_trace_given_a_span_id_gives_the_command_for_its_trace(capsys, db):
    # `trace DB a1` (a span's id, copied from the store or a golden's span line): the
    # message said "pass span.trace_id", an attribute of the library API; it gives the
    # command that prints the span's trace
    code, out, err = run(capsys, "trace", db, "a1")
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert "'a1' is the id of the span 'plan' of trace 't1'" in err, err
    assert f"python -m pytest_clearstone trace {db} t1" in err, err
    code, out, _ = run(capsys, "trace", db, "t1")
    assert code == 0 and "plan" in out
