"""The place a divergence message gives a call in the whole recorded sequence (contract §6.1):
its place among the recorded calls in the order they started, the order ``show --calls`` lists
them in — also when asyncio tasks of different functions made them, one after the other."""

from __future__ import annotations

import json
import textwrap

import pytest

from pytest_clearstone.cli import main

APP = """
import asyncio

KIND = "flights"


def complete(prompt):
    return f"answer to {prompt}"


def lookup(kind, query):
    return f"{kind}: {len(query)} results for {query}"


async def ask(prompt):  # each model step in a task of its own, as LangGraph runs its nodes
    return complete(prompt)


async def search(kind, query):
    return lookup(kind, query)


class Agent:
    def __init__(self):
        self.answers = []

    async def run(self, question):
        plan = await asyncio.create_task(ask(question))
        found = await asyncio.gather(search(KIND, plan), search("hotels", plan))
        answer = await asyncio.create_task(ask(" | ".join(found)))
        self.answers.append(answer)
        return answer
"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete", "tool": "app.lookup"})
def test_it(replay):
    assert asyncio.run(replay.run(Agent().run, "Rome")).startswith("answer to flights")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def _listed_calls(capsys: pytest.CaptureFixture[str], golden: str) -> list[str]:
    """The calls ``show --calls`` lists (``target #n``), in its order."""
    capsys.readouterr()
    assert main(["show", "--calls", golden]) == 0
    lines = capsys.readouterr().out.splitlines()
    return [line.split("  [")[0].strip() for line in lines if line.startswith("  ") and "#" in line]


def test_show_lists_the_calls_of_sequential_tasks_in_the_order_they_started(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the fix: the two model steps (tasks of `ask`) were listed first, then the two
    # lookups (tasks of `search`) that ran between them: sibling tasks sorted by function name.
    assert _listed_calls(capsys, str(project.path / "g.ckpt")) == [
        "app.complete #1",
        "app.lookup #1",
        "app.lookup #2",
        "app.complete #2",
    ]


def test_a_divergence_names_the_calls_place_in_the_order_show_lists(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: the first lookup is the second call made (as `show --calls` lists it). Before
    # the fix: "call 3 of 4", the place of the second model step in the order the golden
    # numbers the calls in.
    project.makepyfile(app=textwrap.dedent(APP).replace('KIND = "flights"', 'KIND = "flight"'))
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *ReplayDivergenceError: replay diverged at call #1 to app.lookup "
            "(call 2 of 4 in the recorded sequence): its arguments differ from the recording",
            "E   *root?'kind'?: 'flights' -> 'flight'",
        ]
    )
    listed = _listed_calls(capsys, str(project.path / "g.ckpt"))
    assert listed.index("app.lookup #1") + 1 == 2


def test_a_second_model_step_that_diverges_is_the_last_call(project: pytest.Pytester) -> None:
    # the second model step gets the changed lookup answers: the 4th call started, #2 of llm
    project.makepyfile(
        app=textwrap.dedent(APP).replace('" | ".join(found)', '" & ".join(found)'),
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *replay diverged at call #2 to app.complete "
            "(call 4 of 4 in the recorded sequence): its arguments differ from the recording",
        ]
    )


ORDER_APP = """
SEARCH_FIRST = True


def complete(prompt):
    return "answer to " + prompt


def search(query):
    return "found " + query


def run(question):
    if SEARCH_FIRST:
        found = search(question)
        answer = complete(question)
    else:
        answer = complete(question)
        found = search(question)
    return found + " / " + answer
"""

ORDER_TEST = """
import pytest
import order_app

@pytest.mark.replay("o.ckpt", mock={"llm": "order_app.complete", "tool": "order_app.search"})
def test_order(replay):
    assert replay.run(order_app.run, "Rome") == "found Rome / answer to Rome"
"""


def test_calls_made_in_another_order_across_targets_diverge_naming_the_recorded_one(
    pytester: pytest.Pytester,
) -> None:
    # each target's calls are those recorded, with the same arguments and the same result: only
    # their order across the targets changed, which a strict replay fails on (contract §6.1)
    pytester.syspathinsert()
    pytester.makepyfile(order_app=ORDER_APP, test_order=ORDER_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = json.loads((pytester.path / "o.ckpt").read_text(encoding="utf-8"))
    assert golden["metadata"]["mock"] == {  # (each span type with its own targets)
        "llm": ["order_app.complete"],
        "tool": ["order_app.search"],
    }
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makepyfile(order_app=ORDER_APP.replace("SEARCH_FIRST = True", "SEARCH_FIRST = False"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #1 to order_app.complete: it was made out of its recorded "
            "place, where the recording has call #1 to order_app.search (call 1 of 2 in this "
            "branch of execution)*"
        ]
    )


def test_a_call_left_out_is_not_told_as_calls_that_changed_order(
    pytester: pytest.Pytester,
) -> None:
    # the agent no longer calls search (it makes the same text itself): the model's call comes
    # where the recording has the search, and nothing was reordered
    pytester.syspathinsert()
    pytester.makepyfile(order_app=ORDER_APP, test_order=ORDER_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    left_out = ORDER_APP.replace(
        "found = search(question)\n        answer", "found = 'found ' + question\n        answer"
    )
    assert left_out != ORDER_APP
    pytester.makepyfile(order_app=left_out)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #1 to order_app.complete: it was made out of its recorded "
            "place, where the recording has call #1 to order_app.search (call 1 of 2 in this "
            "branch of execution)*",
            "*The agent's calls changed order, or it left out the call recorded here (or added "
            "this one). If the change is intended, re-record with: pytest --clearstone-record "
            "test_order.py::test_order",
        ]
    )
