"""A timeout around several calls (the whole turn's deadline) that cut off the last of them when
recorded replays: the calls before it are answered at once on replay, so the deadline fires
longer after the cut-off call started than when recorded; the replay waits for it as long as
the recording took to reach it. Before the fix the replay waited only as long as the call ran
plus a second, and failed with a divergence ("the agent's timeout changed") on every replay of
an unchanged agent, also after a re-record."""

from __future__ import annotations

import pytest

APP = """
import asyncio

async def plan(q):
    await asyncio.sleep(1.4)  # a slow model (longer than the grace of a second)
    return f"plan for {q}"

async def answer(q):
    await asyncio.sleep(30)  # stalls: the turn's deadline cuts it off
    return "never"

async def words(q):
    yield "one"
    await asyncio.sleep(30)  # the stream stalls
    yield "never"

class Agent:
    def __init__(self):
        self.log = []

    def get_state(self):
        return {"log": self.log}

    def load_state(self, state):
        self.log = list(state["log"])

    async def run(self, q, deadline=1.6):
        try:
            async with asyncio.timeout(deadline):  # the whole turn's deadline
                self.log.append(await plan(q))
                self.log.append(await answer(q))
        except TimeoutError:
            self.log.append("out of time")
        return self.log[-1]

    async def read(self, q, deadline=1.6):
        try:
            async with asyncio.timeout(deadline):
                self.log.append(await plan(q))
                async for word in words(q):
                    self.log.append(word)
        except TimeoutError:
            self.log.append("out of time")
        return self.log[-1]
"""

TEST = """
import asyncio
import os
import pytest
from app import Agent

MOCK = {"llm": ["app.plan", "app.answer", "app.words"]}
DEADLINE = float(os.environ.get("DEADLINE", "1.6"))

@pytest.mark.replay(mock=MOCK)
def test_call(replay):
    assert asyncio.run(replay.run(Agent().run, "Rome", DEADLINE)) == "out of time"

@pytest.mark.replay(mock=MOCK)
def test_stream(replay):
    assert asyncio.run(replay.run(Agent().read, "Rome", DEADLINE)) == "out of time"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    return pytester


def test_a_deadline_over_several_calls_that_cut_off_the_last_replays(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest()
    result.assert_outcomes(passed=2)


def test_a_deadline_that_no_longer_fires_still_diverges(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the agent changed: its deadline grew past what the recording took to reach the cut-off;
    # the replay waits that long (and a second), then names the call
    monkeypatch.setenv("DEADLINE", "6")
    result = project.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #1 to app.answer: it was cancelled when recorded (after "
            "* s: the agent's timeout, or its task cancelled), and nothing cancelled it on "
            "replay within * s",
        ]
    )
