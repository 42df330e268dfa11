"""A time pydantic parsed (``2026-01-01T00:00:00Z``, an SDK's ``created`` seconds) is in
pydantic's own fixed zone, ``pydantic_core.TzInfo``: it is stored with that library and read
back in it, so what the agent builds from a recorded answer prints (``repr``, a syrupy snapshot
of pydantic-ai's messages) as it did when recorded."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from pytest_clearstone.codec import TAG, dumps, encode, loads

pydantic = pytest.importorskip("pydantic")


def parsed(text: str) -> Any:
    return pydantic.TypeAdapter(dt.datetime).validate_python(text)


def roundtrip(value: object) -> Any:
    return loads(dumps(encode(value)))


@pytest.mark.parametrize("text", ["2026-01-01T00:00:00Z", "2026-01-01T09:30:00+05:30"])
def test_a_time_pydantic_parsed_comes_back_in_pydantics_zone(text: str) -> None:
    value = parsed(text)
    back = roundtrip(value)
    assert back == value and repr(back) == repr(value)
    assert type(back.tzinfo) is type(value.tzinfo)
    clock = pydantic.TypeAdapter(dt.time).validate_python(text.partition("T")[2])
    assert repr(roundtrip(clock)) == repr(clock)


class Stamped(pydantic.BaseModel):
    at: dt.datetime


def test_in_a_model_and_a_dict_it_keeps_its_zone() -> None:
    value = {"model": Stamped(at="2026-01-01T00:00:00Z"), "details": {"at": parsed("2026-01-01")}}
    assert repr(roundtrip(value)) == repr(value)


def test_a_time_in_utc_is_stored_as_before() -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert encode(at) == {TAG: "datetime", "v": "2026-01-01T00:00:00+00:00"}
    assert roundtrip(at).tzinfo is dt.timezone.utc


def test_inspection_shows_it_at_its_offset_without_importing_pydantic() -> None:
    # inspection (show, diff) never imports a module: with pydantic_core not imported, the
    # time is shown in a fixed zone of its offset
    tree = encode(parsed("2026-01-01T09:30:00+05:30"))
    assert tree["tzlib"] == "pydantic_core"
    script = (
        "import json, sys\n"
        "from pytest_clearstone.codec.views import decoded_view\n"
        f"value = decoded_view(json.loads({dumps(tree)!r}), False, False)\n"
        "print(value.isoformat(), type(value.tzinfo).__name__, 'pydantic_core' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert out.split() == ["2026-01-01T09:30:00+05:30", "timezone", "False"]


def test_inspection_shows_it_in_pydantics_zone_where_pydantic_is_imported() -> None:
    from pytest_clearstone.codec.views import decoded_view

    value = parsed("2026-01-01T09:30:00+05:30")
    shown = decoded_view(encode(value), False, False)
    assert repr(shown) == repr(value)


@pytest.mark.parametrize(
    ("tree", "problem"),
    [
        ({"v": "2026-01-01T00:00:00", "tzlib": "pydantic_core"}, "with an offset only"),
        ({"v": "2026-01-01T00:00:00+00:00", "tzlib": ["x"]}, "not ['x']"),
        ({"v": "2026-01-01T00:00:00+00:00", "tzlib": "os"}, "not 'os'"),  # (nothing imported)
    ],
)
def test_a_bad_fixed_zone_library_is_a_decode_error_naming_it(
    tree: dict[str, Any], problem: str
) -> None:
    from pytest_clearstone.codec import decode
    from pytest_clearstone.errors import DecodeError

    with pytest.raises(DecodeError, match=re.escape(problem)):
        decode({TAG: "datetime", **tree})
