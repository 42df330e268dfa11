"""The calls of a task are placed in a golden where the agent's code started the task, not by
when the task's first call happened to start.

An agent starts a task (``asyncio.create_task``) and goes on with its own calls while the task
does some work of its own first. Whether the task's call started before or after the agent's
second call depends on how long the agent's first (live) call took. Before the fix the golden
placed the task's calls by that, so a re-record of the unchanged agent renumbered the calls
(``llm call #2 ... arguments, answer`` listed as changed) and the file changed.
"""

from __future__ import annotations

import json
import textwrap

import pytest

APP = """
import asyncio
import os


async def acomplete(prompt):
    if prompt == "plan":  # the live latency of the agent's first call
        await asyncio.sleep(float(os.environ["PLAN_LATENCY"]))
    return "answer to " + prompt


class Agent:
    async def run(self):
        async def background():
            await asyncio.sleep(0.05)  # its own work first (a cache read)
            return await acomplete("background")

        task = asyncio.create_task(background())
        plan = await acomplete("plan")
        act = await acomplete("act")
        return [plan, act, await task]
"""

TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    asyncio.run(replay.run(app.Agent().run))
"""


def _prompts(golden: str) -> list[str]:
    spans = json.loads(golden)["trace"]["spans"]
    return [s["input"]["v"]["prompt"] for s in spans if "clearstone.target" in s["attributes"]]


def test_a_rerecord_does_not_move_a_task_s_calls_with_the_latency_of_the_agent_s_calls(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    golden = pytester.path / "g.ckpt"
    # the agent's first call is fast: its second call starts before the task's
    monkeypatch.setenv("PLAN_LATENCY", "0")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    first = golden.read_text()
    assert _prompts(first) == ["background", "plan", "act"]  # started before "plan" was made
    # ... and slow: the task's call starts before the agent's second call
    monkeypatch.setenv("PLAN_LATENCY", "0.15")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*g.ckpt: unchanged*"])
    assert _prompts(golden.read_text()) == _prompts(first)
    # and it replays, in both latencies
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("PLAN_LATENCY", "0")
    pytester.runpytest().assert_outcomes(passed=1)
