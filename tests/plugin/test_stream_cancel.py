"""A stream the agent's own timeout cut off while it read it is recorded as cancelled; on
replay, after the recorded items, it waits to be cancelled again, so the timeout fires and the
agent takes its timeout path as it did when recorded."""

from __future__ import annotations

APP = """
import asyncio

async def _words():
    yield "The"
    await asyncio.Event().wait()  # the model stalls: the agent's timeout cuts the stream off
    yield "never"


def stream(prompt):
    return _words()  # a plain function returning an async generator: the stream is tapped


async def agen(prompt):
    async for word in _words():
        yield word


class Agent:
    def __init__(self):
        self.status = ""

    def get_state(self):
        return {"status": self.status}

    def load_state(self, state):
        self.status = state["status"]

    async def _read(self, chunks, words):
        async for word in chunks:
            words.append(word)

    async def run(self, target):
        words = []
        try:
            chunks = stream("q") if target == "stream" else agen("q")
            await asyncio.wait_for(self._read(chunks, words), 0.2)
            self.status = "complete"
        except asyncio.TimeoutError:
            self.status = "timed out"
        return self.status, words

"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.stream"})
def test_stream(replay):
    status, words = asyncio.run(replay.run(Agent().run, "stream"))
    assert (status, words) == ("timed out", ["The"])

@pytest.mark.replay(mock={"llm": "app.agen"})
def test_agen(replay):
    status, words = asyncio.run(replay.run(Agent().run, "agen"))
    assert (status, words) == ("timed out", ["The"])
"""


def test_a_stream_cut_off_by_a_timeout_replays_the_timeout(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
