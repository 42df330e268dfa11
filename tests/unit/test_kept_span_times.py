"""A re-record whose spans are the same but for their times keeps the previous golden's times
(:func:`~pytest_clearstone.golden.identity.keep_previous_span_times`), unless a replay would go
by them otherwise than by the times measured now: the calls a concurrent async call waits to
be answered and to be made, how long after the run began a call cancelled from outside was cut
off."""

from __future__ import annotations

from typing import Any

from pytest_clearstone.golden.identity import keep_previous_span_times
from pytest_clearstone.tracing.trace import Trace

CANCELLED = {"type": "CancelledError", "module": "asyncio.exceptions", "message": ""}
FAILED = {"type": "ValueError", "module": "builtins", "message": "no"}


def _span(index: int, start: int, end: int, **fields: Any) -> dict[str, Any]:
    return {
        "span_id": f"{index:016x}",
        "trace_id": "0" * 32,
        "parent_span_id": None,
        "name": f"s{index}",
        "span_type": "tool",
        "start_time_ns": start,
        "end_time_ns": end,
        "attributes": {},
        "status": "ok",
        **fields,
    }


def _call(index: int, branch: str, start: int, end: int) -> dict[str, Any]:
    attributes = {"clearstone.target": "t", "clearstone.branch": branch}
    return _span(index, start, end, attributes=attributes)


def _kept(previous: list[dict[str, Any]], now: list[dict[str, Any]], ordered: Any = ()) -> bool:
    trace = Trace.from_dict({"trace_id": "0" * 32, "spans": now})
    document = {"trace": Trace.from_dict({"trace_id": "0" * 32, "spans": previous}).to_dict()}
    kept = keep_previous_span_times(trace, document, ordered)
    times = [(s.start_time_ns, s.end_time_ns) for s in trace.spans]
    assert times == [(s["start_time_ns"], s["end_time_ns"]) for s in (previous if kept else now)]
    return kept


def test_a_call_cancelled_as_long_after_a_later_run_began_keeps_the_previous_times() -> None:
    """A re-record runs later than the recording: a call cut off as long after its run began
    as before (or sooner) is cut off alike, so the file keeps its times (it is left as it
    was); cut off later by more than half the grace a replay waits, they are the new ones."""
    later = 50 * 10**9  # (the re-record began 50 s after the recording did)
    previous = [_span(0, 0, 90), _span(1, 10, 60, error=CANCELLED)]
    for cut, kept in ((60, True), (40, True), (60 + 4 * 10**8, True), (60 + 6 * 10**8, False)):
        now = [_span(0, later, later + 10**9), _span(1, later + 10, later + cut, error=CANCELLED)]
        assert _kept(previous, now) is kept, cut


def test_a_call_that_failed_later_than_recorded_keeps_the_previous_times() -> None:
    """Only a call cancelled from outside is replayed by when it ended: another error, raised
    later in the re-record, keeps the previous times."""
    previous = [_span(0, 0, 90), _span(1, 10, 60, error=FAILED)]
    now = [_span(0, 0, 5 * 10**9), _span(1, 10, 4 * 10**9, error=FAILED)]
    assert _kept(previous, now) is True


def test_a_concurrent_call_waiting_to_be_made_otherwise_keeps_no_times() -> None:
    """Recorded, ``b``'s call started while ``a``'s ran (``a``'s replay waits for it to be
    made); re-recorded, they started at once (``a``'s waits for none): with the previous times
    kept, the replay would wait for what no longer comes first. The calls each waits to be
    answered are the same in both (``b``'s for ``a``'s)."""
    previous = [_span(0, 0, 300), _call(1, "a", 10, 100), _call(2, "b", 20, 200)]
    now = [_span(0, 0, 300), _call(1, "a", 10, 100), _call(2, "b", 10, 200)]
    assert _kept(previous, now, ordered={"t"}) is False
    assert _kept(previous, previous, ordered={"t"}) is True
