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
