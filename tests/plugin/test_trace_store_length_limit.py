"""A span holding a value longer than SQLite stores in one string (``SQLITE_LIMIT_LENGTH``, a
billion bytes in a default build; lowered here to a megabyte): the value is
stored as a placeholder saying so, the span and every other span of the run are kept (contract
§1: no span is dropped silently, the rest of the batch survives), and no advice to delete the
store is given."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from pytest_clearstone.observability import TraceStore


@pytest.fixture(autouse=True)
def lower_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build of SQLite with a lower limit (the inner runs are in this process)."""
    connect = sqlite3.connect

    def limited(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000)
        return conn

    monkeypatch.setattr(sqlite3, "connect", limited)


def test_a_value_longer_than_sqlite_stores_loses_no_span(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_traced="""
        def test_huge(clearstone_tracer):
            with clearstone_tracer.span("transcribe", span_type="tool") as span:
                span.set_input({"audio": "a" * 2_000_000})
                span.set_output("x" * 2_000_000)
                span.set_attribute("raw", "r" * 2_000_000)
                span.set_attribute("model", "whisper")

        def test_small(clearstone_tracer):
            with clearstone_tracer.span("plan") as span:
                span.set_output("ok")
        """
    )
    result = pytester.runpytest("--clearstone-db", "store.db", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "damaged" not in result.stdout.str()
    assert "not written to the trace store" not in result.stdout.str()
    store = TraceStore(pytester.path / "store.db")
    traces = {s.root_name: store.get_trace(s.trace_id) for s in store.list_traces()}
    assert set(traces) == {"test_traced.py::test_huge", "test_traced.py::test_small"}
    _, huge = traces["test_traced.py::test_huge"].spans
    assert huge.name == "transcribe" and huge.end_time_ns is not None
    assert huge.attributes["model"] == "whisper"
    for value in (huge.input, huge.output, huge.attributes["raw"]):
        assert "more than the trace store holds" in repr(value)
    assert traces["test_traced.py::test_small"].spans[1].output == "ok"


def test_a_recorded_answer_longer_than_sqlite_stores_is_refused(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        app="""
        def transcribe(path):
            return "x" * 2_000_000

        class Agent:
            def run(self, path):
                return len(transcribe(path))
        """,
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"tool": "app.transcribe"})
        def test_it(replay):
            replay.run(Agent().run, "a.wav")
        """,
    )
    pytester.syspathinsert()
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    assert not (pytester.path / "g.ckpt").exists()
    result.stdout.fnmatch_lines(
        ["*answer of call #1 to app.transcribe (a str)*more than the trace store holds*"]
    )
    assert "damaged" not in result.stdout.str()
