"""The asyncio tasks of an agent that runs its event loop more than once (pydantic-ai's
``run_sync``, ``loop.run_until_complete`` twice) get the same branches of execution when recorded
as when replayed.

Before the fix, recording wrapped ``BaseEventLoop.create_task`` once more (to run the tasks a
live call starts live), which hid the branching ``create_task`` from the check of whether the
loop's tasks were branched already: at the first recorded call the recording installed a task
factory that branches a loop's main task too, the replay did not, and from the loop's second run
on the recorded branch keys (``0/step#0/inner#0``) were not the replayed ones (``0/inner#1``).
"""

from __future__ import annotations

import pytest

APP = """
import asyncio

from pytest_clearstone.golden.threads import current_branch

seen = []


async def aask(question):
    return "answer to " + question


async def inner(question):
    seen.append(current_branch())
    return await aask(question)


async def step(question):
    return await asyncio.ensure_future(inner(question))


def run_twice():
    seen.clear()
    loop = asyncio.new_event_loop()
    try:
        answers = [loop.run_until_complete(step(q)) for q in ("x", "y")]
    finally:
        loop.close()
    return {"answers": answers, "branches": list(seen)}
"""

TEST = """
import pytest
import loop_app


@pytest.mark.replay("goldens/loop.json", mock={"llm": "loop_app.aask"})
def test_loop(replay):
    replay.run(loop_app.run_twice)
"""


def test_a_loop_run_twice_has_the_same_task_branches_recorded_and_replayed(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(loop_app=APP, test_loop=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "loop.json").read_text()
    # the second loop run's task, a child of the main flow as on replay
    assert '"clearstone.branch": "0/inner#1"' in golden
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1)
