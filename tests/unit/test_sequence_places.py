"""A recorded call's place in the whole recorded sequence (``ReplaySession.place_of``, contract
§6.1): its place among the recorded calls in start order, as ``show --calls`` lists them, not
in the call order a golden numbers each target's calls in."""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.golden.engine import ReplayEngine
from pytest_clearstone.golden.mocks import BRANCH_ATTRIBUTE, PLACES_ATTRIBUTE, TARGET_ATTRIBUTE
from pytest_clearstone.golden.ordering import call_order, in_start_order, span_branch
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace

LLM = f"{__name__}.complete"
TOOL = f"{__name__}.lookup"
TID = "a" * 32


def complete(prompt: str) -> str:  # mock targets of the hand-made golden
    return prompt


def lookup(kind: str, query: str) -> str:
    return kind + query


def _call(name: str, start: int, branch: str) -> Span:
    """A recorded call ``name`` (``llm1``, ``tool2``...) made at ``start`` in ``branch``."""
    target = LLM if name.startswith("llm") else TOOL
    arguments = {"prompt": name} if target == LLM else {"kind": name, "query": "q"}
    return Span(
        trace_id=TID,
        span_id=name,
        parent_span_id="root",
        name=target,
        span_type="llm" if target == LLM else "tool",
        attributes={TARGET_ATTRIBUTE: target, BRANCH_ATTRIBUTE: branch},
        start_time_ns=start,
        end_time_ns=start + 1,
        input=Recorded.of(arguments),
        output=Recorded.of(name),
    )


#: an async agent as LangGraph runs it: a model step in a task, two tool calls in parallel
#: tasks, a second model step in another task of the first step's function
LANGGRAPH = [
    _call("llm1", 10, "0/ainvoke#0"),
    _call("tool1", 20, "0/arun_with_retry#0/ainvoke#0"),
    _call("tool2", 30, "0/arun_with_retry#1/ainvoke#0"),
    _call("llm2", 40, "0/ainvoke#1"),
]


def _root() -> Span:
    return Span(trace_id=TID, span_id="root", parent_span_id=None, name="t", start_time_ns=1)


def _places(calls: list[Span]) -> dict[str, tuple[int, int] | None]:
    """``{span id: place_of}`` of each recorded call of a golden holding ``calls``."""
    checkpoint = Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of({}),
        agent_class_name=None,
        agent_module=None,
        trace=Trace(TID, [_root(), *calls]),
        span_id="root",
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
    )
    engine = ReplayEngine(checkpoint, strict=True)
    with engine.context({"llm": [LLM], "tool": [TOOL]}) as ctx:
        session = ctx.session
        return {
            str(call.span_id): session.place_of(call)
            for replay in session.targets.values()
            for call in replay.responses
        }


def test_in_start_order_undoes_the_call_order_of_interleaved_branches() -> None:
    # the golden's call order puts sibling tasks by function name: both model steps first
    ordered = call_order([_root(), *LANGGRAPH], span_branch)
    assert [s.span_id for s in ordered] == ["root", "llm1", "llm2", "tool1", "tool2"]
    started = in_start_order(ordered)
    assert [s.span_id for s in started] == ["root", "llm1", "tool1", "tool2", "llm2"]


def test_in_start_order_breaks_a_tie_by_the_order_the_spans_were_opened() -> None:
    a, b = _call("llm1", 5, "0"), _call("llm2", 5, "0")
    a.seq, b.seq = 2, 1
    assert [s.span_id for s in in_start_order([a, b])] == ["llm2", "llm1"]


def test_a_calls_place_is_its_place_in_start_order() -> None:
    # Before the fix: the lookups were calls 3 and 4, the second model step call 2
    assert _places(LANGGRAPH) == {
        "llm1": (1, 4),
        "tool1": (2, 4),
        "tool2": (3, 4),
        "llm2": (4, 4),
    }


def test_parallel_calls_are_placed_in_the_order_they_started() -> None:
    # the second tool task's call started first: it is call 2 (the golden numbers it #2)
    started = [
        _call("llm1", 10, "0/ainvoke#0"),
        _call("tool2", 20, "0/arun_with_retry#1/ainvoke#0"),
        _call("tool1", 30, "0/arun_with_retry#0/ainvoke#0"),
        _call("llm2", 40, "0/ainvoke#1"),
    ]
    assert _places(started) == {
        "llm1": (1, 4),
        "tool1": (3, 4),
        "tool2": (2, 4),
        "llm2": (4, 4),
    }


@pytest.mark.parametrize("branch", ["", "0"])
def test_calls_of_one_branch_or_none_are_placed_in_start_order(branch: str) -> None:
    calls = [_call(name, start, branch) for name, start in [("tool1", 3), ("llm1", 1)]]
    assert _places(calls) == {"llm1": (1, 2), "tool1": (2, 2)}


def test_calls_started_at_the_same_time_are_placed_in_the_order_they_were_opened() -> None:
    # (a clock too coarse to tell them apart: the second tool task's call was opened first)
    tool1 = _call("tool1", 20, "0/arun_with_retry#0/ainvoke#0")
    tool2 = _call("tool2", 20, "0/arun_with_retry#1/ainvoke#0")
    tool1.seq, tool2.seq = 2, 1
    calls = [_call("llm1", 10, "0/ainvoke#0"), tool1, tool2, _call("llm2", 40, "0/ainvoke#1")]
    assert _places(calls) == {
        "llm1": (1, 4),
        "tool1": (3, 4),
        "tool2": (2, 4),
        "llm2": (4, 4),
    }


def test_a_targets_recorded_calls_are_in_call_order_a_job_where_its_parent_handed_it_out() -> None:
    # the job was handed out before the main flow's first call (places "0"), its call started
    # after the main flow's two: it is the target's call #1
    job = _call("tool3", 30, "0/bg#0")
    job.attributes[PLACES_ATTRIBUTE] = "0"
    calls = [_call("tool1", 10, "0"), _call("tool2", 20, "0"), job]
    checkpoint = Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of({}),
        agent_class_name=None,
        agent_module=None,
        trace=Trace(TID, [_root(), *calls]),
        span_id="root",
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
    )
    targets = ReplayEngine(checkpoint).mock_targets({"tool": [TOOL]})
    assert [call.span_id for call in targets[TOOL].calls] == ["tool3", "tool1", "tool2"]
