"""End to end: an agent state holding a datetime in a named fixed-offset zone
(``timezone(timedelta(hours=5), "PKT")``) that the agent formats into its prompt (``%Z``)
replays: the zone's name is stored with its offset, so the loaded state writes the same
prompt the recording sent."""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_clearstone import codec

APP = """
import datetime as dt

PKT = dt.timezone(dt.timedelta(hours=5), "PKT")


def llm(prompt):
    return {"text": "ok"}


class Agent:
    def __init__(self):
        self.due = dt.datetime(2024, 5, 1, 9, 30, tzinfo=PKT)

    def handle(self, q):
        return llm(f"{q} by {self.due:%Y-%m-%d %H:%M %Z}")["text"]
"""

TEST = """
import pytest
from zone_app import Agent


@pytest.mark.replay("goldens/zone.ckpt", mock={"llm": "zone_app.llm"})
def test_zone(replay):
    assert replay.run(Agent().handle, "pay") == "ok"
"""


def test_a_named_fixed_zone_replays(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(zone_app=APP, test_zone=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "zone",
    [
        dt.timezone(dt.timedelta(hours=5), "PKT"),
        dt.timezone(dt.timedelta(hours=-3, minutes=-30), "NST"),
        dt.timezone(dt.timedelta(0), "GMT"),
    ],
)
def test_the_name_of_a_fixed_zone_round_trips(zone: dt.timezone) -> None:
    when = dt.datetime(2024, 5, 1, 9, 30, tzinfo=zone)
    back = codec.loads(codec.dumps(codec.encode(when)))
    assert back == when and back.tzname() == zone.tzname(None)
    clock = dt.time(9, 30, tzinfo=zone)
    assert codec.loads(codec.dumps(codec.encode(clock))).tzname() == zone.tzname(None)


def test_an_unnamed_fixed_zone_is_stored_as_before() -> None:
    for zone in (dt.timezone.utc, dt.timezone(dt.timedelta(hours=2))):
        tree = codec.encode(dt.datetime(2024, 5, 1, tzinfo=zone))
        assert set(tree) == {codec.TAG, "v"}
