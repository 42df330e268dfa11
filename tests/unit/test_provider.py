"""TracerProvider: batching, read-your-writes, flush, shutdown, odd values, threads."""

from __future__ import annotations

import datetime as dt
import gc
import os
import sqlite3
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.codec import StoredRepr, UnencodableValueWarning
from pytest_clearstone.errors import TraceStoreError
from pytest_clearstone.observability import Tracer, TracerProvider, TraceStore


def _run_python(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a new process that imports this checkout's package, its output read."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def rows_in_file(db: Path) -> list[tuple[str, int | None]]:
    """What another process would see: read the file with a separate connection."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute("SELECT name, end_time_ns FROM spans ORDER BY seq"))
    finally:
        conn.close()


def test_open_spans_are_readable_with_end_time_none(
    provider: TracerProvider, tracer: Tracer
) -> None:
    with tracer.span("root") as root:
        with tracer.span("step", span_type="llm") as step:
            trace = provider.trace_store.get_trace(root.trace_id)
            assert [s.name for s in trace.spans] == ["root", "step"]
            assert all(s.end_time_ns is None for s in trace.spans)
            assert all(s.duration_ms is None for s in trace.spans)
            assert trace.get_span(step.span_id).span_type == "llm"
        trace = provider.trace_store.get_trace(root.trace_id)
        assert trace.get_span(step.span_id).end_time_ns == step.end_time_ns
        assert trace.get_span(root.span_id).end_time_ns is None
    trace = provider.trace_store.get_trace(root.trace_id)
    assert all(s.end_time_ns is not None for s in trace.spans)


def test_get_trace_sees_spans_without_flush(provider: TracerProvider, tracer: Tracer) -> None:
    # fewer spans than a batch: nothing has been written by the batching yet
    with tracer.span("only") as span:
        span.set_output("x")
    trace = provider.trace_store.get_trace(span.trace_id)
    assert trace.spans[0].output == "x"
    assert provider.trace_store.list_traces(limit=5)[0].trace_id == span.trace_id


def test_a_read_sees_the_spans_another_provider_of_the_same_file_opened(db: Path) -> None:
    # two providers on one database file (two components of one script): a read through either
    # one, or through a TraceStore of the file, sees every span opened so far
    first = TracerProvider(db)
    second = TracerProvider(os.path.relpath(db))
    agent, tools = first.get_tracer("agent"), second.get_tracer("tools")
    with agent.span("run") as root, tools.span("lookup", span_type="tool") as tool:
        tool.set_output({"stock": 3})
        names = [s.name for s in first.trace_store.get_trace(root.trace_id).spans]
        assert names == ["run", "lookup"]
        (summary,) = TraceStore(db).list_traces()
        assert summary.span_count == 2
    assert first.trace_store.get_trace(root.trace_id).spans[1].output == {"stock": 3}
    first.shutdown()
    second.shutdown()


def test_in_memory_providers_are_separate_databases() -> None:
    first, second = TracerProvider(":memory:"), TracerProvider(":memory:")
    with first.get_tracer("a").span("mine") as mine, second.get_tracer("b").span("theirs"):
        pass
    assert [s.name for s in first.trace_store.get_trace(mine.trace_id).spans] == ["mine"]
    assert [s.name for s in second.trace_store.get_trace(mine.trace_id).spans] == ["theirs"]
    first.shutdown()
    second.shutdown()


def test_flush_writes_to_the_file_for_other_readers(
    db: Path, provider: TracerProvider, tracer: Tracer
) -> None:
    with tracer.span("a"), tracer.span("b"):
        provider.flush()
        assert rows_in_file(db) == [("a", None), ("b", None)]
    provider.flush()
    rows = rows_in_file(db)
    assert [name for name, _ in rows] == ["a", "b"]
    assert all(end is not None for _, end in rows)


def test_many_spans_across_batches_are_all_written(db: Path) -> None:
    provider = TracerProvider(db, batch_size=7)
    tracer = provider.get_tracer("agent")
    with tracer.span("root") as root:
        for i in range(500):
            with tracer.span(f"s{i}", attributes={"i": i}):
                pass
    provider.flush()
    assert len(rows_in_file(db)) == 501
    trace = provider.trace_store.get_trace(root.trace_id)
    assert [s.attributes["i"] for s in trace.spans[1:]] == list(range(500))
    provider.shutdown()


def test_a_full_batch_is_written_by_the_writer_without_a_flush(db: Path) -> None:
    # another process reading the file sees the spans of a full batch, with nothing read or
    # flushed here
    provider = TracerProvider(db, batch_size=2)
    with provider.get_tracer("agent").span("done"):  # (queued twice: as it opens and ends)
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:  # (no table before the first write)
            if rows_in_file(db):
                break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.01)
    assert [name for name, _ in rows_in_file(db)] == ["done"]
    provider.shutdown()


def test_shutdown_is_idempotent_and_persists_queued_spans(db: Path) -> None:
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")
    with tracer.span("before"):
        pass
    provider.shutdown()
    assert provider.is_shutdown
    assert rows_in_file(db) == [("before", rows_in_file(db)[0][1])]
    # its connection is closed: the last one to close (the reader's) removed the WAL file
    assert not Path(f"{db}-wal").exists()
    provider.shutdown()
    provider.shutdown()


def test_shutdown_ends_the_writer_thread(db: Path) -> None:
    before = set(threading.enumerate())
    provider = TracerProvider(db, batch_size=2)
    with provider.get_tracer("agent").span("done"):  # (a full batch: the writer starts)
        pass
    writers = [t for t in set(threading.enumerate()) - before if "trace-writer" in t.name]
    assert writers
    provider.shutdown()
    assert not any(writer.is_alive() for writer in writers)


def test_span_ending_after_shutdown_is_still_persisted(db: Path) -> None:
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")
    with tracer.span("open across shutdown") as root:
        provider.shutdown()
        with tracer.span("after") as late:
            late.set_output(42)
    names = dict(rows_in_file(db))
    assert names["open across shutdown"] == root.end_time_ns
    assert names["after"] == late.end_time_ns
    reader = TracerProvider(db)
    assert reader.trace_store.get_trace(root.trace_id).get_span(late.span_id).output == 42
    reader.shutdown()


def test_a_provider_is_shown_with_its_database(db: Path) -> None:
    provider = TracerProvider(db)
    assert repr(provider) == f"<TracerProvider {str(db)!r}>"
    provider.shutdown()


def test_shutdown_of_an_unused_provider(db: Path) -> None:
    provider = TracerProvider(db)
    provider.shutdown()
    assert provider.is_shutdown


def test_a_dropped_provider_is_freed_at_once_closing_its_memory_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expected: no reference cycle holds a provider, its tracers or its store, so dropping the
    # last reference frees them and closes a ":memory:" database then (shutdown keeps it open
    # to be read). Left to the cyclic garbage collector, the connection could be finalized
    # before the store that closes it: Python 3.13 warns of an unclosed database, an error
    # under filterwarnings = error in whichever test the collection happens to run.
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: opened.append(connect(*a, **k)) or opened[-1]
    )
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("agent")
    with tracer.span("root") as root:
        pass
    assert provider.trace_store.get_trace(root.trace_id).spans[0].name == "root"
    provider.shutdown()
    store = weakref.ref(provider.trace_store)
    [conn] = opened
    gc.collect()
    gc.disable()  # only reference counting frees what follows
    try:
        del provider, tracer, root  # (a span holds its provider)
        assert store() is None
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")
    finally:
        gc.enable()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_provider_dropped_after_a_fork_is_freed_at_once(db: Path) -> None:
    """The providers made ready for a fork are let go once it is done: not kept alive by it."""
    provider = TracerProvider(db)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os._exit(0)
    os.waitpid(pid, 0)
    dropped = weakref.ref(provider)
    gc.collect()
    gc.disable()  # only reference counting frees what follows
    try:
        del provider
        assert dropped() is None
    finally:
        gc.enable()


def test_a_provider_dropped_without_shutdown_writes_its_queued_spans(db: Path) -> None:
    provider = TracerProvider(db)
    with provider.get_tracer("agent").span("queued"):
        pass
    del provider
    gc.collect()  # (a queued span holds its provider)
    assert [name for name, _ in rows_in_file(db)] == ["queued"]


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_never_writes_the_spans_its_parent_had_queued(db: Path) -> None:
    # the child's copy of a span queued at the fork is as it was then: written as the child
    # ends, it would overwrite what the parent wrote since (the span open again)
    import multiprocessing

    context = multiprocessing.get_context("fork")
    provider = TracerProvider(db)
    go = context.Event()
    with provider.get_tracer("agent").span("parent's"):
        child = context.Process(target=go.wait, args=(30,))
        child.start()
    provider.flush()
    go.set()
    child.join()
    assert child.exitcode == 0
    [(name, end)] = rows_in_file(db)
    assert (name, end is None) == ("parent's", False)
    provider.shutdown()


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_process_started_by_a_forked_process_writes_its_spans(db: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")

    def grandchild() -> None:
        with tracer.span("grandchild's"):
            pass

    def child() -> None:
        started = context.Process(target=grandchild)
        started.start()
        started.join()
        sys.exit(started.exitcode)

    worker = context.Process(target=child)
    worker.start()
    worker.join()
    assert worker.exitcode == 0
    assert [(name, end is None) for name, end in rows_in_file(db)] == [("grandchild's", False)]
    provider.shutdown()


def test_non_json_attributes_keep_the_rest_of_the_batch(
    provider: TracerProvider, tracer: Tracer
) -> None:
    when = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
    marker = object()
    with tracer.span("root") as root:
        with tracer.span("plain", attributes={"n": 1}):
            pass
        with tracer.span("odd", attributes={"when": when, "obj": marker, "n": 2}) as odd:
            odd.set_attribute("gen", None)
        with tracer.span("after", attributes={"n": 3}):
            pass
    trace = provider.trace_store.get_trace(root.trace_id)
    assert [s.name for s in trace.spans] == ["root", "plain", "odd", "after"]
    odd_back = trace.get_span(odd.span_id)
    assert odd_back.attributes["when"] == when
    assert odd_back.attributes["n"] == 2
    # the store never holds a pickle: a placeholder naming the type
    assert isinstance(odd_back.attributes["obj"], StoredRepr)
    assert odd_back.attributes["obj"].type_name == "object"
    assert [s.attributes.get("n") for s in trace.spans] == [None, 1, 2, 3]


class _Label:
    def __str__(self) -> str:
        return "label"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", None, "None"),
        ("name", _Label(), "label"),
        ("span_type", _Label(), "label"),
        ("status_message", _Label(), "label"),
        ("tracer_name", _Label(), "label"),
        # bytes were bound as they are: a BLOB read back as bytes, which failed the saving of
        # a golden holding the span with a bare TypeError (bytes are not JSON)
        ("name", b"raw", "b'raw'"),
        ("span_type", b"tool", "b'tool'"),
        ("status_message", b"msg", "b'msg'"),
    ],
    ids=[
        "name None",
        "name object",
        "span_type object",
        "status message",
        "tracer name",
        "name bytes",
        "span_type bytes",
        "status message bytes",
    ],
)
def test_a_name_or_type_sqlite_cannot_store_keeps_the_store_usable(
    provider: TracerProvider, field: str, value: Any, expected: str
) -> None:
    # such a span used to fail every later write and read ("the trace store is damaged"),
    # and no span queued after it was ever written: it is stored as its str()
    tracer = provider.get_tracer(value if field == "tracer_name" else "agent")
    with tracer.span("root") as root:
        with tracer.span(
            value if field == "name" else "odd",
            span_type=value if field == "span_type" else "tool",
        ) as odd:
            if field == "status_message":
                odd.set_status("ERROR", value)
        with tracer.span("after"):
            pass
    provider.flush()
    with tracer.span("later") as later:
        pass
    trace = provider.trace_store.get_trace(root.trace_id)
    back = trace.get_span(odd.span_id)
    stored = {
        "name": back.name,
        "span_type": back.span_type,
        "status_message": back.status_message,
        "tracer_name": back.instrumentation_name,
    }[field]
    assert stored == expected
    assert [s.name for s in trace.spans][::2] == ["root", "after"]
    assert provider.trace_store.get_trace(later.trace_id).spans[0].name == "later"


def test_unpicklable_attribute_becomes_a_repr_with_a_warning(
    provider: TracerProvider, tracer: Tracer
) -> None:
    gen = (i for i in range(2))
    with tracer.span("root") as root:
        with (
            pytest.warns(UnencodableValueWarning, match="generator"),
            tracer.span("odd") as odd,
        ):
            odd.set_attribute("stream", gen)
            odd.set_attribute("ok", "yes")
        with tracer.span("after"):
            pass
    trace = provider.trace_store.get_trace(root.trace_id)
    back = trace.get_span(odd.span_id).attributes
    assert back["ok"] == "yes"
    assert isinstance(back["stream"], StoredRepr)
    assert repr(back["stream"]) == repr(gen).rpartition(" at 0x")[0] + ">"  # no address
    assert [s.name for s in trace.spans] == ["root", "odd", "after"]


def test_non_finite_and_wide_values_in_attributes(provider: TracerProvider, tracer: Tracer) -> None:
    attrs = {"nan_free": 1.5, "inf": float("inf"), "big": 2**70, "tag": {"__cs__": 1}}
    with tracer.span("s", attributes=attrs) as span:
        pass
    back = provider.trace_store.get_trace(span.trace_id).spans[0].attributes
    assert back == attrs


def test_eight_threads_times_one_thousand_spans(db: Path) -> None:
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")
    start = threading.Barrier(8)
    roots: list[str] = []

    def work(n: int) -> None:
        start.wait()
        with tracer.span(f"thread{n}") as root:
            roots.append(root.trace_id)
            for i in range(999):
                with tracer.span(f"t{n}.{i}", attributes={"i": i}):
                    pass

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    provider.shutdown()

    reader = TracerProvider(db)
    assert reader.trace_store.count_spans() == 8000
    assert len(set(roots)) == 8
    for trace_id in roots:
        trace = reader.trace_store.get_trace(trace_id)
        assert len(trace.spans) == 1000
        root = trace.root_span
        assert root is not None
        assert all(s.parent_span_id == root.span_id for s in trace.spans[1:])
        assert all(s.end_time_ns is not None for s in trace.spans)
    reader.shutdown()


def test_failed_write_is_kept_and_raised_by_flush(db: Path) -> None:
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")
    with tracer.span("kept") as span:
        pass
    provider.flush()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("PRAGMA user_version = 99")  # as if a newer release migrated the file
    provider.trace_store.close()
    with tracer.span("queued"):
        pass
    with pytest.raises(TraceStoreError, match="schema version 99"):
        provider.flush()
    blocker.execute("PRAGMA user_version = 1")
    blocker.close()
    provider.flush()  # the queued span was kept and is written now
    names = [s.name for s in provider.trace_store.get_trace(span.trace_id).spans]
    assert names == ["kept"]
    assert {name for name, _ in rows_in_file(db)} == {"kept", "queued"}
    provider.shutdown()


def test_a_shut_down_provider_dropped_with_a_failed_span_says_nothing_more(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After shutdown, the thread ending a span writes it and is told when that fails: the
    span still queued is not told again on stderr when the provider is dropped."""
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")
    provider.shutdown()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("PRAGMA user_version = 99")  # as if a newer release migrated the file
    blocker.close()
    with pytest.raises(TraceStoreError, match="schema version 99"), tracer.span("late"):
        pass
    del provider, tracer
    gc.collect()
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_writes_with_the_inherited_provider(db: Path) -> None:
    provider = TracerProvider(db, batch_size=4)  # the writer thread is running before the fork
    tracer = provider.get_tracer("agent")
    with tracer.span("parent-root") as root:
        for i in range(20):
            with tracer.span(f"p{i}"):
                pass
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                with tracer.span("child-root") as child:
                    for i in range(20):
                        with tracer.span(f"c{i}"):
                            pass
                provider.shutdown()
                code = 0 if child.parent_span_id == root.span_id else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    provider.shutdown()
    assert os.waitstatus_to_exitcode(status) == 0
    names = {name for name, _ in rows_in_file(db)}
    assert {"parent-root", "p0", "p19", "child-root", "c0", "c19"} <= names
    assert len(names) == 2 + 40


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_writes_from_a_thread_other_than_the_one_that_forked(db: Path) -> None:
    """The store's lock, held across the fork by the forking thread, is a new one in the child:
    another of the child's threads writing is not blocked for ever."""
    provider = TracerProvider(db)
    tracer = provider.get_tracer("agent")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:

            def work() -> None:
                with tracer.span("child's thread"):
                    pass
                provider.flush()

            worker = threading.Thread(target=work)
            worker.start()
            worker.join(60)  # (only a bound on a hang: it ends at once)
            code = 3 if worker.is_alive() else 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    provider.shutdown()
    assert os.waitstatus_to_exitcode(status) == 0
    assert [name for name, _ in rows_in_file(db)] == ["child's thread"]


def _record_in_a_worker(provider: TracerProvider) -> None:  # pragma: no cover - in the child
    with provider.get_tracer("worker").span("job", span_type="tool"):
        pass


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_multiprocessing_worker_writes_its_spans_without_shutdown(db: Path) -> None:
    # a module-level provider used in a forked pool worker, which never calls shutdown(): a
    # multiprocessing child ends with os._exit, so the interpreter's exit hooks never run there
    import multiprocessing

    provider = TracerProvider(db)
    worker = multiprocessing.get_context("fork").Process(
        target=_record_in_a_worker, args=(provider,)
    )
    worker.start()
    worker.join()
    provider.shutdown()
    assert worker.exitcode == 0
    [(name, end)] = rows_in_file(db)
    assert (name, end is None) == ("job", False)


def _record_with_a_provider_made_in_the_worker(db: Path) -> None:  # pragma: no cover - child
    provider = TracerProvider(db)
    with provider.get_tracer("worker").span("job", span_type="tool"):
        pass


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
@pytest.mark.parametrize("made", ["module level", "in the target"])
def test_a_provider_made_in_a_forkserver_or_spawn_worker_writes_its_spans(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, made: str
) -> None:
    # a forkserver child (the default start method on Linux from Python 3.14) imports the
    # module after its fork and ends with os._exit: no fork hook nor exit hook ran there, and
    # its queued spans were lost without a word
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    target: Any = _record_with_a_provider_made_in_the_worker
    args: tuple[Any, ...] = (db,)
    if made == "module level":  # a module the worker imports afresh, with its provider
        module = f"tracing_worker_{method}"
        (tmp_path / f"{module}.py").write_text(
            "from pytest_clearstone.observability import TracerProvider\n"
            f"provider = TracerProvider({str(db)!r})\n"
            "tracer = provider.get_tracer('worker')\n\n"
            "@tracer.traced(span_type='tool', name='job')\n"
            "def job():\n"
            "    return 1\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        target, args = __import__(module).job, ()
    worker = multiprocessing.get_context(method).Process(target=target, args=args)
    worker.start()
    worker.join()
    assert worker.exitcode == 0
    [(name, end)] = rows_in_file(db)
    assert (name, end is None) == ("job", False)


_SHUT_DOWN_IN_A_SPAWNED_CHILD = """
import multiprocessing
import sqlite3
from pytest_clearstone.observability import TracerProvider

provider = TracerProvider({db!r})
tracer = provider.get_tracer("child")


def job():
    provider.shutdown()
    with tracer.span("first"):
        pass
    with tracer.span("second"):
        pass
    conn = sqlite3.connect({db!r})
    print(sorted(conn.execute("SELECT name, end_time_ns IS NULL FROM spans")), flush=True)
    conn.close()


if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=job)
    child.start()
    child.join()
"""


def test_spans_ending_after_shutdown_in_a_spawned_child_are_written_at_once(
    db: Path, tmp_path: Path
) -> None:
    """A provider a spawned child made as it imported its main module, shut down before its
    first span: the spans after are written as they end, as in any process."""

    script = tmp_path / "spawned_child.py"
    script.write_text(_SHUT_DOWN_IN_A_SPAWNED_CHILD.format(db=str(db)))
    run = _run_python(str(script))
    assert (run.stdout, run.stderr) == ("[('first', 0), ('second', 0)]\n", "")


def _spans_seen_inside_a_span_after_shutdown(
    db: Path,
) -> list[tuple[str, bool]]:  # pragma: no cover - in a pool's worker
    provider = TracerProvider(db)
    tracer = provider.get_tracer("worker")
    provider.shutdown()
    with tracer.span("task"):
        with tracer.span("step"):
            pass
        return [(name, end is None) for name, end in rows_in_file(db)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_spans_ending_after_shutdown_in_a_pool_s_worker_are_written_at_once(db: Path) -> None:
    """In a pool's worker, spans are written when no span is left open; after shutdown, as
    they end, like anywhere else."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        seen = pool.apply(_spans_seen_inside_a_span_after_shutdown, (db,))
    assert seen == [("task", True), ("step", False)]


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
@pytest.mark.parametrize("where", ["imported module", "main module"])
def test_spans_of_a_pool_s_workers_are_written_before_the_pool_is_terminated(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, where: str
) -> None:
    # `with Pool() as pool:` ends with terminate(): its workers are killed with SIGTERM, and
    # what they had queued (every span of their tasks, under a batch) was lost without a word
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    module = f"tracing_pool_{method}"
    (tmp_path / f"{module}.py").write_text(
        "from pytest_clearstone.observability import TracerProvider\n"
        f"provider = TracerProvider({str(db)!r})\n"
        "tracer = provider.get_tracer('worker')\n\n"
        "@tracer.traced(span_type='tool', name='job')\n"
        "def job(i):\n"
        "    with tracer.span('step'):\n"
        "        return i * 2\n"
    )
    if where == "main module":  # (a spawned worker imports it before it starts)
        script = tmp_path / f"{module}.py"
        script.write_text(
            script.read_text()
            + "\nif __name__ == '__main__':\n"
            + "    import multiprocessing\n"
            + f"    with multiprocessing.get_context({method!r}).Pool(2) as pool:\n"
            + "        print(pool.map(job, range(4)))\n"
        )
        run = _run_python(str(script))
        assert (run.stdout, run.stderr) == ("[0, 2, 4, 6]\n", "")
    else:
        monkeypatch.syspath_prepend(str(tmp_path))
        job = __import__(module).job
        with multiprocessing.get_context(method).Pool(2) as pool:
            assert pool.map(job, range(4)) == [0, 2, 4, 6]
    rows = rows_in_file(db)
    assert sorted(name for name, _ in rows) == ["job"] * 4 + ["step"] * 4
    # written as they ended, not only as they opened
    assert [name for name, end in rows if end is None] == []


_UNWRITABLE = """
import sys
from pytest_clearstone.observability import TracerProvider

provider = TracerProvider(sys.argv[1])
with provider.get_tracer("script").span("run"):
    with provider.get_tracer("script").span("step"):
        pass
if sys.argv[2] == "dropped":
    del provider
if sys.argv[2] == "held by a thread":  # (a daemon thread's frame: never freed, no __del__)
    import threading

    threading.Thread(target=lambda held=provider: threading.Event().wait(), daemon=True).start()
    del provider
elif sys.argv[2] == "shutdown":
    try:
        provider.shutdown()
    except Exception as exc:
        print(type(exc).__name__, flush=True)
print("done", flush=True)
"""


@pytest.mark.parametrize("end", ["exit", "dropped", "held by a thread"])
def test_spans_a_script_could_not_write_at_its_end_are_reported(tmp_path: Path, end: str) -> None:
    # a script that leaves its spans to be written when it ends (no shutdown()), or drops its
    # provider, into a store that cannot be opened (here a directory): they were dropped without
    # a word and the script ended as if all went well

    (tmp_path / "traces.db").mkdir()
    run = _run_python("-c", _UNWRITABLE, str(tmp_path / "traces.db"), end)
    assert run.stdout == "done\n"
    assert "Traceback" not in run.stderr
    assert (
        f"pytest-clearstone: 2 span(s) were not written to the trace store "
        f"{str(tmp_path / 'traces.db')!r}: cannot open the trace store"
    ) in run.stderr
    assert run.stderr.count("were not written") == 1  # (once: the spans are let go)


def test_spans_a_failed_shutdown_raised_for_are_not_reported_again_at_the_end(
    tmp_path: Path,
) -> None:
    # a script following the guide calls shutdown() on a store that cannot take its spans (here
    # a directory): the error reached the script, and the same failure was told again on stderr
    # as the process ended ("2 span(s) were not written"), though somebody had it to handle

    (tmp_path / "traces.db").mkdir()
    run = _run_python("-c", _UNWRITABLE, str(tmp_path / "traces.db"), "shutdown")
    assert run.stdout == "TraceStoreError\ndone\n"
    assert run.stderr == ""


def test_a_provider_freed_as_the_interpreter_ends_says_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a provider in a reference cycle may be freed by a collection after the interpreter has
    # cleared its modules' names (None): its __del__ then failed on `contextlib`, and Python
    # printed "Exception ignored in: <function TracerProvider.__del__ ...>" at the end of a
    # pytest-xdist worker. The names cleared are simulated here (the moment of that last
    # collection varies from run to run).
    import pytest_clearstone.tracing.provider as provider_module

    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("a"):
        pass
    for name in ("contextlib", "sys", "threading"):
        monkeypatch.setattr(provider_module, name, None)
    provider.__del__()  # (what Python runs when it frees the provider)
    monkeypatch.undo()
    provider.shutdown()
