"""A replay whose texts differ only in the zone their times are written in (the same instants
at another UTC offset) says so: the agent took the machine's zone from outside the test's call,
where local time is UTC on every machine."""

from __future__ import annotations

import pytest

from pytest_clearstone.diff import StateDelta, unstable_cause
from pytest_clearstone.errors import TIMES_ONLY, ZONES_ONLY


def _cause(before: object, after: object) -> str:
    return unstable_cause(StateDelta({"prompt": before}, {"prompt": after}))


@pytest.mark.parametrize(
    ("recorded", "replayed"),
    [
        ("hi at 2026-12-05 09:08 +0100", "hi at 2026-12-05 08:08 +0000"),
        ("due 2026-12-05T09:08:21.500000+01:00.", "due 2026-12-05T08:08:21.500000+00:00."),
        (
            "due 2026-12-05T03:08:21-05:00 and 2026-12-06 01:00+0100",
            "due 2026-12-05T08:08:21Z and 2026-12-06 00:00+0000",
        ),
    ],
)
def test_times_written_in_another_zone_are_named_as_such(recorded: str, replayed: str) -> None:
    # an agent that made dateutil's tz.tzlocal() at import (in Paris when recorded, in UTC in
    # CI): the failure said the prompt changed and to re-record, which fails again in CI
    assert _cause(recorded, replayed) == ZONES_ONLY
    assert "tzlocal" in ZONES_ONLY and "ZoneInfo(" in ZONES_ONLY


def test_other_instants_are_not_a_zone_change() -> None:
    assert _cause("at 2026-12-05T09:08:21+01:00", "at 2026-12-05T09:08:22+00:00") == TIMES_ONLY
    assert _cause("at 2026-12-05T09:08:21+01:00", "at 2026-12-05T09:08:21+01:00 now") == ""
    assert _cause("hi at 2026-12-05 09:08 +0100", "bye at 2026-12-05 08:08 +0000") == ""
