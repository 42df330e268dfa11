"""Call order (``golden/ordering.py``): the order a golden lists and numbers its recorded calls
in, the same whichever order parallel branches started their calls in."""

from __future__ import annotations

import itertools

import pytest

from pytest_clearstone.golden.ordering import branch_of, call_order, in_call_order
from pytest_clearstone.tracing.span import Span
from pytest_clearstone.tracing.trace import Trace


def _order(*calls: str) -> list[str]:
    """``"name@branch"`` items in start order, in call order (``name`` alone: not a call)."""
    return call_order(list(calls), lambda call: call.partition("@")[2])


def test_one_branch_keeps_the_start_order() -> None:
    assert _order("b@0", "a@0", "root", "c@0") == ["b@0", "a@0", "root", "c@0"]


def test_parallel_jobs_are_in_the_order_they_were_handed_out_whichever_started_first() -> None:
    jobs = ["s0@0/work#0", "l0@0/work#0", "s1@0/work#1", "l1@0/work#1", "s2@0/work#2"]
    ordered = _order(*jobs)
    assert ordered == jobs
    # every interleaving that keeps each job's own calls in order gives the same list
    for started in itertools.permutations(jobs):
        if started.index("s0@0/work#0") < started.index("l0@0/work#0") and started.index(
            "s1@0/work#1"
        ) < started.index("l1@0/work#1"):
            assert _order(*started) == ordered


def test_a_job_index_is_compared_as_a_number() -> None:
    assert _order("b@0/w#10", "a@0/w#2") == ["a@0/w#2", "b@0/w#10"]


def test_jobs_come_where_they_started_among_their_parents_own_calls() -> None:
    # the main flow plans, hands out two jobs and sums up their answers
    started = ["plan@0", "b@0/work#1", "a@0/work#0", "sum@0"]
    assert _order(*started) == ["plan@0", "a@0/work#0", "b@0/work#1", "sum@0"]
    # a job handed out after the main flow's second call comes after it
    started = ["one@0", "two@0", "x@0/late#0", "three@0"]
    assert _order(*started) == started


def test_nested_branches_stay_with_their_parent_job() -> None:
    started = [
        "b@0/run#1",
        "a-inner@0/run#0/tool#0",
        "b-inner@0/run#1/tool#0",
        "a@0/run#0",
    ]
    assert _order(*started) == [
        "a-inner@0/run#0/tool#0",
        "a@0/run#0",
        "b@0/run#1",
        "b-inner@0/run#1/tool#0",
    ]


def test_spans_that_are_not_branch_calls_keep_their_places() -> None:
    started = ["root", "b@0/w#1", "own-span", "x@", "a@0/w#0"]
    assert _order(*started) == ["root", "a@0/w#0", "own-span", "x@", "b@0/w#1"]


def test_legacy_keys_are_ordered_by_the_jobs_place() -> None:
    # goldens of earlier versions key a job by its place among all its parent's jobs
    assert _order("a@0", "c@0/10", "b@0/2") == ["a@0", "b@0/2", "c@0/10"]


def test_keys_without_a_job_index_are_ordered_by_their_name() -> None:
    # (a thread named by its function, without "#": whichever started first)
    assert _order("z@0/zeta", "a@0/alpha") == ["a@0/alpha", "z@0/zeta"]


@pytest.mark.parametrize(
    "started",
    [
        ["plan@0", "b@0/work#1", "a@0/work#0", "sum@0"],
        ["b@0/run#1", "a-inner@0/run#0/tool#0", "b-inner@0/run#1/tool#0", "a@0/run#0"],
        ["root", "b@0/w#1", "own-span", "x@", "a@0/w#0"],
    ],
)
def test_call_order_of_a_list_in_call_order_is_itself(started: list[str]) -> None:
    # a golden lists its spans in call order; read back in that order, nothing moves
    ordered = _order(*started)
    assert _order(*ordered) == ordered


def _span(name: str, start: int, branch: str | None) -> Span:
    attributes = {} if branch is None else {"clearstone.target": name, "clearstone.branch": branch}
    return Span(
        trace_id="t",
        span_id=name,
        parent_span_id=None if name == "root" else "root",
        name=name,
        attributes=attributes,
        start_time_ns=start,
    )


def test_a_trace_in_call_order() -> None:
    spans = [_span("root", 0, None), _span("b", 1, "0/w#1"), _span("a", 2, "0/w#0")]
    trace = Trace("t", spans)
    ordered = in_call_order(trace)
    assert [s.name for s in ordered.spans] == ["root", "a", "b"]
    assert [s.name for s in trace.spans] == ["root", "b", "a"]  # (a copy: trace is as it was)
    assert ordered.get_span("a") is spans[2]
    assert in_call_order(ordered) is ordered
    serial = Trace("t", [_span("root", 0, None), _span("a", 1, "0"), _span("b", 2, "0")])
    assert in_call_order(serial) is serial


def test_branch_of_reads_recorded_calls_only() -> None:
    assert branch_of({"clearstone.target": "app.f", "clearstone.branch": "0/w#1"}) == "0/w#1"
    assert branch_of({"clearstone.branch": "0/w#1"}) == ""  # not a recorded call
    assert branch_of({"clearstone.target": "app.f", "clearstone.branch": 3}) == ""
    assert branch_of(None) == ""


def _placed(*calls: str) -> list[str]:
    """``"name@branch!places"`` items in start order, in call order."""
    return call_order(
        list(calls),
        lambda call: call.partition("@")[2].partition("!")[0],
        lambda call: call.partition("!")[2],
    )


def test_a_job_comes_where_its_parent_handed_it_out_whichever_call_started_first() -> None:
    # handed out before the main flow's first call ("!0"), its call started after the second
    # or between them, depending on the live latency of the first: listed first either way
    for started in (
        ["plan@0", "act@0", "x@0/bg#0!0"],
        ["plan@0", "x@0/bg#0!0", "act@0"],
        ["x@0/bg#0!0", "plan@0", "act@0"],
    ):
        assert _placed(*started) == ["x@0/bg#0!0", "plan@0", "act@0"]
    # nested: the inner job was handed out after its parent's first call
    started = ["a@0/run#0!0", "one@0", "inner@0/run#0/tool#0!0/1", "two@0", "b@0/run#0!0"]
    assert _placed(*started) == [
        "a@0/run#0!0",
        "inner@0/run#0/tool#0!0/1",
        "b@0/run#0!0",
        "one@0",
        "two@0",
    ]


def test_jobs_of_other_functions_come_where_they_were_handed_out_not_by_name() -> None:
    """Siblings at different places are in the order of their places; their keys order only
    those at the same place (``zeta`` handed out first comes first)."""
    assert _placed("plan@0", "z@0/zeta#0!0", "a@0/alpha#0!1", "act@0") == [
        "z@0/zeta#0!0",
        "plan@0",
        "a@0/alpha#0!1",
        "act@0",
    ]
    # (recorded without places: where their first calls started)
    assert _order("z@0/zeta#0", "plan@0", "a@0/alpha#0", "act@0") == [
        "z@0/zeta#0",
        "plan@0",
        "a@0/alpha#0",
        "act@0",
    ]


def _at_their_calls(items: list[tuple[str, str | None, bool]]) -> list[str]:
    from pytest_clearstone.golden.ordering import at_their_calls

    return [i[0] for i in at_their_calls(items, lambda i: i[0], lambda i: i[1], lambda i: i[2])]


def test_an_own_span_comes_just_before_the_first_call_under_it_whatever_its_start() -> None:
    # (id, parent, is a call), in call order: node b started before node a, whose job's call
    # comes first; a span with no call under it keeps its place; parents before children
    items = [
        ("root", None, False),
        ("call a", "node a", True),
        ("node b", "root", False),
        ("call b", "node b", True),
        ("node a", "root", False),
        ("setup", "root", False),
    ]
    assert _at_their_calls(items) == ["root", "node a", "call a", "node b", "call b", "setup"]


def test_calls_keep_their_order_also_under_a_call_and_parents_that_loop() -> None:
    nested = [("root", None, False), ("C", "root", True), ("x", "root", True), ("D", "C", True)]
    assert _at_their_calls(nested) == ["root", "C", "x", "D"]
    looped = [("a", "b", False), ("b", "a", False), ("c", "a", True)]
    assert sorted(_at_their_calls(looped)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "keys",
    [
        ("0/" + "/".join(["job#0"] * 5000), "0"),  # a branch 5,000 levels deep
        ("0/a#" + "9" * 5000, "0/a#1"),  # a job index longer than Python reads as a number
        ("0/a#\u00b2", "0/a#1"),  # a digit that is no decimal one (superscript two)
        ("0/" + "7" * 5000, "0/1"),  # a legacy job index as long
    ],
)
def test_hostile_branch_keys_are_ordered_without_a_crash(keys: tuple[str, str]) -> None:
    # Expected: a golden's branch keys (text a file chooses) are ordered whatever they hold.
    # Before the fix: RecursionError for a deep key, ValueError for a long or odd index, both
    # as tracebacks of a replay or of `show --calls`.
    calls = [f"first@{keys[0]}", f"second@{keys[1]}"]
    assert sorted(_order(*calls)) == sorted(calls)


@pytest.mark.parametrize("places", ["9" * 5000, "\u00b2", "1/" * 3000])
def test_hostile_places_are_ordered_without_a_crash(places: str) -> None:
    items = [("a", "0/a#1", places), ("b", "0", "")]
    ordered = call_order(items, lambda item: item[1], lambda item: item[2])
    assert sorted(ordered) == sorted(items)


def test_job_indexes_past_two_digits_are_still_compared_as_numbers() -> None:
    # (a map over 150 documents: each job in the order it was handed out, whichever started)
    started = [f"c{i}@0/w#{i}" for i in (101, 100, 99, 150)]
    assert _order(*started) == [f"c{i}@0/w#{i}" for i in (99, 100, 101, 150)]


def test_children_placed_past_the_parents_calls_come_in_the_order_of_their_keys() -> None:
    # places past the parent's own calls (a golden cut short, or edited) are read as "after
    # them all": the jobs then come in the order they were handed out, not by the places
    started = ["one@0", "b@0/w#1!3", "a@0/w#0!5"]
    assert _placed(*started) == ["one@0", "a@0/w#0!5", "b@0/w#1!3"]


def test_a_child_without_places_comes_where_its_first_call_started() -> None:
    from pytest_clearstone.golden.ordering import spans_in_call_order

    spans = [
        _span("root", 0, None),
        _span("plan", 1, "0"),
        _span("b", 2, "0/w#1"),
        _span("a", 3, "0/w#0"),
        _span("sum", 4, "0"),
    ]
    # (no places recorded: a golden of an earlier version)
    assert [s.name for s in spans_in_call_order(reversed(spans))] == [
        "root",
        "plan",
        "a",
        "b",
        "sum",
    ]


def test_start_order_is_by_start_time_whatever_order_the_spans_were_read_in() -> None:
    from pytest_clearstone.golden.ordering import in_start_order

    spans = [_span(name, start, None) for name, start in (("c", 2), ("a", 0), ("b", 1))]
    for seq, span in enumerate(spans):  # (as read from a golden's file: in call order)
        span.seq = seq
    assert [s.name for s in in_start_order(spans)] == ["a", "b", "c"]


def test_span_branch_reads_recorded_calls_only() -> None:
    from pytest_clearstone.golden.ordering import span_branch

    call = _span("a", 0, "0/w#1")
    assert span_branch(call) == "0/w#1"
    call.attributes.pop("clearstone.target")
    assert span_branch(call) == ""


def test_an_own_span_holding_one_with_a_call_under_it_comes_before_both() -> None:
    items = [
        ("outer", None, False),
        ("first", None, True),
        ("inner", "outer", False),
        ("second", "inner", True),
    ]
    assert _at_their_calls(items) == ["first", "outer", "inner", "second"]
