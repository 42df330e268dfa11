"""A stream the recording read only partly: a replay that reads further fails with a
divergence (the golden has no more of it), one that reads as far as recorded replays green."""

from __future__ import annotations

import json

import pytest

APP = """
import asyncio
import os

WORDS = ["The", "answer", "is", "42"]
READ = int(os.environ.get("READ", "2"))  # how many words the agent reads (0: all)


def _words():
    yield from WORDS


def stream(prompt):
    return _words()  # a plain function returning a generator: the stream is tapped


def gstream(prompt):  # a generator function, as LangChain's ChatOpenAI.stream
    yield from WORDS


async def astream(prompt):
    for word in WORDS:
        await asyncio.sleep(0)
        yield word


class Agent:
    def __init__(self):
        self.said = ""

    def get_state(self):
        return {"said": self.said}

    def load_state(self, state):
        self.said = state["said"]

    def run(self, prompt):
        words = []
        chunks = stream(prompt)
        for word in chunks:
            words.append(word)
            if len(words) == READ:
                break
        chunks.close()
        self.said = " ".join(words)
        return self.said

    def grun(self, prompt):
        words = []
        for word in gstream(prompt):  # broken out of: the generator is closed early
            words.append(word)
            if len(words) == READ:
                break
        self.said = " ".join(words)
        return self.said

    async def arun(self, prompt):
        words = []
        async for word in astream(prompt):  # broken out of, never closed: the loop closes it
            words.append(word)
            if len(words) == READ:
                break
        self.said = " ".join(words)
        return self.said

    async def arun_on(self, prompt):
        words = []
        async for word in astream(prompt):
            words.append(word)
            if len(words) == READ:
                break
        for _ in range(3):  # the agent goes on: the loop closes the generator (GeneratorExit)
            await asyncio.sleep(0)
        self.said = " ".join(words)
        return self.said
"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.stream"}, strict=STRICT)
def test_sync(replay):
    replay.run(Agent().run, "q")

@pytest.mark.replay(mock={"llm": "app.astream"}, strict=STRICT)
def test_async(replay):
    asyncio.run(replay.run(Agent().arun, "q"))

@pytest.mark.replay(mock={"llm": "app.astream"}, strict=STRICT)
def test_async_on(replay):
    asyncio.run(replay.run(Agent().arun_on, "q"))

@pytest.mark.replay(mock={"llm": "app.gstream"}, strict=STRICT)
def test_generator(replay):
    replay.run(Agent().grun, "q")
"""


@pytest.fixture(params=[True, False], ids=["strict", "lenient"])
def partly_read(request, pytester, monkeypatch):
    """Recorded reading 2 of the 4 words."""
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST.replace("STRICT", str(request.param)))
    monkeypatch.setenv("READ", "2")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=4)
    return pytester


@pytest.mark.parametrize("test", ["test_sync", "test_async", "test_async_on", "test_generator"])
def test_reading_as_far_as_recorded_replays(partly_read, test):
    partly_read.runpytest(f"test_agent.py::{test}").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("test", "target"),
    [
        ("test_sync", "app.stream"),
        ("test_async", "app.astream"),
        # (before the fix a generator function's replay ended where the recording had stopped
        # reading: the agent reading further got the shorter stream, and the replay passed)
        ("test_generator", "app.gstream"),
        ("test_async_on", "app.astream"),
    ],
)
def test_reading_further_than_recorded_is_a_divergence(partly_read, monkeypatch, test, target):
    monkeypatch.setenv("READ", "0")
    result = partly_read.runpytest(f"test_agent.py::{test}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*ReplayDivergenceError: replay diverged at call #1 to {target}: the agent reads "
            f"further into the stream it returned than the recording did*",
            "*the recording holds only the 2 item(s) read when it was made*",
            f"*re-record with: pytest --clearstone-record test_agent.py::{test}",
            "*1 diverged*",
        ]
    )
    result.stdout.no_fnmatch_line("*CancelledError*")


def test_a_stream_read_to_its_end_replays_to_its_end(pytester, monkeypatch):
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST.replace("STRICT", "True"))
    monkeypatch.setenv("READ", "0")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=4)
    pytester.runpytest().assert_outcomes(passed=4)


KEPT_APP = """
KEPT = []


def _words():
    yield from ["The", "answer", "is", "42"]


def stream(prompt):
    return _words()


class Agent:
    def __init__(self):
        self.said = ""

    def get_state(self):
        return {"said": self.said}

    def load_state(self, state):
        self.said = state["said"]

    def run(self, prompt):
        chunks = stream(prompt)
        KEPT.append(chunks)  # kept past the test, neither read to its end nor closed
        self.said = next(chunks) + " " + next(chunks)
        return self.said
"""


def test_a_stream_the_agent_keeps_open_past_the_test_is_recorded_as_far_as_read(pytester):
    # Expected: a stream the agent still holds, partly read, when the test ends (nothing closes
    # it) is recorded with the items read by then, and replays green. Were it left open, its
    # call would count as still running: the golden would not be written.
    pytester.syspathinsert()
    pytester.makepyfile(
        app=KEPT_APP,
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/kept.ckpt", mock={"llm": "app.stream"})
        def test_kept(replay):
            assert replay.run(Agent().run, "q") == "The answer"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    (call,) = [
        span
        for span in json.loads((pytester.path / "goldens" / "kept.ckpt").read_text())["trace"][
            "spans"
        ]
        if span["name"] == "app.stream"
    ]
    assert call["output"]["v"]["v"]["items"] == ["The", "answer"]
    assert call["output"]["v"]["v"]["complete"] is False
    pytester.runpytest().assert_outcomes(passed=1)
