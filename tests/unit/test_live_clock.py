"""Which recorded live calls of sync targets ran beside calls of other branches (golden/
live_clock.py): named when a replay fails on clock readings only, as what put the other threads
on the real clock when recorded."""

from __future__ import annotations

from typing import Any

from pytest_clearstone.golden.live_clock import overlapping_sync_calls
from pytest_clearstone.golden.mocks import BRANCH_ATTRIBUTE, TARGET_ATTRIBUTE
from pytest_clearstone.tracing.span import Span


def complete(prompt: str) -> str:
    return prompt


async def acomplete(prompt: str) -> str:
    return prompt


def lookup(query: str) -> str:
    return query


async def astream(prompt: str) -> Any:
    yield prompt


FUNCTIONS: dict[str, Any] = {
    "app.complete": complete,
    "app.acomplete": acomplete,
    "app.lookup": lookup,
    "app.astream": astream,
}


def _call(span_id: str, target: str, branch: str, start: int, end: int) -> Span:
    return Span(
        trace_id="t",
        span_id=span_id,
        parent_span_id="root",
        name=target,
        start_time_ns=start,
        end_time_ns=end,
        attributes={TARGET_ATTRIBUTE: target, BRANCH_ATTRIBUTE: branch},
    )


def test_sync_calls_of_two_jobs_that_overlap_are_named() -> None:
    spans = [
        _call("a", "app.complete", "0/job#0", 0, 30),
        _call("b", "app.complete", "0/job#1", 10, 40),
    ]
    assert overlapping_sync_calls(spans, FUNCTIONS) == ["app.complete"]


def test_calls_one_after_the_other_or_in_one_branch_are_not() -> None:
    spans = [
        _call("a", "app.complete", "0/job#0", 0, 10),
        _call("b", "app.complete", "0/job#1", 10, 20),  # (starts as the first ends)
        _call("c", "app.lookup", "0/job#1", 12, 18),  # (in the branch of b)
    ]
    assert overlapping_sync_calls(spans, FUNCTIONS) == []


def test_async_calls_are_not_named_and_a_sync_one_beside_them_is() -> None:
    spans = [
        _call("a", "app.acomplete", "0/task#0", 0, 30),
        _call("b", "app.acomplete", "0/task#1", 5, 25),
        _call("c", "app.lookup", "0/task#2", 10, 12),
    ]
    assert overlapping_sync_calls(spans, FUNCTIONS) == ["app.lookup"]


def test_calls_without_a_branch_or_an_end_or_of_an_unknown_target_are_left_out() -> None:
    spans = [
        _call("a", "app.complete", "", 0, 30),  # (beside b, but of no known branch)
        _call("b", "app.gone", "0/job#1", 5, 25),  # (beside c: its target is not patched)
        _call("c", "app.gone", "0/job#2", 6, 20),
        Span(trace_id="t", span_id="d", parent_span_id="root", name="agent", start_time_ns=1),
    ]
    assert overlapping_sync_calls(spans, FUNCTIONS) == []


def test_a_sync_call_is_named_beside_a_later_async_call_and_an_async_generator_is_not() -> None:
    spans = [
        _call("a", "app.lookup", "0/task#0", 0, 30),
        _call("b", "app.acomplete", "0/task#1", 5, 25),
        _call("c", "app.astream", "0/task#2", 40, 60),
        _call("d", "app.astream", "0/task#3", 45, 55),
    ]
    assert overlapping_sync_calls(spans, FUNCTIONS) == ["app.lookup"]


def test_calls_are_named_in_the_order_of_their_first_overlap_whatever_the_spans_order() -> None:
    spans = [
        _call("e", "app.complete", "0/job#3", 100, 110),  # (after all the others: beside none)
        _call("c", "app.complete", "0/job#2", 35, 50),
        _call("b", "app.lookup", "0/job#1", 5, 40),
        _call("a", "app.complete", "0/job#0", 0, 30),
        _call("f", "app.lookup", "0/job#4", 120, 130),
        _call("g", "app.complete", "0/job#5", 125, 126),  # (beside f: both named before)
    ]
    assert overlapping_sync_calls(spans, FUNCTIONS) == ["app.complete", "app.lookup"]
    assert overlapping_sync_calls(spans[:2] + spans[4:], FUNCTIONS) == [
        "app.lookup", "app.complete",
    ]  # fmt: skip


def test_a_call_still_running_is_left_out() -> None:
    spans = [
        _call("a", "app.complete", "0/job#0", 0, 30),
        _call("b", "app.lookup", "0/job#1", 10, 40),
    ]
    spans[1].end_time_ns = None
    assert overlapping_sync_calls(spans, FUNCTIONS) == []


def test_the_advice_names_every_target_whose_calls_overlapped() -> None:
    from pytest_clearstone.errors import real_clock_in_threads

    advice = real_clock_in_threads(["app.complete", "app.search"])
    assert advice.startswith("When recorded, live calls to app.complete, app.search ran at the")
