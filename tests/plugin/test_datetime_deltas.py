"""deepdiff compares datetimes converted to UTC, a naive one taken as UTC: an agent whose state
held a naive datetime and now holds an aware one of the same wall time (or the other way) passed
the replay with no difference shown, and a changed datetime was shown converted to UTC — a naive
one as UTC-aware, one in Europe/Paris an hour earlier than the agent holds it. A changed date,
time or datetime is now shown as the agent holds it, and naive against aware is a change."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from pytest_clearstone.diff import StateDelta

APP = """
import datetime as dt


def llm(prompt):
    return "ok"


class Agent:
    def __init__(self):
        self.due = dt.datetime(2024, 5, 1, 9, 30)

    def handle(self, q):
        llm(q)
        CHANGE
        return "done"
"""

TEST = """
import pytest
from due_app import Agent


@pytest.mark.replay("goldens/due.ckpt", mock={"llm": "due_app.llm"})
def test_due(replay):
    replay.run(Agent().handle, "hi")
"""


def test_a_naive_datetime_made_aware_fails_the_replay_showing_both(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(due_app=APP.replace("CHANGE", "pass"), test_due=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    change = "self.due = self.due.replace(tzinfo=dt.timezone.utc)"
    pytester.makepyfile(due_app=APP.replace("CHANGE", change))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    naive = dt.datetime(2024, 5, 1, 9, 30)
    aware = naive.replace(tzinfo=dt.timezone.utc)
    assert f"root['due']: {naive!r} -> {aware!r}" in result.stdout.str()


PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NAIVE = dt.datetime(2024, 5, 1, 9, 30)
AWARE = NAIVE.replace(tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (NAIVE, NAIVE.replace(hour=10)),
        (NAIVE.replace(tzinfo=PARIS), NAIVE.replace(tzinfo=PARIS, hour=10)),
        (NAIVE, AWARE),
        (dt.time(9, 30), dt.time(9, 30, tzinfo=dt.timezone.utc)),
        (dt.date(2024, 5, 1), dt.date(2024, 5, 2)),
    ],
)
def test_a_changed_time_is_shown_as_the_agent_holds_it(before: object, after: object) -> None:
    line = f"root['w']: {before!r} -> {after!r}"
    assert StateDelta({"w": before}, {"w": after}, verbosity=2).lines == [line]
    # in a list of basic values, which deepdiff would align as a whole
    listed = StateDelta({"w": [before, 1]}, {"w": [after, 1]}, verbosity=2).lines
    assert listed == [line.replace("root['w']", "root['w'][0]")]


def test_a_set_of_datetimes_naive_against_aware_differs() -> None:
    assert StateDelta({"w": {NAIVE}}, {"w": {AWARE}}, verbosity=2).lines == [
        f"root['w']: added {AWARE!r}",
        f"root['w']: removed {NAIVE!r}",
    ]
