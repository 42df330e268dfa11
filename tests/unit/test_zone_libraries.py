"""Times in the zones of dateutil and pytz are stored with their zone's name and library, and
read back in that zone: its name and DST rules, not only the offset of the stored instant."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode, loads


@pytest.fixture
def tz() -> Any:
    return pytest.importorskip("dateutil.tz")


@pytest.fixture
def pytz() -> Any:
    return pytest.importorskip("pytz")


HOUR = dt.timedelta(hours=1)


def roundtrip(value: object) -> object:
    return loads(dumps(encode(value)))


def test_a_time_in_a_dateutil_zone_comes_back_in_it(tz: Any) -> None:
    zone = tz.gettz("Europe/Paris")
    if getattr(zone, "key", None) != "Europe/Paris":
        pytest.skip("this python-dateutil's zones do not name their key")
    value = dt.datetime(2025, 3, 29, 10, 0, tzinfo=zone)
    tree = encode(value)
    assert tree == {
        TAG: "datetime",
        "v": "2025-03-29T10:00:00+01:00",
        "tz": "Europe/Paris",
        "tzlib": "dateutil",
    }
    back = roundtrip(value)
    assert back == value and back.tzinfo == zone and back.tzname() == "CET"
    # a day later, across the DST change, it has the summer offset, as the recorded one
    assert (back + dt.timedelta(days=1)).isoformat() == "2025-03-30T10:00:00+02:00"
    # the second 02:30 of the autumn change keeps its fold
    repeated = dt.datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=zone)
    assert roundtrip(repeated).utcoffset() == HOUR
    assert roundtrip(dt.time(9, 0, tzinfo=zone)).tzinfo == zone


def test_a_fixed_dateutil_zone_keeps_its_name(tz: Any) -> None:
    value = dt.datetime(2025, 1, 15, 12, tzinfo=tz.tzoffset("CET", 3600))
    back = roundtrip(value)
    assert back == value and back.tzname() == "CET"
    assert f"{back:%H:%M %Z}" == "12:00 CET"
    # UTC is stored as before
    assert encode(dt.datetime(2025, 1, 15, tzinfo=tz.tzutc())) == {
        TAG: "datetime",
        "v": "2025-01-15T00:00:00+00:00",
    }


@pytest.mark.parametrize(
    "naive",
    [
        dt.datetime(2025, 1, 15, 12),
        dt.datetime(2025, 7, 15, 12),
        dt.datetime(2025, 10, 26, 2, 30),  # (the hour repeated)
        dt.datetime(2025, 3, 30, 2, 30),  # (the hour skipped: localized, not normalized)
    ],
)
def test_a_time_localized_in_a_pytz_zone_comes_back_in_it(naive: dt.datetime, pytz: Any) -> None:
    paris = pytz.timezone("Europe/Paris")
    for is_dst in (False, True):
        value = paris.localize(naive, is_dst=is_dst)
        tree = encode(value)
        assert (tree["tz"], tree["tzlib"]) == ("Europe/Paris", "pytz")
        back = roundtrip(value)
        assert back == value
        assert back.replace(tzinfo=None) == naive
        assert (back.tzname(), back.utcoffset()) == (value.tzname(), value.utcoffset())
        assert back.tzinfo is value.tzinfo  # (pytz's own tzinfo of that offset)
        later = paris.normalize(back + dt.timedelta(days=200))
        assert later == paris.normalize(value + dt.timedelta(days=200))


def test_pytz_s_local_mean_time_trap_is_replayed_as_recorded(pytz: Any) -> None:
    # tzinfo=pytz.timezone(...) gives the zone's first offset (LMT, +00:09 for Paris): a bug
    # of the agent's, which a replay reproduces rather than hides
    paris = pytz.timezone("Europe/Paris")
    value = dt.datetime(2025, 1, 15, 12, tzinfo=paris)
    back = roundtrip(value)
    assert back == value and back.tzname() == "LMT" and back.utcoffset() == value.utcoffset()
    assert roundtrip(dt.datetime(2025, 1, 15, tzinfo=pytz.utc)).tzinfo is pytz.utc


def test_a_pytz_time_not_normalized_keeps_its_instant(pytz: Any) -> None:
    paris = pytz.timezone("Europe/Paris")
    winter = paris.localize(dt.datetime(2025, 1, 15, 12))
    unnormalized = winter + dt.timedelta(days=180)  # (CET's offset on a summer day)
    back = roundtrip(unnormalized)
    assert back == unnormalized and back.tzinfo.zone == "Europe/Paris"


def test_a_zone_of_a_library_not_imported_is_shown_without_importing_it(pytz: Any) -> None:
    # inspection (show, diff) never imports a module: the time is shown at its offset
    tree = encode(pytz.timezone("Europe/Paris").localize(dt.datetime(2025, 7, 15, 12)))
    script = (
        "import json, sys\n"
        "from pytest_clearstone.codec.views import decoded_view\n"
        f"value = decoded_view(json.loads({dumps(tree)!r}), False, False)\n"
        "print(value.isoformat(), value.tzname(), 'pytz' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert out.split() == ["2025-07-15T12:00:00+02:00", "CEST", "False"]


def test_an_unknown_zone_of_a_library_is_named(pytz: Any, tz: Any) -> None:
    from pytest_clearstone.errors import DecodeError, UnknownZoneError

    for lib in ("pytz", "dateutil"):
        tree = {TAG: "datetime", "v": "2025-01-15T00:00:00+00:00", "tz": "Mars/Base", "tzlib": lib}
        with pytest.raises(UnknownZoneError, match="'Mars/Base'"):
            decode(tree)
        # (refused before any file is read)
        for key in ("/etc/passwd", "../../etc/passwd", "Europe/../../../etc/passwd"):
            with pytest.raises(DecodeError, match="a time zone key is a name such as"):
                decode({**tree, "tz": key})
    with pytest.raises(DecodeError, match="arrow"):
        decode({TAG: "datetime", "v": "2025-01-15T00:00:00+00:00", "tz": "UTC", "tzlib": "arrow"})


def test_a_zone_of_a_library_not_installed_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_clearstone.errors import StoredClassError

    monkeypatch.setitem(sys.modules, "dateutil.tz", None)  # (its import fails: not installed)
    tree = {TAG: "datetime", "v": "2025-01-15T00:00:00+01:00", "tz": "Europe/Paris"}
    with pytest.raises(StoredClassError, match=r"not installed here: install python-dateutil$"):
        decode({**tree, "tzlib": "dateutil"})


def test_a_time_in_a_zone_read_from_a_file_keeps_its_offset_and_name() -> None:
    # zoneinfo.ZoneInfo.from_file gives a zone without a key: its golden was written with
    # "tz": null, which no replay could read back
    import zoneinfo

    source = zoneinfo.ZoneInfo("Europe/Paris")
    data = None
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, "Europe", "Paris")
        if os.path.isfile(path):
            with open(path, "rb") as file:
                data = file.read()
            break
    if data is None:
        pytest.skip("no system time zone database")
    import io

    zone = zoneinfo.ZoneInfo.from_file(io.BytesIO(data))
    value = dt.datetime(2025, 1, 15, 12, tzinfo=zone)
    back = roundtrip(value)
    assert back == value and back.tzname() == "CET" == value.tzname()
    assert back.utcoffset() == source.utcoffset(value)


@pytest.mark.parametrize(
    "zone",
    [
        dt.timezone.utc,
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        dt.timezone(dt.timedelta(hours=5, minutes=30), "IST"),
        dt.timezone(dt.timedelta(0), "GMT"),
        dt.timezone(-dt.timedelta(seconds=30, microseconds=5)),
        dt.timezone.min,
        dt.timezone.max,
    ],
)
def test_a_fixed_zone_is_stored_readably(zone: dt.timezone) -> None:
    # a datetime.timezone held as a value (timezone.utc in an agent's state) was a pickle
    tree = encode(zone)
    assert tree[TAG] == "zone"
    back = roundtrip(zone)
    assert back == zone and back.tzname(None) == zone.tzname(None)
    if zone is dt.timezone.utc:
        assert tree == {TAG: "zone", "offset": "+00:00"} and back is dt.timezone.utc


def test_a_named_zone_of_pytz_or_dateutil_is_stored_readably(pytz: Any, tz: Any) -> None:
    paris = pytz.timezone("Europe/Paris")
    assert encode(paris) == {TAG: "zone", "v": "Europe/Paris", "tzlib": "pytz"}
    assert roundtrip(paris) is paris and roundtrip(pytz.utc) is pytz.utc
    berlin = tz.gettz("Europe/Berlin")
    if getattr(berlin, "key", None) == "Europe/Berlin":
        assert encode(berlin) == {TAG: "zone", "v": "Europe/Berlin", "tzlib": "dateutil"}
        assert roundtrip(berlin) == berlin


def test_a_time_pydantic_parsed_keeps_the_name_of_its_offset() -> None:
    # a structured answer's datetime, parsed by pydantic from "...+01:00", is in pydantic's
    # TzInfo, named "+01:00": read back as a plain offset it was named "UTC+01:00", so an
    # agent writing it with %Z into its next prompt diverged on every replay
    pydantic = pytest.importorskip("pydantic")

    start = pydantic.TypeAdapter(dt.datetime).validate_python("2025-01-15T12:00:00+01:00")
    assert start.tzname() == "+01:00"
    back = roundtrip(start)
    assert back == start and f"{back:%H:%M %Z}" == "12:00 +01:00"


def test_a_zone_key_in_other_case_is_named_with_the_database_s_key() -> None:
    # ZoneInfo("europe/paris") works on macOS and Windows, whose file systems ignore case, and
    # nowhere else: replayed in Linux CI the failure said to install tzdata, which has it
    from pytest_clearstone.errors import UnknownZoneError, decode_fix

    tree = {TAG: "zone", "v": "europe/paris"}
    with pytest.raises(UnknownZoneError, match="'Europe/Paris'") as caught:
        decode(tree)
    assert "tzdata" not in decode_fix(caught.value)
    assert "case" in str(caught.value) + decode_fix(caught.value)
