"""End to end: values in time zones, and goldens replayed where the zones are not those of the
machine that recorded them."""

from __future__ import annotations

import pytest

from pytest_clearstone.__main__ import main

ZONE_APP = """
import datetime as dt
import zoneinfo


def llm(prompt):
    return {"text": "ok"}


class Agent:
    def __init__(self):
        self.zone = zoneinfo.ZoneInfo("America/Ciudad_Juarez")
        self.due = dt.datetime(2025, 3, 29, 10, tzinfo=self.zone)

    def handle(self, q):
        return llm(f"{q} by {self.due:%H:%M %Z}")["text"]
"""

ZONE_TEST = """
import pytest
from zone_app import Agent


@pytest.mark.replay("goldens/zone.ckpt", mock={"llm": "zone_app.llm"})
def test_zone(replay):
    assert replay.run(Agent().handle, "pay") == "ok"
"""


def test_a_zone_this_machine_does_not_know_names_it_and_the_fix(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # a golden recorded where the zone database has a zone (a laptop with a recent one) read
    # where it does not (Windows or a slim container without the tzdata package, an older
    # database): the failure said the golden was not readable and to restore it from version
    # control or re-record it, which does not help; the file is sound, the database lacks it
    pytester.syspathinsert()
    pytester.makepyfile(zone_app=ZONE_APP, test_zone=ZONE_TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "zone.ckpt"
    text = golden.read_text()
    golden.write_text(text.replace("America/Ciudad_Juarez", "America/Nowhere_Town"))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "'America/Nowhere_Town'" in out
    assert "time zone database" in out and "tzdata" in out
    assert "Restore it from version control" not in out
    assert main(["show", str(golden)]) == 2
    err = capsys.readouterr().err
    assert "'America/Nowhere_Town'" in err and "tzdata" in err


def test_a_zone_key_that_is_a_path_is_still_refused() -> None:
    from pytest_clearstone import codec
    from pytest_clearstone.errors import DecodeError

    tree = {codec.TAG: "zone", "v": "../../etc/passwd"}
    with pytest.raises(DecodeError, match=r"normalized|subdirectories") as caught:
        codec.decode(tree)
    assert "tzdata" not in str(caught.value)


LIBRARY_ZONES_APP = """
import datetime as dt

import pytz
from dateutil import tz

PARIS = pytz.timezone("Europe/Paris")


def llm(prompt):
    return {"text": "ok"}


class Agent:
    def __init__(self):
        # the day before clocks go forward in Paris (2025-03-30)
        self.meeting = dt.datetime(2025, 3, 29, 10, tzinfo=tz.gettz("Europe/Paris"))
        self.flight = PARIS.localize(dt.datetime(2025, 3, 29, 18))

    def handle(self, q):
        later = self.meeting + dt.timedelta(days=1)
        flight = PARIS.normalize(self.flight + dt.timedelta(days=1))
        return llm(
            f"{q}: meeting {later:%Y-%m-%d %H:%M %Z (%z)}, flight {flight:%H:%M %Z}"
        )["text"]
"""

LIBRARY_ZONES_TEST = """
import pytest
from zones_app import Agent


@pytest.mark.replay("goldens/zones.ckpt", mock={"llm": "zones_app.llm"})
def test_zones(replay):
    assert replay.run(Agent().handle, "plan") == "ok"
"""


def test_dateutil_and_pytz_zones_in_the_state_replay(pytester: pytest.Pytester) -> None:
    # an agent keeping times in dateutil's and pytz's zones: the golden kept their offset
    # only, so the loaded state moved a day across the DST change with the winter offset
    # ("11:00 CEST (+0200)" recorded, "10:00 UTC+01:00 (+0100)" replayed: a divergence with
    # nothing changed) and pytz's normalize() of a replayed time raised AttributeError
    pytest.importorskip("pytz")
    pytest.importorskip("dateutil")
    pytester.syspathinsert()
    pytester.makepyfile(zones_app=LIBRARY_ZONES_APP, test_zones=LIBRARY_ZONES_TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "zones.ckpt").read_text()
    assert '"tzlib": "dateutil"' in golden and '"tzlib": "pytz"' in golden
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)


ZONE_VALUES_APP = """
import datetime as dt
import zoneinfo

import pytz
from dateutil import tz


def llm(prompt):
    return {"text": "ok"}


class Agent:
    def __init__(self):
        self.zones = {
            "utc": dt.timezone.utc,
            "india": dt.timezone(dt.timedelta(hours=5, minutes=30), "IST"),
            "lisbon": zoneinfo.ZoneInfo("Europe/Lisbon"),
            "paris": pytz.timezone("Europe/Paris"),
            "berlin": tz.gettz("Europe/Berlin"),
        }

    def handle(self, q):
        now = dt.datetime.now(dt.timezone.utc)
        times = ", ".join(
            f"{name} {now.astimezone(zone):%H:%M %Z}" for name, zone in self.zones.items()
        )
        return llm(f"{q}: {times}")["text"]
"""

ZONE_VALUES_TEST = """
import pytest
from zone_values_app import Agent


@pytest.mark.replay("goldens/zones.ckpt", mock={"llm": "zone_values_app.llm"})
def test_zones(replay):
    assert replay.run(Agent().handle, "clocks") == "ok"
"""


def test_zones_in_the_state_are_stored_readably(pytester: pytest.Pytester) -> None:
    # an agent keeping the zones its users are in: datetime.timezone (timezone.utc too),
    # pytz's and dateutil's zones could be stored only as pickles, so recording failed
    # (pickles are opt-in) and told the user to register an encoder for the standard library
    pytest.importorskip("pytz")
    pytest.importorskip("dateutil")
    pytester.syspathinsert()
    pytester.makepyfile(zone_values_app=ZONE_VALUES_APP, test_zones=ZONE_VALUES_TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "zones.ckpt").read_text()
    assert '"pickle"' not in golden
    assert '"offset": "+05:30"' in golden and '"tzname": "IST"' in golden
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


LOCAL_TIME_APP = """
import datetime as dt
import time


def llm(prompt):
    return {"text": "ok"}


class Agent:
    def handle(self, q):
        local = f"{dt.datetime.now():%Y-%m-%d %H:%M} {time.strftime('%H:%M %Z')}"
        return llm(f"{q} at {local}, {dt.date.today()}, {time.localtime().tm_hour}")["text"]
"""

LOCAL_TIME_TESTS = """
import datetime as dt

import pytest
from freezegun import freeze_time

from local_app import Agent


@pytest.mark.time_machine(dt.datetime(2025, 3, 30, 23, 30), tick=False)
@pytest.mark.replay("goldens/travelled.ckpt", mock={"llm": "local_app.llm"})
def test_travelled(replay):
    assert replay.run(Agent().handle, "plan") == "ok"


@pytest.fixture
def frozen():
    with freeze_time("2025-03-30 23:30"):
        yield


@pytest.mark.replay("goldens/frozen.ckpt", mock={"llm": "local_app.llm"})
def test_frozen(frozen, replay):
    assert replay.run(Agent().handle, "plan") == "ok"
"""


@pytest.mark.skipif(not hasattr(__import__("time"), "tzset"), reason="no time.tzset (Windows)")
def test_a_clock_the_test_set_reads_the_same_local_time_in_every_zone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a test setting the clock itself (time-machine's marker with a naive time, freezegun in
    # a fixture) kept the machine's local zone: recorded in Paris, `datetime.now()` read
    # 01:30 the next day and the replay in CI (UTC) 23:30, a divergence with nothing changed;
    # local time is UTC in the test's call under the checkpoint's clock, and now under the
    # test's own clock too
    pytest.importorskip("freezegun")
    pytester.makepyfile(local_app=LOCAL_TIME_APP, test_local=LOCAL_TIME_TESTS)
    pytester.makeini("[pytest]\npythonpath = .\n")
    monkeypatch.setenv("TZ", "Europe/Paris")
    pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly").assert_outcomes(
        passed=2
    )
    for zone in ("UTC", "America/New_York"):
        monkeypatch.setenv("TZ", zone)
        result = pytester.runpytest_subprocess("-p", "no:randomly")
        result.assert_outcomes(passed=2)


ZONE_AT_IMPORT_APP = """
import datetime as dt

from dateutil import tz

LOCAL = tz.tzlocal()  # the machine's zone, taken at import


def llm(prompt):
    return {"text": "ok"}


class Agent:
    def handle(self, q):
        return llm(f"{q} at {dt.datetime.now(LOCAL):%Y-%m-%d %H:%M %z}")["text"]
"""

ZONE_AT_IMPORT_TEST = """
import pytest
from import_zone_app import Agent


@pytest.mark.replay("goldens/zone.ckpt", mock={"llm": "import_zone_app.llm"})
def test_zone(replay):
    assert replay.run(Agent().handle, "plan") == "ok"
"""


@pytest.mark.skipif(not hasattr(__import__("time"), "tzset"), reason="no time.tzset (Windows)")
def test_a_zone_taken_from_the_machine_at_import_is_named_as_the_cause(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # recorded in Paris, replayed in CI: the prompt differed only in the zone of its time,
    # and the failure said the prompt changed and to re-record, which fails again in CI
    pytest.importorskip("dateutil")
    pytester.makepyfile(import_zone_app=ZONE_AT_IMPORT_APP, test_zone=ZONE_AT_IMPORT_TEST)
    pytester.makeini("[pytest]\npythonpath = .\n")
    monkeypatch.setenv("TZ", "Europe/Paris")
    pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly").assert_outcomes(
        passed=1
    )
    monkeypatch.setenv("TZ", "UTC")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Only the zone of times differs*"])
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")
