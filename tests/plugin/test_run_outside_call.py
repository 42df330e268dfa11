"""``replay.run()`` called from a fixture's set-up or teardown, outside the test's call: the
mock targets are not patched there, so it is refused with one message naming the test and the
fix, in both modes, before any live call."""

from __future__ import annotations

import textwrap

import pytest

APP = """
from pathlib import Path

def complete(prompt):
    # the live service: every call it answers is counted in live.log
    with open(Path(__file__).with_name("live.log"), "a") as log:
        log.write(prompt + "\\n")
    return prompt.upper()

class Agent:
    def __init__(self):
        self.said = []

    def ask(self, question):
        answer = complete(question)
        self.said.append(answer)
        return answer
"""

SET_UP = """
import pytest
from app import Agent

@pytest.fixture
def answered(replay):
    return replay.run(Agent().ask, "from the fixture")

@pytest.mark.replay(mock={{"llm": "app.complete"}}{options})
def test_a(answered):
    assert answered == "FROM THE FIXTURE"
"""

TEARDOWN = """
import pytest
from app import Agent

@pytest.fixture
def agent(replay):
    agent = Agent()
    yield agent
    assert replay.run(agent.ask, "summarise")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay, agent):
    assert replay.run(agent.ask, "hello") == "HELLO"
"""


def _live(pytester: pytest.Pytester) -> list[str]:
    log = pytester.path / "live.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


@pytest.mark.parametrize("options", ["", ", strict=False"], ids=["strict", "lenient"])
@pytest.mark.parametrize("mode", ["--clearstone-record", "--clearstone-replay"])
def test_run_from_a_fixtures_set_up_is_refused_before_any_live_call(
    pytester: pytest.Pytester, mode: str, options: str
) -> None:
    # Expected: one message naming the test, where it was called and the fix. Before the fix
    # the agent ran live and unpatched: a strict recording then failed with "nothing was
    # recorded" and wrong "does the agent call ...?" hints, a lenient one wrote a golden with
    # no calls, and every replay of it ran the agent live.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=SET_UP.format(options=options))
    result = pytester.runpytest(mode)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: replay.run() was called before the test's call, from a "
            "fixture's set-up*: the mock targets are patched only while the test function "
            "runs*Call replay.run() in the test function, or have the fixture return the "
            "agent and let the test call replay.run(agent.method, ...)*",
        ]
    )
    result.stdout.no_fnmatch_line("*does the agent call*")
    result.stdout.no_fnmatch_line("*nothing was recorded*")
    assert _live(pytester) == []
    assert not (pytester.path / "goldens").exists()


def test_run_from_a_fixtures_teardown_is_refused_in_both_modes(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=TEARDOWN)
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1, errors=1)
    message = (
        "*test_it.py::test_a: replay.run() was called after the test's call, from a fixture's "
        "teardown*Call replay.run() in the test function*"
    )
    recorded.stdout.fnmatch_lines([message])
    assert _live(pytester) == ["hello"]  # the test's own call, recorded; not the teardown's
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1, errors=1)
    replayed.stdout.fnmatch_lines([message])
    assert _live(pytester) == []
