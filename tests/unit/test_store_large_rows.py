"""TraceStore with spans holding megabytes (audio, images): stored exactly, at about the cost of
one copy of the row, not one JSON parse of it per column."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pytest_clearstone.observability import TraceStore
from pytest_clearstone.tracing.span import Recorded, Span

MB = 1_000_000


def _span(span_id: str, *, end: int | None = 2, inp: Any = None, out: Any = None) -> Span:
    return Span(
        trace_id="t1",
        span_id=span_id,
        parent_span_id=None if span_id == "root" else "root",
        name=f"app.{span_id}",
        span_type="tool",
        attributes={"n": 1},
        start_time_ns=1,
        end_time_ns=end,
        status="OK" if end is not None else "UNSET",
        input=None if inp is None else Recorded.of(inp),
        output=None if out is None else Recorded.of(out),
    )


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL (parameters expanded) that stores opened in this test run."""
    seen: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    yield seen


def test_a_span_with_megabytes_of_bytes_round_trips_exactly(tmp_path: Path) -> None:
    data = random.Random(0).randbytes(3 * MB)
    store = TraceStore(tmp_path / "traces.db")
    try:
        store.write_spans(
            [_span("root"), _span("big", inp={"audio": data}, out=data[::-1]), _span("after")]
        )
        spans = {s.span_id: s for s in store.get_trace("t1").spans}
    finally:
        store.close()
    assert set(spans) == {"root", "big", "after"}
    big = spans["big"]
    assert big.input == {"audio": data}
    assert big.output == data[::-1]


def test_a_large_row_is_bound_as_parameters_not_parsed_from_one_json_array(
    tmp_path: Path, statements: list[str]
) -> None:
    # json_each() hands each of the 16 json_extract() calls the row's JSON afresh: SQLite 3.40
    # parses and copies a large row once per column (2 s and +878 MB for a 20 MB tool call)
    data = random.Random(1).randbytes(MB)
    small = [_span(f"s{i}") for i in range(3)]
    store = TraceStore(tmp_path / "traces.db")
    try:
        store.write_spans([*small, _span("big", inp=data, out=data), *small[:2]])
        big = store.get_trace("t1").get_span("big")
    finally:
        store.close()
    assert big.output == data
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    via_json = [s for s in inserts if "json_each(" in s]
    assert via_json, "small spans still go to SQLite as one JSON array"
    assert all(len(s) < MB for s in via_json), "the large row went through json_each()"
    # the large row went as its own parameters: its statement holds its two payloads
    assert any(len(s) > 2 * MB and "json_each(" not in s for s in inserts)


def test_small_spans_go_as_one_json_array_per_chunk(tmp_path: Path, statements: list[str]) -> None:
    store = TraceStore(tmp_path / "traces.db")
    try:
        store.write_spans([_span(f"s{i}", inp={"q": "x" * 100}, out="y" * 100) for i in range(100)])
        assert store.count_spans() == 100
    finally:
        store.close()
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert "json_each(" in inserts[0]


def test_the_last_version_of_a_span_wins_across_large_and_small_rows(tmp_path: Path) -> None:
    data = random.Random(2).randbytes(MB)
    store = TraceStore(tmp_path / "traces.db")
    try:
        store.write_spans(
            [
                _span("a", end=None),  # open, small
                _span("b", end=None, inp=data),  # open, large
                _span("a", end=5, inp=data, out=data),  # ended, large
                _span("b", end=6, out="done"),  # ended, small
            ]
        )
        trace = store.get_trace("t1")
    finally:
        store.close()
    a, b = trace.get_span("a"), trace.get_span("b")
    assert a.end_time_ns == 5 and a.output == data
    assert b.end_time_ns == 6 and b.input is None
    assert b.output == "done"


_MEMORY_CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    from pytest_clearstone.observability import TraceStore
    from pytest_clearstone.tracing.span import Recorded, Span

    data = os.urandom(int(sys.argv[2]))
    span = Span(trace_id="t1", span_id="big", parent_span_id=None, name="app.transcribe",
                span_type="tool", start_time_ns=1, end_time_ns=2, status="OK",
                input=Recorded.of({"audio": data}), output=Recorded.of(data))
    store = TraceStore(sys.argv[1])
    # open the file and create the table first
    store.write_spans([Span(trace_id="t0", span_id="w", parent_span_id=None, name="warm-up")])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.write_spans([span])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.close()
    print(json.dumps({"growth_kb": after - before}))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX only")
def test_storing_a_large_span_takes_a_few_copies_of_it_not_one_per_column(
    tmp_path: Path,
) -> None:
    size = 8 * MB  # bytes in the input and again in the output; 2 x 10.7 MB of base64 text
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(tmp_path / "traces.db"), str(size)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    growth = json.loads(proc.stdout)["growth_kb"] * 1024  # ru_maxrss: KB on Linux
    if sys.platform == "darwin":
        growth //= 1024  # bytes on macOS
    text = 2 * size * 4 / 3  # the row's JSON columns
    # before: ~16 copies (one per json_extract() column); now: the column text, SQLite's bound
    # copy and its record, about 3
    assert growth < 6 * text, f"writing {text / MB:.0f} MB of JSON grew RSS by {growth / MB:.0f} MB"


@pytest.fixture
def megabyte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build of SQLite that stores strings of a megabyte at most."""
    connect = sqlite3.connect

    def limited(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MB)
        return conn

    monkeypatch.setattr(sqlite3, "connect", limited)


def test_a_too_long_error_keeps_its_message_start_and_drops_its_arguments(
    tmp_path: Path, megabyte_limit: None
) -> None:
    # the status message counted in bytes (600,000 characters of two bytes each), the error's
    # arguments (two megabytes) let go, the message's first bytes kept
    failed = _span("failed")
    failed.set_error(
        {"type": "ValueError", "module": "builtins", "message": "bad", "args": ["a" * 2 * MB]},
        "boom: " + "é" * 600_000,
    )
    store = TraceStore(tmp_path / "traces.db")
    try:
        store.write_spans([_span("root"), failed])
        (_, stored) = store.get_trace("t1").spans
    finally:
        store.close()
    assert stored.status == "ERROR" and stored.status_message is not None
    assert stored.status_message.startswith("boom: éé")
    kept, _, _ = stored.status_message.partition("... (")
    assert kept == ("boom: " + "é" * 600_000)[:4096]  # (its first 4,096 characters)
    assert "more than the trace store holds" in stored.status_message
    assert stored.error is not None and stored.error["args"] == []
    assert stored.error["message"] == "bad"


class Answer(BaseModel):
    text: str


def test_a_too_long_model_is_named_by_its_class_in_its_placeholder(
    tmp_path: Path, megabyte_limit: None
) -> None:
    # a pydantic model's tag keeps its class under "cls": the placeholder names the class, not
    # only the kind of tag ("pydantic")
    store = TraceStore(tmp_path / "traces.db")
    try:
        store.write_spans([_span("root"), _span("big", out=Answer(text="a" * 2 * MB))])
        (_, stored) = store.get_trace("t1").spans
    finally:
        store.close()
    assert stored.output is not None
    shown = repr(stored.output)
    assert shown.startswith(f"<{Answer.__module__}:Answer of 20000"), shown
    assert "more than the trace store holds" in shown
