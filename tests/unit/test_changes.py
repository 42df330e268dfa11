"""The one-line summary of what a re-record changed (``golden/changes.py``)."""

from __future__ import annotations

import json
from typing import Any

from pytest_clearstone.golden.changes import describe_changes


def _doc(answer: str = "hi", second_result: str = "b", state: Any = None) -> str:
    span = {
        "span_id": "x",
        "span_type": "llm",
        "attributes": {"clearstone.target": "app.complete"},
        "input": {"prompt": "p"},
        "output": answer,
        "error": None,
    }
    doc = {
        "checkpoint_id": "ckpt_1",
        "agent": {"state": state or {"n": 1}},
        "trace": {"spans": [{"span_id": "root", "attributes": {}}, span]},
        "outcome": {
            "function": "run",
            "result": "a",
            "final_state": {"n": 2},
            "then": [{"function": "run", "result": second_result, "final_state": {"n": 3}}],
        },
    }
    return json.dumps(doc)


def test_new_unchanged_and_unreadable() -> None:
    assert describe_changes(None, _doc()) == "new"
    assert describe_changes(_doc(), _doc()) == "unchanged"
    assert describe_changes("<<<<<<< HEAD", _doc()) == (
        "replaced a file that was not a readable golden"
    )


def test_a_changed_answer_names_the_call() -> None:
    assert describe_changes(_doc(), _doc(answer="bye")) == "llm call #1 to app.complete answer"


def test_a_change_in_a_later_run_names_that_run() -> None:
    # the golden keeps the first run's outcome at the top and later runs under "then"
    assert describe_changes(_doc(), _doc(second_result="c")) == "run #2 result"


def test_the_state_before_the_run_is_compared() -> None:
    assert describe_changes(_doc(), _doc(state={"n": 0})) == "state"


def _two_calls(order: tuple[str, str] = ("app.search", "app.complete"), **fields: Any) -> str:
    """A golden of a search then a completion (or ``order``), ``fields`` set at its top level
    (``metadata``, ``agent``) or, for ``inner``, a span of the agent's own between them."""
    spans: list[dict[str, Any]] = [{"span_id": "root", "name": "t", "attributes": {}}]
    for target in order:
        spans.append(
            {
                "span_id": target,
                "parent_span_id": "root",
                "name": target,
                "span_type": "tool",
                "attributes": {"clearstone.target": target},
                "input": {"v": {"q": "x"}},
                "output": {"v": 1},
                "error": None,
                "start_time_ns": len(spans),
            }
        )
    inner = fields.pop("inner", None)
    if inner:
        spans.insert(2, {"span_id": "i", "parent_span_id": "root", "name": inner, "attributes": {}})
    doc = {
        "agent": {"module": "app", "class": "Agent", "state": {}},
        "metadata": {"strict": True, "mock": {"tool": ["app.search", "app.complete"]}, "test": "t"},
        "trace": {"spans": spans},
        "outcome": {"function": "run", "result": 1, "final_state": {}},
        **fields,
    }
    return json.dumps(doc)


def test_calls_made_in_another_order_are_a_change() -> None:
    # the same calls with the same answers, made the other way round: a strict replay of the
    # old golden fails, and the summary said "unchanged"
    assert describe_changes(_two_calls(), _two_calls()) == "unchanged"
    assert (
        describe_changes(_two_calls(), _two_calls(("app.complete", "app.search"))) == "call order"
    )


def test_a_changed_marker_setting_or_agent_class_is_a_change() -> None:
    strict_off = {"strict": False, "mock": {"tool": ["app.search", "app.complete"]}, "test": "t"}
    assert describe_changes(_two_calls(), _two_calls(metadata=strict_off)) == "metadata (strict)"
    other_class = {"module": "app", "class": "Planner", "state": {}}
    assert describe_changes(_two_calls(), _two_calls(agent=other_class)) == "agent class"


def test_a_span_of_the_agents_own_added_is_a_change() -> None:
    assert describe_changes(_two_calls(), _two_calls(inner="plan")) == "spans"
    assert describe_changes(_two_calls(inner="plan"), _two_calls(inner="act")) == "spans"


def _runs(*results: str) -> str:
    """A golden of one ``replay.run()`` per result (the first at the top of the outcome, the
    later ones under ``then``), each leaving ``{"n": its number}``."""
    runs = [
        {"function": "run", "result": result, "final_state": {"n": number}}
        for number, result in enumerate(results, 1)
    ]
    doc = {
        "agent": {"module": "app", "class": "Agent", "state": {}},
        "trace": {"spans": []},
        "outcome": {**runs[0], "then": runs[1:]} if len(runs) > 1 else runs[0],
    }
    return json.dumps(doc)


def test_a_run_added_or_removed_is_named_and_the_runs_kept_are_not() -> None:
    # Expected: a test that now calls replay.run() a second time changed that run only.
    # Before the fix the first run was named twice, unnumbered and numbered, as if both had
    # changed: "run #1 result, run #1 final state, run #2 result, run #2 final state, result,
    # final state"
    assert describe_changes(_runs("a"), _runs("a", "b")) == "run #2 added"
    assert describe_changes(_runs("a", "b"), _runs("a")) == "run #2 removed"
    assert describe_changes(_runs("a", "b"), _runs("z")) == "run #1 result, run #2 removed"
