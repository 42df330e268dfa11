"""A recorded exception whose class has gained a field since the golden was recorded.

An exception class that is not made from its ``args`` alone (an ``__init__`` taking its fields,
keyword-only ones as the SDKs' ``APIStatusError(message, *, response, body)``) is made again by
calling it with the recorded fields of the same names, so that a field its ``__init__`` sets
and the golden does not hold (added to the class, or by an SDK release, since it was recorded)
has the value that ``__init__`` gives it, as a live error would, rather than being missing: an
agent reading it in its ``except`` clause failed with ``AttributeError`` on every replay of an
older golden.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_clearstone.golden.recorded_errors import rebuild_exception
from pytest_clearstone.tracing.span import exception_record


def _recorded_before(exc: BaseException, *fields: str) -> dict[str, Any]:
    """``exc`` recorded and read back from a golden, without ``fields``: as it was recorded
    when its class did not set them yet."""
    record: dict[str, Any] = json.loads(json.dumps(exception_record(exc)))
    for field in fields:
        del record["attributes"][field]
    return record


class _Busy(Exception):
    """A tool's error; ``region`` was added to it after the golden was recorded."""

    def __init__(self, service: str, retry_after: float, region: str = "eu") -> None:
        super().__init__(f"{service} is busy, retry after {retry_after}s")
        self.service = service
        self.retry_after = retry_after
        self.region = region


def test_a_field_added_to_the_class_since_the_recording_gets_its_default() -> None:
    # Before the fix: the class was made without its __init__ (it takes its fields, not its
    # message), so "region" was missing: AttributeError in the agent's except clause.
    record = _recorded_before(_Busy("weather-api", 0.5, region="us"), "region")
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is _Busy
    assert rebuilt.region == "eu"  # what its __init__ gives it
    assert (rebuilt.service, rebuilt.retry_after) == ("weather-api", 0.5)
    assert str(rebuilt) == "weather-api is busy, retry after 0.5s"
    assert rebuilt.args == ("weather-api is busy, retry after 0.5s",)


class _Renamed(Exception):
    """A field the golden holds under another name: its ``__init__`` cannot be called."""

    def __init__(self, name: str, delay: float) -> None:
        super().__init__(f"{name} is busy")
        self.name = name
        self.delay = delay


def test_fields_recorded_as_they_were_win_over_what_init_sets() -> None:
    error = _Busy("weather-api", 0.5, region="us")
    rebuilt = rebuild_exception(json.loads(json.dumps(exception_record(error))))
    assert type(rebuilt) is _Busy and rebuilt.region == "us"


def test_an_init_its_recorded_fields_cannot_call_is_not_called() -> None:
    record = _recorded_before(_Renamed("weather-api", 0.5), "delay")
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is _Renamed
    assert rebuilt.name == "weather-api" and str(rebuilt) == "weather-api is busy"
    assert not hasattr(rebuilt, "delay")


def test_an_sdk_error_recorded_before_a_release_added_a_field_has_it() -> None:
    # An openai release that did not yet keep the response's x-request-id as request_id: the
    # agent logging exc.request_id on a 429 failed on every replay after the SDK upgrade.
    openai = pytest.importorskip("openai")
    httpx2 = pytest.importorskip("httpx2")
    request = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions")
    response = httpx2.Response(
        429,
        headers={"x-request-id": "req_123", "retry-after": "20"},
        json={"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
        request=request,
    )
    error = openai.RateLimitError(
        "Error code: 429 - Rate limit reached", response=response, body={"code": "rate_limit"}
    )
    rebuilt = rebuild_exception(_recorded_before(error, "request_id"))
    assert type(rebuilt) is openai.RateLimitError
    assert rebuilt.request_id == "req_123"
    assert rebuilt.status_code == 429 and rebuilt.response.headers["retry-after"] == "20"
    assert str(rebuilt) == str(error) and rebuilt.body == {"code": "rate_limit"}
