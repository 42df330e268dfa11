"""A ``replay.run()`` generator the test stops reading early (``break`` out of its ``for`` or
``async for``).

Before the fix the recording passed and wrote the golden with no outcome, or with the outcome
of the items read so far, depending on when the generator happened to be closed (an async
generator left to the event loop's finalizer: none at all), so a later replay checked neither
the result nor the agent's state. Now the recording fails, naming the test, how many items were
read and the fix; a generator read to its end records as before.
"""

from __future__ import annotations

import textwrap

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.log = []

    def get_state(self):
        return {"log": self.log}

    def load_state(self, state):
        self.log = list(state["log"])

    def words(self, q):
        for word in complete(q).split():
            self.log.append(word)
            yield word

    async def awords(self, q):
        for word in complete(q).split():
            self.log.append(word)
            yield word
"""

TESTS = """
import asyncio
import pytest
from app import Agent

MOCK = {"llm": "app.complete"}

@pytest.mark.replay(mock=MOCK)
def test_sync_partial(replay):
    for i, word in enumerate(replay.run(Agent().words, "a b c")):
        if i == 1:
            break

@pytest.mark.replay(mock=MOCK)
def test_async_partial(replay):
    async def main():
        async for word in replay.run(Agent().awords, "a b c"):
            break
    asyncio.run(main())

@pytest.mark.replay(mock=MOCK)
def test_sync_full(replay):
    assert list(replay.run(Agent().words, "a b c")) == ["answer", "to", "a", "b", "c"]

@pytest.mark.replay(mock=MOCK)
def test_async_full(replay):
    async def main():
        return [word async for word in replay.run(Agent().awords, "a b c")]
    assert asyncio.run(main()) == ["answer", "to", "a", "b", "c"]
"""


def test_a_partly_read_run_generator_fails_the_recording(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_sync_partial: the golden checkpoint was not written: "
            "replay.run(words)*closed after 2 item(s)*consume it fully*",
            "*test_it.py::test_async_partial: the golden checkpoint was not written: "
            "replay.run(awords)*closed after 1 item(s)*consume it fully*",
        ],
        consecutive=False,
    )
    golden = pytester.path / "goldens" / "test_it"
    assert sorted(p.name for p in golden.iterdir()) == [
        "test_async_full.ckpt",
        "test_sync_full.ckpt",
    ]
    pytester.runpytest("-k", "full").assert_outcomes(passed=2)


UNREAD = """
import pytest
from app import Agent

MOCK = {"llm": "app.complete"}

@pytest.mark.replay(mock=MOCK)
def test_sync_unread(replay):
    replay.run(Agent().words, "a b c")

@pytest.mark.replay(mock=MOCK)
def test_async_unread(replay):
    replay.run(Agent().awords, "a b c")
"""


def test_a_run_generator_never_read_names_the_generator_not_the_mock_path(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the fix that works (read the generator); it said "nothing was recorded: the
    # test made no call to its mock target(s) app.complete ... Give mock= the import path where
    # the agent looks the function up", whose fix changes nothing
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(UNREAD))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=2)
    for name, method in (("test_sync_unread", "words"), ("test_async_unread", "awords")):
        result.stdout.fnmatch_lines(
            [f"*test_it.py::{name}: *replay.run({method}) returned a generator that was left "
             "open, before its end*consume it fully*"]
        )  # fmt: skip
    result.stdout.no_fnmatch_line("*Give mock= the import path*")
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_sync_unread: a generator replay.run() returned was not read to "
            "its end",
        ]
    )
    assert not (pytester.path / "goldens").exists()


REPLAYED = """
import os

import pytest
from app import Agent

MOCK = {"llm": "app.complete"}
READ = os.environ.get("READ") == "1"


@pytest.mark.replay(mock=MOCK, strict=os.environ.get("STRICT") != "0")
def test_words(replay):
    words = replay.run(Agent().words, "a b c")
    if READ:
        assert list(words) == ["answer", "to", "a", "b", "c"]
"""


@pytest.mark.parametrize("strict", ["1", "0"])
def test_a_replay_that_does_not_read_its_run_generator_fails_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    # recorded reading the generator, then the test stopped reading it: nothing of the run was
    # compared. It passed with strict=False, and failed strict with unused responses and a
    # re-record hint, whose recording then fails on the unread generator
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=REPLAYED)
    monkeypatch.setenv("READ", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("READ", "0")
    monkeypatch.setenv("STRICT", strict)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*replay.run(words) returned a generator that was left open, before its end*"]
    )
