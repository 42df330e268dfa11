"""A clock the test's own fixtures froze before the replay context starts."""

from __future__ import annotations

import textwrap

import pytest

pytest.importorskip("freezegun")

APP = """
import datetime

def llm(prompt):
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.log = []

    def ask(self, question):
        now = datetime.datetime.now().isoformat()
        self.log.append(now)
        return llm(f"{now}: {question}")
"""

TEST = """
import pytest
from freezegun import freeze_time

from app import Agent

@pytest.fixture
def frozen():
    with freeze_time("2024-01-01 09:30:00"):
        yield

@pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
def test_ask(frozen, replay):
    agent = Agent()
    assert replay.run(agent.ask, "hi") == "answer to 2024-01-01T09:30:00: hi"
"""


def test_a_clock_frozen_by_freezegun_in_a_fixture_is_the_agents_clock(
    pytester: pytest.Pytester,
) -> None:
    """freezegun started in a fixture (pytest-freezer's ``freezer`` does so) failed the test
    with time-machine's "cannot start when freezegun is active", from the plugin's frames: the
    clock the test froze is left as it is, in record and replay alike."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    recorded = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    recorded.assert_outcomes(passed=1)
    replayed = pytester.runpytest("-p", "no:randomly")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.no_fnmatch_line("*cannot start when freezegun is active*")
