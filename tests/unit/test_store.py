"""TraceStore and Trace: reading, schema versions, several processes, a killed writer."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_clearstone.errors import SpanNotFoundError, TraceNotFoundError, TraceStoreError
from pytest_clearstone.observability import (
    SCHEMA_VERSION,
    Span,
    Trace,
    Tracer,
    TracerProvider,
    TraceStore,
)
from pytest_clearstone.tracing.span import Recorded, exception_record


def build_tree(tracer: Tracer) -> dict[str, str]:
    ids = {}
    with tracer.span("root") as root:
        ids["root"] = root.span_id
        with tracer.span("a") as a:
            ids["a"] = a.span_id
            with tracer.span("a1") as a1:
                ids["a1"] = a1.span_id
            with tracer.span("a2") as a2:
                ids["a2"] = a2.span_id
        with tracer.span("b") as b:
            ids["b"] = b.span_id
    ids["trace"] = root.trace_id
    return ids


# -- Trace --------------------------------------------------------------------------------------


def test_trace_navigation(provider: TracerProvider, tracer: Tracer) -> None:
    ids = build_tree(tracer)
    trace = provider.trace_store.get_trace(ids["trace"])
    assert isinstance(trace, Trace)
    assert trace.trace_id == ids["trace"]
    assert [s.name for s in trace.spans] == ["root", "a", "a1", "a2", "b"]
    assert trace.root_span is not None
    assert trace.root_span.span_id == ids["root"]
    assert trace.get_span(ids["a2"]).name == "a2"
    assert [s.name for s in trace.children(ids["root"])] == ["a", "b"]
    assert [s.name for s in trace.children(ids["a"])] == ["a1", "a2"]
    assert trace.children(ids["b"]) == []
    assert [s.name for s in trace.ancestors(ids["a2"])] == ["root", "a"]
    assert trace.ancestors(ids["root"]) == []
    assert len(trace) == 5


def test_trace_get_span_unknown_id(provider: TracerProvider, tracer: Tracer) -> None:
    ids = build_tree(tracer)
    trace = provider.trace_store.get_trace(ids["trace"])
    with pytest.raises(SpanNotFoundError, match="nope") as info:
        trace.get_span("nope")
    assert isinstance(info.value, LookupError)


def test_trace_children_of_an_unknown_id_is_refused_as_ancestors_are(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # (children() answered [] for an id not in the trace, the trace id given for a span id:
    # "no children", where get_span() and ancestors() say the span is not in the trace)
    ids = build_tree(tracer)
    trace = provider.trace_store.get_trace(ids["trace"])
    for unknown in ("nope", ids["trace"]):
        for method in (trace.get_span, trace.ancestors, trace.children):
            with pytest.raises(SpanNotFoundError, match=f"span '{unknown}' is not in trace"):
                method(unknown)


def test_spans_in_start_order_even_when_ended_out_of_order(
    provider: TracerProvider, tracer: Tracer
) -> None:
    with tracer.span("root") as root:
        outer = tracer.span("first")
        first = outer.__enter__()
        with tracer.span("second"):
            pass
        outer.__exit__(None, None, None)
    trace = provider.trace_store.get_trace(root.trace_id)
    assert [s.name for s in trace.spans] == ["root", "first", "second"]
    assert trace.get_span(first.span_id).end_time_ns == first.end_time_ns


def test_trace_round_trips_through_dict(provider: TracerProvider, tracer: Tracer) -> None:
    ids = build_tree(tracer)
    trace = provider.trace_store.get_trace(ids["trace"])
    again = Trace.from_dict(trace.to_dict())
    assert [(s.span_id, s.parent_span_id, s.name) for s in again.spans] == [
        (s.span_id, s.parent_span_id, s.name) for s in trace.spans
    ]


def _plain(span_id: str, parent: str | None, start: int, seq: int = 0) -> Span:
    return Span(
        trace_id="t", span_id=span_id, parent_span_id=parent, name=span_id,
        start_time_ns=start, end_time_ns=start + 1, seq=seq,
    )  # fmt: skip


def test_spans_that_started_at_one_time_keep_the_order_they_were_opened_in() -> None:
    trace = Trace("t", [_plain("later", None, 5, seq=1), _plain("first", None, 5, seq=0)])
    assert [s.name for s in trace.spans] == ["first", "later"]


def test_a_trace_is_shown_with_its_id_its_span_count_and_its_root_span_s_name() -> None:
    root = Span(trace_id="t", span_id="s1", parent_span_id=None, name="agent", start_time_ns=1)
    assert repr(Trace("t", [root, _plain("s2", "s1", 2)])) == "<Trace t 2 spans root='agent'>"
    assert repr(Trace("t", [])) == "<Trace t 0 spans root=None>"


def test_the_root_of_a_partial_trace_is_its_first_span_whose_parent_is_not_in_it() -> None:
    # (a checkpoint's trace cut below its root, a trace imported from another service)
    trace = Trace("t", [_plain("child", "gone", 1), _plain("grandchild", "child", 2)])
    assert trace.root_span is not None and trace.root_span.name == "child"


def test_the_ancestors_of_a_span_in_a_damaged_cycle_are_each_listed_once() -> None:
    # (a trace whose parent links loop, in a damaged file: the walk ends, and a span is never
    # its own ancestor, as a checkpoint's upstream_spans would have it)
    import threading

    trace = Trace("t", [_plain("a", "b", 1), _plain("b", "a", 2)])
    found: list[list[str]] = []
    walker = threading.Thread(
        target=lambda: found.append([s.name for s in trace.ancestors("a")]), daemon=True
    )
    walker.start()
    walker.join(10)
    assert found == [["b"]]
    assert [s.name for s in trace.ancestors("b")] == ["a"] and trace.depth("a") == 1


def test_a_traces_root_is_named_also_when_a_child_started_in_the_same_nanosecond(
    tmp_path: Path,
) -> None:
    store = TraceStore(tmp_path / "traces.db")
    store.write_spans([_plain("child", "root", 5), _plain("root", None, 5)])
    assert [s.root_name for s in store.list_traces()] == ["root"]
    store.close()


def test_a_trace_that_ended_after_the_cutoff_is_not_deleted(tmp_path: Path) -> None:
    # (a long run: it started before the cutoff, its last span ended after it)
    store = TraceStore(tmp_path / "traces.db")
    root = _plain("root", None, 10)
    root.end_time_ns = 100
    store.write_spans([root, _plain("child", "root", 20)])
    assert store.delete_traces_before(50, dry_run=True) == (0, 0)
    assert store.delete_traces_before(50) == (0, 0)
    assert store.count_spans() == 2
    assert store.delete_traces_before(101) == (1, 2)
    store.close()


def test_a_span_keeps_its_instrumentation_and_an_unset_status_through_its_dict() -> None:
    span = Span(
        trace_id="t", span_id="s", parent_span_id=None, name="call", start_time_ns=1,
        instrumentation_name="app", instrumentation_version="1.2",
    )  # fmt: skip
    again = Span.from_dict(span.to_dict())
    assert (again.instrumentation_name, again.instrumentation_version) == ("app", "1.2")
    written = span.to_dict()
    del written["status"]  # (a span written by hand, or by another tool, without one)
    assert Span.from_dict(written).status == "UNSET"


def test_a_span_keeps_its_values_and_its_error_through_its_dict() -> None:
    when = dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc)
    span = Span(
        trace_id="t", span_id="s", parent_span_id="p", name="call", span_type="tool",
        attributes={"at": when}, start_time_ns=1, end_time_ns=5, status="ERROR",
        status_message="KeyError: 'k'", input=Recorded.of({"when": when}),
        output=Recorded.of(("a", 1)), error=exception_record(KeyError("k")),
    )  # fmt: skip
    again = Span.from_dict(json.loads(json.dumps(span.to_dict())))
    assert (again.input, again.output, again.attributes) == ({"when": when}, ("a", 1), {"at": when})
    assert again.error == span.error and again.to_dict() == span.to_dict()


def test_attributes_changed_after_a_span_ended_are_stored_as_changed(tmp_path: Path) -> None:
    when = dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc)
    added, replaced = (
        Span(trace_id="t", span_id=i, parent_span_id=None, name=i, attributes={"at": when})
        for i in ("added", "replaced")
    )
    for span in (added, replaced):
        span.finish()  # (its attributes are encoded now, a datetime among them)
    added.set_attribute("step", 2)
    replaced.replace_attributes({"step": 3})
    store = TraceStore(tmp_path / "traces.db")
    store.write_spans([added, replaced])
    trace = store.get_trace("t")
    assert trace.get_span("added").attributes == {"at": when, "step": 2}
    assert trace.get_span("replaced").attributes == {"step": 3}
    store.close()


def test_an_attribute_value_changed_after_its_span_ended_is_stored_as_it_was(
    tmp_path: Path,
) -> None:
    messages = [{"role": "user", "content": "hi"}]
    span = Span(trace_id="t", span_id="s", parent_span_id=None, name="call")
    span.set_attribute("messages", messages)
    span.finish()
    replaced = Span(trace_id="t", span_id="r", parent_span_id=None, name="replaced")
    replaced.finish()
    replaced.replace_attributes({"messages": messages})
    messages.append({"role": "assistant", "content": "hello"})  # (the agent's list, reused)
    store = TraceStore(tmp_path / "traces.db")
    store.write_spans([span, replaced])
    for span_id in ("s", "r"):
        assert store.get_trace("t").get_span(span_id).attributes == {
            "messages": [{"role": "user", "content": "hi"}]
        }
    store.close()


def test_a_span_written_without_attributes_reads_with_none() -> None:
    # (a span written by hand, or by another tool)
    span = Span.from_dict({"trace_id": "t", "span_id": "s", "name": "call", "start_time_ns": 1})
    assert span.attributes == {}
    span.set_attribute("step", 1)
    assert span.attributes == {"step": 1}


# -- TraceStore ---------------------------------------------------------------------------------


def test_unknown_trace_id_raises_trace_not_found(db: Path, provider: TracerProvider) -> None:
    with pytest.raises(TraceNotFoundError) as info:
        provider.trace_store.get_trace("deadbeef")
    err = info.value
    assert isinstance(err, LookupError)
    assert isinstance(err, TraceStoreError)
    assert "deadbeef" in str(err)
    assert str(db) in str(err)
    assert (err.trace_id, err.db_path) == ("deadbeef", str(db))


def test_unknown_trace_in_a_store_with_other_traces(
    provider: TracerProvider, tracer: Tracer
) -> None:
    build_tree(tracer)
    with pytest.raises(LookupError, match="'0123'"):
        provider.trace_store.get_trace("0123")


def test_unknown_trace_in_memory_store() -> None:
    provider = TracerProvider(":memory:")
    with pytest.raises(TraceNotFoundError, match=":memory:"):
        provider.trace_store.get_trace("x")
    provider.shutdown()


def test_an_unknown_trace_s_advice_is_a_command_that_works(tmp_path: Path) -> None:
    # the advice named `python -m pytest_clearstone traces :memory:` for an in-memory store
    # (which fails: no such file; no other process can see it), and a path with a space
    # unquoted, which the shell splits in two
    import shlex
    import subprocess
    import sys

    provider = TracerProvider(":memory:")
    with pytest.raises(TraceNotFoundError) as info:
        provider.trace_store.get_trace("x")
    provider.shutdown()
    assert str(info.value) == (
        "trace 'x' is not in the trace store ':memory:'. An in-memory store is seen by its own "
        "provider only: list its traces with provider.trace_store.list_traces()"
    )
    db = tmp_path / "my traces" / "run.db"
    provider = TracerProvider(db)
    with provider.get_tracer("t").span("stored"):
        pass
    with pytest.raises(TraceNotFoundError) as info:
        provider.trace_store.get_trace("x")
    provider.shutdown()
    command = str(info.value).split("List the stored traces with: ")[1]
    assert command == f"python -m pytest_clearstone traces {shlex.quote(str(db))}"
    args = shlex.split(command)
    run = subprocess.run([sys.executable, *args[1:]], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stderr) == (0, "")
    assert "stored" in run.stdout


def test_standalone_store_on_a_missing_file(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "none.db")
    assert store.list_traces() == []
    with pytest.raises(TraceNotFoundError):
        store.get_trace("x")


def test_a_trace_looked_up_in_a_missing_file_says_there_is_no_store_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (it said the trace "is not in the trace store 'traces.db'" and gave a command listing
    # its traces, which fails: there is no such file, often a relative path read from another
    # directory than the one the provider wrote it in)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TraceNotFoundError) as info:
        TraceStore("traces.db").get_trace("x")
    assert str(info.value) == (
        f"trace 'x' cannot be read: there is no trace store 'traces.db' (no such file in "
        f"{tmp_path}). Give the db_path the TracerProvider wrote the trace to"
    )
    assert (info.value.trace_id, info.value.db_path) == ("x", "traces.db")


def test_list_traces_newest_first_with_limit(provider: TracerProvider, tracer: Tracer) -> None:
    trace_ids = []
    for i in range(5):
        with tracer.span(f"run{i}") as root:
            with tracer.span("step"):
                pass
            if i == 3:
                with tracer.span("bad") as bad:
                    bad.set_status("ERROR", "x")
        trace_ids.append(root.trace_id)
    summaries = provider.trace_store.list_traces(limit=3)
    assert [s.trace_id for s in summaries] == trace_ids[::-1][:3]
    assert [s.root_name for s in summaries] == ["run4", "run3", "run2"]
    assert [s.span_count for s in summaries] == [2, 3, 2]
    assert [s.error_count for s in summaries] == [0, 1, 0]
    assert all(s.duration_ms is not None and s.duration_ms >= 0 for s in summaries)
    assert len(provider.trace_store.list_traces(limit=10)) == 5


def test_list_traces_shows_a_running_trace_as_open(
    provider: TracerProvider, tracer: Tracer
) -> None:
    with tracer.span("running"):
        (summary,) = provider.trace_store.list_traces(limit=1)
        assert summary.end_time_ns is None
        assert summary.duration_ms is None


# -- schema ---------------------------------------------------------------------------------------


def test_schema_version_and_wal(db: Path, provider: TracerProvider, tracer: Tracer) -> None:
    with tracer.span("s"):
        pass
    provider.flush()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cols = {r[1] for r in conn.execute("PRAGMA table_info(spans)")}
    assert {"span_id", "trace_id", "parent_span_id", "span_type", "end_time_ns"} <= cols
    conn.close()


def test_newer_schema_version_is_refused(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    store = TraceStore(db)
    with pytest.raises(TraceStoreError, match=r"schema version \d+.*upgrade"):
        store.list_traces()


def test_clearstone_sdk_database_is_refused_with_the_import_command(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE spans (span_id TEXT PRIMARY KEY, trace_id TEXT, name TEXT, kind TEXT)"
    )
    conn.commit()
    conn.close()
    provider = TracerProvider(db)
    with pytest.raises(TraceStoreError, match="import-clearstone") as info:
        provider.trace_store.get_trace("x")
    assert str(db) in str(info.value)
    assert not isinstance(info.value, TraceNotFoundError)


def test_not_a_database_is_a_trace_store_error(db: Path) -> None:
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(TraceStoreError, match="cannot open the trace store"):
        TraceStore(db).list_traces()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts the files open in /proc")
@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_a_store_refused_again_and_again_leaves_no_file_open(db: Path, read_only: bool) -> None:
    # (each refusal looks whether the process is out of descriptors, by opening one: a long
    # suite refused its store at every test would end at the limit of open files)
    db.write_bytes(b"this is not sqlite" * 100)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with pytest.raises(TraceStoreError, match="file is not a database"):
            TraceStore(db, read_only=read_only).list_traces()
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_new_store_another_process_is_setting_up_is_waited_for(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: two processes setting up one new file at once (pytest-xdist workers starting
    # together) make SQLite refuse one's switch to WAL at once ("database is locked", the busy
    # timeout not waited: both held a shared lock, and one must give way); that one tries
    # again. It failed its test's recording with "cannot open the trace store" (6 in 200 pairs
    # of threads switching one new file to WAL together; here, the refusal made certain).
    refused: list[str] = []

    class SecondToSwitch(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if sql == "PRAGMA journal_mode=WAL" and not refused:
                refused.append(sql)
                raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, *args)

    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: connect(*a, **k, factory=SecondToSwitch)
    )
    provider = TracerProvider(db)
    with provider.get_tracer("t").span("s") as span:
        pass
    assert provider.trace_store.get_trace(span.trace_id).spans[0].name == "s"
    provider.shutdown()
    assert refused


# -- several processes ------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pytest_clearstone.observability import TracerProvider

    db, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    provider = TracerProvider(db, batch_size=8)  # many small transactions: they contend
    tracer = provider.get_tracer(tag)
    with tracer.span(tag) as root:
        for i in range(n - 1):
            with tracer.span(f"{tag}.{i}", attributes={"i": i}):
                pass
    provider.shutdown()
    print(root.trace_id)
    """
)


def test_two_processes_times_two_thousand_spans(db: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), f"p{n}", "2000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    trace_ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        trace_ids.append(out.strip())
    store = TraceStore(db)
    assert store.count_spans() == 4000
    for n, trace_id in enumerate(trace_ids):
        trace = store.get_trace(trace_id)
        assert len(trace.spans) == 2000
        assert trace.root_span is not None
        assert trace.root_span.name == f"p{n}"
    store.close()


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from pytest_clearstone.observability import TracerProvider

    provider = TracerProvider(sys.argv[1])
    tracer = provider.get_tracer("victim")
    written = 0
    while True:
        with tracer.span("batch") as root:
            for i in range(49):
                with tracer.span(f"s{i}", attributes={"i": i}):
                    pass
        provider.flush()
        written += 50
        print(written, flush=True)
    """
)


def test_writer_killed_with_sigkill_leaves_every_flushed_span(db: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    flushed = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            flushed = int(line)
            if flushed >= 1000:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL
    assert flushed >= 1000
    store = TraceStore(db)
    assert store.count_spans() >= flushed
    traces = store.list_traces(limit=1000)
    assert sum(t.span_count for t in traces) == store.count_spans()
    complete = [t for t in traces if t.end_time_ns is not None]
    assert len(complete) >= flushed // 50
    trace = store.get_trace(complete[0].trace_id)
    assert len(trace.spans) == 50
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store.close()


def test_a_store_dropped_without_close_closes_its_connection(tmp_path: Path) -> None:
    # Expected: a connection is never left to the garbage collector open (Python 3.13 warns of
    # an unclosed database there: an error under filterwarnings = error), also for a store
    # reopened after close() as `provider.shutdown(); provider.trace_store.get_trace(...)` does.
    import gc

    provider = TracerProvider(str(tmp_path / "t.db"))
    with provider.get_tracer("t").span("root"):
        pass
    provider.shutdown()
    store = provider.trace_store
    assert store.list_traces()  # reopens the connection after shutdown closed it
    connection = store._conn
    assert connection is not None
    del provider, store
    gc.collect()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        connection.execute("select 1")


@pytest.mark.parametrize("orjson_installed", [True, False])
def test_a_span_value_with_a_lone_surrogate_is_stored_and_the_batch_survives(
    db: Path,
    provider: TracerProvider,
    tracer: Tracer,
    monkeypatch: pytest.MonkeyPatch,
    orjson_installed: bool,
) -> None:
    # Contract 1: no span is dropped; a value JSON (as UTF-8) cannot hold is stored in another
    # form and the rest of the batch survives. A lone surrogate lost the whole batch, and every
    # read and shutdown() after raised UnicodeEncodeError.
    if not orjson_installed:
        from pytest_clearstone.codec import tags
        from pytest_clearstone.tracing import store

        monkeypatch.setattr(tags, "orjson", None)
        monkeypatch.setattr(store, "_orjson_dumps", None)
    cut = json.loads('"partial \\ud83d"')
    with tracer.span("root") as root:
        with tracer.span("before", span_type="tool") as s:
            s.set_output("fine")
        with tracer.span("llm " + cut, span_type="llm") as s:
            s.set_input({"chunk": cut})
            s.set_output(cut)
            s.set_attribute("piece", cut)
    trace = provider.trace_store.get_trace(root.trace_id)
    assert [s.name for s in trace.spans] == ["root", "before", "llm partial \\ud83d"]
    llm = trace.spans[2]
    assert llm.output == cut and llm.input == {"chunk": cut}
    assert llm.attributes["piece"] == cut
    provider.shutdown()
    with contextlib.closing(sqlite3.connect(db)) as conn:  # (closed: 3.13 warns otherwise)
        assert conn.execute("select count(*) from spans").fetchone() == (3,)


def test_list_traces_without_a_limit_lists_them_all(
    provider: TracerProvider, tracer: Tracer
) -> None:
    for i in range(25):
        with tracer.span(f"t{i}"):
            pass
    assert len(provider.trace_store.list_traces()) == 20
    assert len(provider.trace_store.list_traces(limit=None)) == 25


def test_list_traces_of_a_damaged_store_names_the_trace(
    db: Path, provider: TracerProvider, tracer: Tracer
) -> None:
    # Expected: a TraceStoreError, as get_trace raises; the summary held the text and its
    # duration_ms raised TypeError
    with tracer.span("root") as root:
        pass
    provider.flush()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE spans SET end_time_ns = 'x'")
        conn.commit()
    with pytest.raises(
        TraceStoreError, match=f"trace '{root.trace_id}' in the trace store"
    ) as info:
        provider.trace_store.list_traces()
    assert "is damaged (a time or sequence column is not an integer)" in str(info.value)


def test_limits_and_cutoffs_beyond_sqlites_integers_are_taken_as_its_bounds(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # Expected: every trace, none or all; they raised OverflowError ("Python int too large to
    # convert to SQLite INTEGER")
    for i in range(3):
        with tracer.span(f"t{i}"):
            pass
    store = provider.trace_store
    assert len(store.list_traces(limit=2**64)) == 3
    assert store.delete_traces_before(-(2**70), dry_run=True) == (0, 0)
    assert store.delete_traces_before(float("-inf")) == (0, 0)
    assert store.delete_traces_before(2**70, dry_run=True) == (3, 3)
    assert store.delete_traces_before(float("inf")) == (3, 3)
    assert store.count_spans() == 0


def test_a_name_holding_a_nul_character_is_stored_whole(tmp_path: Path) -> None:
    # before: a span's name, type or status message was cut at a NUL character (the batched
    # insert reads each row out of a JSON array with json_extract, whose text ends at a NUL)
    from pytest_clearstone.observability import TracerProvider

    provider = TracerProvider(str(tmp_path / "t.db"))
    with provider.get_tracer("x").span("a\x00b", span_type="l\x00m") as span:
        span.set_status("ERROR", "bad\x00news")
    provider.flush()
    stored = provider.trace_store.get_trace(span.trace_id).spans[0]
    provider.shutdown()
    assert (stored.name, stored.span_type, stored.status_message) == (
        "a\x00b",
        "l\x00m",
        "bad\x00news",
    )


def test_a_full_disk_is_the_error_not_the_rollback_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a store that cannot grow (a full disk, a file size limit; here SQLite's page
    # limit, which fails the same way) says so, and the spans stay queued; the message was
    # "cannot rollback - no transaction is active": SQLite had already rolled the transaction
    # back when the write failed, and the ROLLBACK after it raised in its place.
    connect = sqlite3.connect

    def small(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.execute("PRAGMA max_page_count = 8")
        return conn

    monkeypatch.setattr(sqlite3, "connect", small)
    provider = TracerProvider(tmp_path / "traces.db")
    tracer = provider.get_tracer("t")
    for _ in range(3):
        with tracer.span("big", attributes={"blob": "x" * 20_000}):
            pass
    with pytest.raises(TraceStoreError, match="database or disk is full") as failed:
        provider.flush()
    assert "rollback" not in str(failed.value)
    assert "Free space on its disk, or point the trace store elsewhere" in str(failed.value)
    monkeypatch.setattr(sqlite3, "connect", connect)
    provider.trace_store.close()  # (reopened without the limit: the queued spans are written)
    provider.shutdown()
    assert TraceStore(tmp_path / "traces.db").count_spans() == 3


def test_a_file_that_is_not_a_store_names_the_library_s_fix_outside_pytest(tmp_path) -> None:
    """A script's ``TracerProvider(db_path=...)`` on another program's file: the message tells
    it to give another ``db_path``, not pytest's ``--clearstone-db`` it has no use for."""
    other = tmp_path / "notes.db"
    other.write_text("not a database\n")
    provider = TracerProvider(db_path=str(other))
    with pytest.raises(TraceStoreError) as info:
        provider.trace_store.list_traces()
    message = str(info.value)
    assert "--clearstone-db" not in message and "clearstone_db" not in message
    assert message.endswith(
        "Point the trace store elsewhere (another db_path), or move the file away"
    )
    assert other.read_text() == "not a database\n"  # left as it is


@pytest.mark.parametrize("kind", ["character device", "FIFO"])
def test_a_store_path_that_is_no_regular_file_is_refused_naming_what_it_is(
    tmp_path: Path, kind: str
) -> None:
    # Expected: a store path that is a link to a device or a FIFO is refused before SQLite
    # opens it, naming what it is (as a read-only store and a golden are), nothing written.
    # Before the fix: "disk I/O error. Check its disk (free space, a file size limit)", so the
    # recording of every marked test failed with advice about the disk.
    db = tmp_path / ".clearstone" / "traces.db"
    db.parent.mkdir()
    if kind == "FIFO":
        os.mkfifo(db)
    else:
        db.symlink_to("/dev/zero")
    store = TraceStore(db)
    with pytest.raises(TraceStoreError) as info:
        store.list_traces()
    message = str(info.value)
    assert f"cannot open the trace store {str(db)!r}: it is a {kind}, not a regular file" in (
        message
    )
    assert "disk" not in message and message.endswith("or move the file away")


def _a_block_device() -> Path | None:
    """A block device of this machine (a disk, a loop device), if one can be found."""
    import stat

    with contextlib.suppress(OSError):
        for path in sorted(Path("/dev").iterdir()):
            with contextlib.suppress(OSError):
                if stat.S_ISBLK(path.stat().st_mode):
                    return path
    return None


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="sockets in files are POSIX")
@pytest.mark.parametrize("kind", ["block device", "socket"])
def test_a_store_path_linked_to_a_disk_or_a_socket_is_refused_naming_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # A store linked to a disk (/dev/sda, a loop device) or to a socket is named as what it
    # is, as a device and a FIFO are, not as another kind of file.
    db = tmp_path / "traces.db"
    with contextlib.ExitStack() as stack:
        if kind == "block device":
            device = _a_block_device()
            if device is None:
                pytest.skip("no block device on this machine")
            db.symlink_to(device)
        else:
            monkeypatch.chdir(tmp_path)  # (a socket's path is short: AF_UNIX limits it)
            stack.enter_context(socket.socket(socket.AF_UNIX)).bind("s")
            db.symlink_to(tmp_path / "s")
        with pytest.raises(TraceStoreError) as info:
            TraceStore(db).list_traces()
    assert f"{str(db)!r}: it is a {kind}, not a regular file" in str(info.value)


def test_a_store_holding_a_trigger_is_not_written_to(tmp_path: Path) -> None:
    # Expected: a store holding a trigger (pytest-clearstone creates none; a shared or hand-made
    # file may hold one) is refused for writing, naming it, and left as it is: a trigger runs
    # on every write and can change the spans a recording's golden is then built from.
    # Before the fix: the trigger ran, and rewrote a recorded answer in the golden.
    db = tmp_path / "traces.db"
    provider = TracerProvider(db_path=str(db))
    with provider.get_tracer("t").span("first"):
        pass
    provider.shutdown()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TRIGGER rewrite AFTER INSERT ON spans BEGIN "
            'UPDATE spans SET output_json = \'{"v": "HACKED"}\' WHERE span_id = new.span_id; END'
        )
        conn.commit()
    before = db.read_bytes()
    provider = TracerProvider(db_path=str(db))
    with pytest.raises(TraceStoreError) as info:
        with provider.get_tracer("t").span("second"):
            pass
        provider.trace_store.list_traces()
    message = str(info.value)
    assert f"the trace store {str(db)!r} holds a trigger ('rewrite')" in message
    assert message.endswith("or move the file away")
    assert db.read_bytes() == before
    # reading runs no trigger: inspection still reads it
    assert [t.root_name for t in TraceStore(db, read_only=True).list_traces()] == ["first"]


def test_a_store_path_that_is_a_link_to_nothing_is_not_created_through(tmp_path: Path) -> None:
    # Expected: as for a golden, a link whose target does not exist is refused rather than
    # written through (a link in a checkout chooses where the new file would go).
    # Before the fix: SQLite created a new store at the place the link names.
    target = tmp_path / "elsewhere.db"
    db = tmp_path / ".clearstone" / "traces.db"
    db.parent.mkdir()
    db.symlink_to(target)
    provider = TracerProvider(db_path=str(db))
    with pytest.raises(TraceStoreError, match="it is a link to a file that does not exist"):
        with provider.get_tracer("t").span("first"):
            pass
        provider.trace_store.list_traces()
    assert not target.exists()


def test_a_span_id_given_for_a_trace_id_is_named_with_the_fix(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # Expected: the message says the id is a span's, of which trace; it said only that the
    # trace is not in the store, and to list the stored traces
    with tracer.span("workflow") as root, tracer.span("step") as step:
        pass
    with pytest.raises(TraceNotFoundError) as info:
        provider.trace_store.get_trace(step.span_id)
    message = str(info.value)
    assert f"{step.span_id!r} is the id of the span 'step' of trace {root.trace_id!r}" in message
    assert "pass span.trace_id" in message


def test_a_store_another_program_keeps_locked_names_the_cause_and_the_fix(tmp_path, monkeypatch):
    # Expected: the error says what holds the lock and how to go on. It said only "trace store
    # '...' stayed locked for 60s", and a record run failed each test with it after a minute.
    from pytest_clearstone.tracing import store as store_module

    monkeypatch.setattr(store_module, "_BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "traces.db"
    provider = TracerProvider(str(path))
    with provider.get_tracer("t").span("first"):
        pass
    provider.flush()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # an SQLite browser with a change not written yet
    try:
        store = TraceStore(path)
        store.elsewhere = "--clearstone-db=PATH or ini clearstone_db"  # (as the plugin says it)
        with pytest.raises(TraceStoreError) as info:
            store.write_spans(provider.trace_store.get_trace(store.list_traces()[0].trace_id).spans)
        store.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        provider.shutdown()
    assert str(info.value) == (
        f"trace store {str(path)!r} stayed locked for 0.2s: another process holds a write "
        "transaction on it (a program with the file open, a run that hung). End it, or point the "
        "trace store elsewhere (--clearstone-db=PATH or ini clearstone_db)"
    )


_UNWRITABLE_SCRIPT = """
import os, sys
from pytest_clearstone.errors import TraceStoreError
from pytest_clearstone.observability import TracerProvider, TraceStore
warm = TracerProvider(sys.argv[2])  # load every module while the files are still readable
with warm.get_tracer("t").span("warm"):
    pass
warm.shutdown()
if os.geteuid() == 0:  # root ignores file modes: drop to nobody
    os.setgid(65534)
    os.setuid(65534)
store = TraceStore(sys.argv[1])
store.elsewhere = "--clearstone-db=PATH or ini clearstone_db"  # (as the plugin says it)
try:
    store.write_spans(TraceStore(sys.argv[2], read_only=True).get_trace(
        TraceStore(sys.argv[2], read_only=True).list_traces()[0].trace_id).spans)
except TraceStoreError as exc:
    print(exc)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
@pytest.mark.parametrize("read_only", ["file", "directory", "parent", "new file"])
def test_a_store_this_user_cannot_write_names_what_and_a_fix_that_works(read_only):
    # Expected: the error says which of the file and its directory cannot be written, and
    # points the store elsewhere. It said SQLite's "attempt to write a readonly database" (of a
    # file anyone may write, when the directory was read-only) and to "move the file away",
    # which a read-only directory does not allow; a directory it could not make (`.clearstone`
    # in a read-only checkout), "[Errno 13] Permission denied" and to move the file away too;
    # a new store in a directory that is there but read-only (a CI image's checkout made by
    # root, its `.clearstone` too), SQLite's "unable to open database file" and to move away a
    # file that does not exist.
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="clearstone-ro-"))  # reachable for nobody
    warm = Path(tempfile.mkdtemp(prefix="clearstone-warm-"))
    try:
        path = directory / "traces.db"
        TraceStore(path).write_spans([])
        provider = TracerProvider(str(path))
        with provider.get_tracer("t").span("first"):
            pass
        provider.shutdown()
        path.chmod(0o444 if read_only == "file" else 0o666)
        directory.chmod(0o777 if read_only == "file" else 0o555)
        target = {
            "parent": directory / ".clearstone" / "traces.db",
            "new file": directory / "new.db",
        }.get(read_only, path)
        warm.chmod(0o777)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        result = subprocess.run(
            [sys.executable, "-c", _UNWRITABLE_SCRIPT, str(target), str(warm / "w.db")],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=directory,
        )
        assert result.returncode == 0, result.stderr
        what = {
            "file": "the file cannot be written (Permission denied)",
            "directory": "its directory cannot be written (Permission denied), where SQLite "
            "makes the journal of a write",
            "parent": f"[Errno 13] Permission denied: {str(target.parent)!r}",
            "new file": "its directory cannot be written (Permission denied), where SQLite "
            "makes the file",
        }[read_only]
        verb = "write" if read_only == "file" else "open"  # (SQLite opens the file read-only)
        assert result.stdout.strip() == (
            f"cannot {verb} the trace store {str(target)!r}: {what}. Point the trace store "
            "elsewhere (--clearstone-db=PATH or ini clearstone_db)"
        )
    finally:
        directory.chmod(0o755)
        for d in (directory, warm):
            for p in d.iterdir():
                p.unlink()
            d.rmdir()


def test_a_trace_that_ended_at_the_cutoff_is_not_deleted(tmp_path: Path) -> None:
    # (deleted: the traces whose every span started and ended before the cutoff)
    store = TraceStore(tmp_path / "traces.db")
    store.write_spans([_plain("root", None, 10)])  # (ends at 11)
    assert store.delete_traces_before(11) == (0, 0)
    assert store.delete_traces_before(12) == (1, 1)
    store.close()


def test_a_span_whose_end_time_is_damaged_is_named(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    store = TraceStore(db)
    store.write_spans([_plain("root", None, 10)])
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # (a with alone commits)
        conn.execute("UPDATE spans SET end_time_ns = 'x'")
    with pytest.raises(TraceStoreError, match=r"span 'root' in the trace store .* is damaged"):
        TraceStore(db).get_trace("t")


def test_writing_to_a_read_only_store_says_it_was_opened_read_only(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    TraceStore(db).write_spans([_plain("root", None, 10)])
    store = TraceStore(db, read_only=True)
    with pytest.raises(TraceStoreError, match=r"traces\.db' was opened read-only$"):
        store.write_spans([_plain("other", None, 20)])
    assert store.count_spans() == 1
    store.close()


@pytest.mark.parametrize("tables", [5, 6])
def test_another_programs_database_names_five_tables_then_dots(tmp_path: Path, tables: int) -> None:
    db = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # (a with alone commits)
        for i in range(tables):
            conn.execute(f"CREATE TABLE t{i} (x)")
    listed = "t0, t1, t2, t3, t4" + (", ..." if tables > 5 else "")
    with pytest.raises(TraceStoreError, match=rf"\(tables: {listed}; user_version 0\)"):
        TraceStore(db).count_spans()


def test_a_database_with_a_version_and_no_tables_is_not_taken_for_a_new_store(
    tmp_path: Path,
) -> None:
    db = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 1")
    with pytest.raises(TraceStoreError, match=r"\(tables: none; user_version 1\)"):
        TraceStore(db).write_spans([_plain("root", None, 10)])


def test_a_listed_trace_s_duration_is_in_milliseconds(tmp_path: Path) -> None:
    # (the `traces` command shows it: from its first span's start to its last span's end)
    store = TraceStore(tmp_path / "traces.db")
    spans = [
        Span(trace_id="t", span_id="r", parent_span_id=None, name="run",
             start_time_ns=1_000_000, end_time_ns=3_000_000),
        Span(trace_id="t", span_id="c", parent_span_id="r", name="step",
             start_time_ns=2_000_000, end_time_ns=3_500_000),
    ]  # fmt: skip
    store.write_spans(spans)
    (summary,) = store.list_traces()
    assert summary.duration_ms == 2.5
    store.close()


def test_rewriting_texts_writes_and_counts_only_the_spans_it_changes(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "traces.db")
    store.write_spans([
        Span(trace_id="t", span_id="a", parent_span_id=None, name="key sk-1",
             start_time_ns=1, end_time_ns=2),
        Span(trace_id="t", span_id="b", parent_span_id="a", name="plain",
             start_time_ns=2, end_time_ns=3),
    ])  # fmt: skip
    changed = store.rewrite_texts(["t"], lambda text, is_json: text.replace("sk-1", "[REDACTED]"))
    assert changed == 1
    assert [s.name for s in store.get_trace("t").spans] == ["key [REDACTED]", "plain"]
    store.close()


def test_a_store_not_made_yet_counts_no_spans_and_is_not_made(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "traces.db")
    assert store.count_spans() == 0
    assert not (tmp_path / "traces.db").exists()
    store.close()


@pytest.mark.parametrize("column", ["attributes_json", "error_json"])
def test_a_span_whose_attributes_or_error_is_no_json_object_is_named_damaged(
    tmp_path: Path, column: str
) -> None:
    db = tmp_path / "traces.db"
    store = TraceStore(db)
    store.write_spans([_plain("root", None, 10)])
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f"UPDATE spans SET {column} = '[\"boom\"]'")
    with pytest.raises(TraceStoreError, match=r"span 'root' .* is damaged \(the attributes or err"):
        TraceStore(db).get_trace("t")


def test_deleting_from_a_read_only_store_says_it_was_opened_read_only(tmp_path: Path) -> None:
    # Expected: as writing does. It answered how many traces and spans it deleted, and deleted
    # none (what a dry run answers), so a caller believed the old traces gone.
    db = tmp_path / "traces.db"
    TraceStore(db).write_spans([_plain("root", None, 10)])
    store = TraceStore(db, read_only=True)
    assert store.delete_traces_before(20, dry_run=True) == (1, 1)
    with pytest.raises(TraceStoreError, match=r"traces\.db' was opened read-only$"):
        store.delete_traces_before(20)
    store.close()
    assert TraceStore(db).count_spans() == 1
