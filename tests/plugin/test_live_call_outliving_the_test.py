"""A live call of a recording that outlives its test (a sync target run in a thread the test did
not wait for) leaves the process's clock and ``random`` alone when the test's context ends
before it. Before the fix the context's exit stopped the live call's real clock in place of its
own frozen one (time-machine stops the clock started last), so the next tests read the golden's
frozen time until the call ended (the test's own clock, set with time-machine's marker, until
then or for good); and the call's end then put ``random`` back into the golden's seeded state,
under the next test."""

from __future__ import annotations

import pytest

APP = """
import threading
import time

def tool(x):
    time.sleep(0.6)  # still running when the test ends
    return x * 2

class Agent:
    def run(self, x):
        threading.Thread(target=tool, args=(x,), daemon=True).start()
        time.sleep(0.05)  # the live call has started
        return x
"""

TEST = """
import datetime as dt
import random
import time

import pytest
import time_machine
from app import Agent

@pytest.mark.replay(mock={"tool": "app.tool"})
def test_leaves_a_call_running(replay):
    replay.run(Agent().run, 3)

@pytest.mark.time_machine(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), tick=False)
@pytest.mark.replay(mock={"tool": "app.tool"})
def test_leaves_a_call_running_on_its_own_clock(replay):
    replay.run(Agent().run, 3)

def test_next():
    start = time.time()
    time.sleep(0.1)
    assert time.time() - start >= 0.05  # the clock runs (the golden's stands still)
    assert not time_machine.escape_hatch.is_travelling()
    random.seed(123)
    time.sleep(1.0)  # the call left running ends meanwhile
    assert not time_machine.escape_hatch.is_travelling()
    assert random.random() == random.Random(123).random()
"""


def test_a_live_call_ending_after_its_test_leaves_the_clock_and_random_alone(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST)
    result = pytester.runpytest(
        "--clearstone-record", "-p", "no:threadexception", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=1, failed=2)  # the recordings fail: their calls never ended
    result.stdout.fnmatch_lines(["*test_leaves_a_call_running*was still running when the test*"])
