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


SLOW_APP = """
import datetime
import time

def llm(prompt):
    time.sleep(0.05)
    return "answer to " + prompt

class Agent:
    def ask(self, question):
        return llm(f"{datetime.datetime.now().isoformat()}: {question}")
"""

SLOW_TEST = """
import pytest
from freezegun import freeze_time

from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
def test_ask(replay):
    with freeze_time("2024-01-01 09:30:00"):
        replay.run(Agent().ask, "hi")
"""


def test_spans_recorded_under_freezegun_keep_real_times_and_durations(
    pytester: pytest.Pytester,
) -> None:
    """freezegun, started by the test, swaps every module's reference to the real
    ``perf_counter_ns`` for its frozen one, the span clock's too: the golden's spans were
    dated decades ahead (the frozen time added to the real one) and lasted 0 ms, the call that
    took 50 ms too (what ``show`` lists, and a cancelled call's replay waits for). The bounds
    are read from the span clock itself (the in-process run shares it), not ``time.time_ns``:
    that clock is anchored to the wall clock once, so a machine whose wall clock was stepped
    during the run (a CI runner's was, 14 s back) put real spans outside wall-clock bounds."""
    import json

    from pytest_clearstone.tracing.span import now_ns

    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(SLOW_APP), test_it=textwrap.dedent(SLOW_TEST))
    before = now_ns()
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    after = now_ns()
    spans = json.loads((pytester.path / "g.ckpt").read_text())["trace"]["spans"]
    (call,) = [span for span in spans if span["name"] == "app.llm"]
    assert before <= call["start_time_ns"] <= call["end_time_ns"] <= after
    assert call["end_time_ns"] - call["start_time_ns"] >= 40_000_000


MARKED_TEST = """
import datetime as dt

import pytest
import time_machine

from app import Agent

NEW_YEAR = dt.datetime(2024, 1, 1, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def travelled():
    with time_machine.travel(NEW_YEAR, tick=False):
        yield


@pytest.mark.time_machine(NEW_YEAR, tick=False)
@pytest.mark.replay("marker.ckpt", mock={"llm": "app.llm"})
def test_marker(replay):
    assert replay.run(Agent().ask, "hi") == "answer to 2024-01-01T09:30:00: hi"


@pytest.mark.replay("fixture.ckpt", mock={"llm": "app.llm"})
def test_fixture(travelled, replay):
    assert replay.run(Agent().ask, "hi") == "answer to 2024-01-01T09:30:00: hi"
"""


def test_a_clock_set_with_time_machine_before_the_call_is_the_agents_clock(
    pytester: pytest.Pytester,
) -> None:
    """time-machine's own ``@pytest.mark.time_machine(...)`` (its fixture travels in set-up)
    and a fixture inside ``time_machine.travel`` were overridden by the context's clock: the
    agent saw the recording's start, not the date the test set. It is left as it is, as a clock
    frozen with freezegun is, in record and replay alike."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(MARKED_TEST))
    recorded = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    recorded.assert_outcomes(passed=2)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
