"""An agent method that hands the stream it got on to its caller (``return client.create(...,
stream=True)``, as a streaming endpoint does): the test reads it after ``replay.run()``
returns. Its items are recorded with the call that returned it; the run's result is the
stream itself, stored as a placeholder naming its class, compared by its type."""

from __future__ import annotations

import pytest

APP = """
import asyncio


def _words():
    yield from ["The", "answer", "is", "42"]


async def _awords():
    for word in ["The", "answer", "is", "42"]:
        await asyncio.sleep(0)
        yield word


def stream(prompt):
    return _words()


def astream(prompt):
    return _awords()


class Agent:
    def __init__(self):
        self.asked = []

    def get_state(self):
        return {"asked": self.asked}

    def load_state(self, state):
        self.asked = list(state["asked"])

    def ask(self, prompt):
        self.asked.append(prompt)
        return stream(prompt)  # handed on, read by the caller

    async def aask(self, prompt):
        self.asked.append(prompt)
        return astream(prompt)
"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.stream"})
def test_sync(replay):
    words = list(replay.run(Agent().ask, "q"))
    assert words == ["The", "answer", "is", "42"]

@pytest.mark.replay(mock={"llm": "app.astream"})
def test_async(replay):
    async def main():
        chunks = await replay.run(Agent().aask, "q")
        return [word async for word in chunks]
    assert asyncio.run(main()) == ["The", "answer", "is", "42"]
"""


@pytest.mark.parametrize("test", ["test_sync", "test_async"])
def test_a_run_returning_the_stream_records_and_replays_without_a_warning(pytester, test):
    # Expected: the recording passes under warnings-as-errors (no UnencodableValueWarning about
    # dill failing to pickle a generator, raised from the codec's frames), and replays green.
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    recorded = pytester.runpytest("--clearstone-record", f"test_agent.py::{test}")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.no_fnmatch_line("*UnencodableValueWarning*")
    pytester.runpytest(f"test_agent.py::{test}").assert_outcomes(passed=1)
    shown = pytester.run(
        "python", "-m", "pytest_clearstone", "show", "--calls", f"goldens/test_agent/{test}.ckpt"
    )
    shown.stdout.fnmatch_lines(["*result:*<*generator object*>*"])
