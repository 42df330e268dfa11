"""A ``replay.run()`` of a coroutine method that the test never awaits (``assert
replay.run(agent.aask, q)``, in a sync test, without ``asyncio.run``).

Before the fix nothing of the agent ran, and the test said something else: recording failed with
"nothing was recorded" and a guess at another target to mock; a replay failed with unused
responses and "If the change is intended, re-record", which fails the same way; and a replay
with ``strict=False`` passed, comparing nothing. Now each names the un-awaited run and the fix.
"""

from __future__ import annotations

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.log = []

    async def aask(self, q):
        answer = complete(q)
        self.log.append(answer)
        return answer
"""

TESTS = """
import asyncio
import os

import pytest
from app import Agent

AWAIT = os.environ.get("AWAIT") == "1"
STRICT = os.environ.get("STRICT") != "0"


@pytest.mark.replay(mock={"llm": "app.complete"}, strict=STRICT)
def test_it(replay):
    agent = Agent()
    run = replay.run(agent.aask, "q")
    if AWAIT:
        assert asyncio.run(run) == "answer to q"
    else:
        assert run
"""

FIX = "*replay.run(aask) returned a coroutine that was never awaited*asyncio.run(replay.run(...))*"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TESTS)
    # as in a project with no warning filters (not the "error" of this repository's own tests)
    pytester.makeini("[pytest]\nfilterwarnings = default\n")
    return pytester


def test_recording_an_unawaited_run_names_it(project: pytest.Pytester) -> None:
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([FIX])
    assert "aask() did not run, so nothing of it was recorded." in result.stdout.str()
    result.stdout.no_fnmatch_line("*did you mean*")
    result.stdout.no_fnmatch_line("*does the agent call*")
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_it: a coroutine replay.run() returned was never awaited",
        ]
    )
    assert not list(project.path.rglob("*.ckpt"))


@pytest.mark.parametrize("strict", ["1", "0"])
def test_replaying_an_unawaited_run_fails_naming_it(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    monkeypatch.setenv("AWAIT", "1")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("AWAIT", "0")
    monkeypatch.setenv("STRICT", strict)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([FIX])
    assert "aask() did not run, so nothing of it was replayed or compared." in result.stdout.str()
    result.stdout.no_fnmatch_line("*re-record*")
