"""A divergence of a concurrent call names the call by its number in the golden.

Calls of concurrent branches (asyncio tasks, thread-pool jobs) are numbered in the golden by
branch (``show --calls``, ``diff``), whatever order they started in; a replay makes them in the
order the scheduler gives. Before the fix a divergence named the call by the order it was made
in on replay: the task that asks later in the code but first in time diverged at "call #1",
where ``show --calls`` lists call #1 as the other task's, and a prompt moved from one task to
the other lost the hint that it was recorded for the other call (its live number was taken for
that call's).
"""

from __future__ import annotations

import textwrap

import pytest

from pytest_clearstone.cli import main

APP = """
import asyncio
import os


async def acomplete(prompt):
    await asyncio.sleep(0)
    return "answer to " + prompt


class Agent:
    async def run(self):
        async def ask(prompt, wait):
            await asyncio.sleep(wait)  # the second task asks first
            return await acomplete(prompt)

        return await asyncio.gather(
            ask(os.environ.get("FIRST", "a"), 0.05), ask(os.environ.get("SECOND", "b"), 0)
        )
"""

TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    asyncio.run(replay.run(app.Agent().run))
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def test_a_changed_prompt_of_a_task_that_asks_first_is_named_by_its_golden_number(
    recorded: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", "--calls", str(recorded.path / "g.ckpt")]) == 0
    shown = capsys.readouterr().out
    # the golden numbers the calls by task: the first task's is #1, though it started second
    assert shown.index("app.acomplete #2") < shown.index("'b'") < shown.index("app.acomplete #1")
    monkeypatch.setenv("SECOND", "changed")
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*replay diverged at call #2 to app.acomplete *", "*'b' -> 'changed'*"]
    )
    result.stdout.no_fnmatch_line("*replay diverged at call #1 *")


def test_prompts_swapped_between_tasks_say_which_call_recorded_them(
    recorded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRST", "b")
    monkeypatch.setenv("SECOND", "a")
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #2 to app.acomplete *",
            "*'b' -> 'a'*",
            "*These arguments were recorded for call #1: the calls to app.acomplete may have been*",
        ]
    )
