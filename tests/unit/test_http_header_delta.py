"""A delta between two HTTP requests or responses (an agent mocked at ``httpx.Client.send`` or
``requests.Session.send``) names a changed header by its name, as an ``ignore=`` path does
(``request.headers.x-api-version``), not by its position in the stored header list."""

from __future__ import annotations

import random
from typing import Any

import pytest

from pytest_clearstone.diff import StateDelta, set_verbosity
from pytest_clearstone.golden.ignore import IgnorePaths

httpx = pytest.importorskip("httpx")
requests = pytest.importorskip("requests")

URL = "https://api.example/v1/answers"


@pytest.fixture(autouse=True)
def _default_verbosity() -> Any:
    restore = set_verbosity(0)
    yield
    restore()


def _httpx(headers: Any) -> Any:
    return httpx.Request("POST", URL, json={"q": "Lisbon"}, headers=headers)


def _requests(headers: dict[str, str]) -> Any:
    return requests.Request("POST", URL, json={"q": "Lisbon"}, headers=headers).prepare()


def _lines(before: Any, after: Any) -> list[str]:
    return StateDelta({"request": before}, {"request": after}).lines


def test_a_changed_header_of_an_httpx_request_is_named_by_its_name() -> None:
    before = _httpx({"X-Trace": "t-1", "X-Api-Version": "1", "X-Team": "search"})
    after = _httpx({"X-Trace": "t-1", "X-Api-Version": "2", "X-Team": "search"})
    assert _lines(before, after) == ["root['request'].headers['X-Api-Version']: '1' -> '2'"]


def test_a_changed_header_of_a_requests_prepared_request_is_named_by_its_name() -> None:
    before = _requests({"X-Trace": "t-1", "X-Api-Version": "1"})
    after = _requests({"X-Trace": "t-1", "X-Api-Version": "2"})
    assert _lines(before, after) == ["root['request'].headers['X-Api-Version']: '1' -> '2'"]


def test_an_added_or_removed_header_moves_no_other_header() -> None:
    before = _httpx({"X-Api-Version": "1", "X-Team": "search"})
    after = _httpx({"X-Trace": "t-9", "X-Api-Version": "1", "X-Team": "search"})
    assert _lines(before, after) == ["root['request'].headers['X-Trace']: added 't-9'"]
    assert _lines(after, before) == ["root['request'].headers['X-Trace']: removed 't-9'"]


def test_a_repeated_header_is_named_by_its_name_and_its_place_among_its_values() -> None:
    before = _httpx([("X-Tag", "a"), ("X-Other", "o"), ("X-Tag", "b")])
    after = _httpx([("X-Tag", "a"), ("X-Other", "o"), ("X-Tag", "c")])
    assert _lines(before, after) == ["root['request'].headers['X-Tag'][1]: 'b' -> 'c'"]


def test_a_header_whose_name_changed_case_shows_as_removed_and_added() -> None:
    # (the comparison takes the two as different: the delta must show a difference)
    lines = _lines(_httpx({"X-Api-Version": "1"}), _httpx({"x-api-version": "1"}))
    assert lines == [
        "root['request'].headers['x-api-version']: added '1'",
        "root['request'].headers['X-Api-Version']: removed '1'",
    ]


def test_headers_in_another_order_still_show_a_difference() -> None:
    before = _httpx([("X-A", "1"), ("X-B", "2")])
    after = _httpx([("X-B", "2"), ("X-A", "1")])
    lines = _lines(before, after)
    assert lines  # (by position: by name, nothing differs)
    assert all("root['request'].headers[" in line for line in lines)


def test_the_headers_of_a_response_and_of_its_request_are_named_by_name() -> None:
    def response(version: str, limit: str) -> Any:
        request = _httpx({"X-Api-Version": version})
        return httpx.Response(200, json={"ok": True}, headers={"X-Limit": limit}, request=request)

    lines = StateDelta(response("1", "59"), response("2", "58")).lines
    assert lines == [
        "root.headers['X-Limit']: '59' -> '58'",
        "root.request.headers['X-Api-Version']: '1' -> '2'",
    ]


def test_with_ignore_paths_the_pruned_forms_name_headers_by_name() -> None:
    paths = IgnorePaths(["request.headers.x-trace"], calls=True)
    before = paths.compared_form({"request": _httpx({"X-Trace": "1", "X-Api-Version": "1"})})
    after = paths.compared_form({"request": _httpx({"X-Trace": "2", "X-Api-Version": "2"})})
    assert StateDelta(before, after).lines == [
        "root['request'].headers['X-Api-Version']: '1' -> '2'"
    ]


def test_a_header_named_like_the_codecs_tag_is_still_shown() -> None:
    # (by name it would read as a tagged value: it is named by position)
    before = _httpx({"__cs__": "repr", "X-Api-Version": "1"})
    after = _httpx({"__cs__": "repr", "X-Api-Version": "2"})
    assert _lines(before, after) == ["root['request'].headers[2][1]: '1' -> '2'"]


def test_a_changed_binary_body_is_no_random_id() -> None:
    # Expected: an upload whose bytes changed (audio sent to audio.transcriptions.create, mocked
    # at httpx2.Client.send) is a changed argument; the failure said "Only random-looking ids
    # differ" and blamed os.urandom, the body's base64 cut into id-like runs
    from pytest_clearstone.diff import unstable_cause

    audio = random.Random(0).randbytes(3000)
    changed = audio[:1500] + bytes([audio[1500] ^ 1]) + audio[1501:]
    before = httpx.Request("POST", URL, content=audio)
    after = httpx.Request("POST", URL, content=changed)
    delta = StateDelta({"request": before}, {"request": after})
    assert [change.path for change in delta.changes] == ["root['request'].base64"]
    assert unstable_cause(delta) == ""


def _response(user_agent: str, redirects: int = 0) -> Any:
    """The stored form of a response to a request sent with ``user_agent``, after
    ``redirects`` redirects."""
    from pytest_clearstone import codec

    def request(path: str) -> Any:
        return httpx.Request("GET", URL + path, headers={"User-Agent": user_agent, "X-A": "1"})

    response = httpx.Response(200, json={"ok": True}, request=request(""))
    response.next_request = request("/next")  # (a redirect not followed: what it would send)
    response.history = [
        httpx.Response(302, headers={"location": URL}, request=request(f"/{i}"))
        for i in range(redirects)
    ]
    return codec.encode(response)


def test_a_response_is_compared_without_the_machine_headers_of_its_requests() -> None:
    # (another SDK release or Python sends another User-Agent: the same answer)
    from pytest_clearstone.codec.http import compared_form, with_uncompared_headers_of

    old, new = _response("python-httpx/0.27", 1), _response("python-httpx/0.28", 1)
    assert compared_form(old) == compared_form(new)
    assert compared_form(old)["request"]["headers"] == [["Host", "api.example"], ["X-A", "1"]]
    # what a delta shows: the recorded machine headers, at their recorded places
    shown = with_uncompared_headers_of(old, new)
    assert shown["request"]["headers"] == old["request"]["headers"]  # (User-Agent second)
    assert shown["next_request"]["headers"] == old["next_request"]["headers"]
    # (a response with another history is compared as it is: no error)
    assert compared_form(_response("a", 2)) != compared_form(_response("a", 1))
    with_uncompared_headers_of(_response("a", 2), _response("a", 1))


def test_a_cookie_the_jar_sent_is_not_compared() -> None:
    # (recorded after a response set it; the replayed client's jar is empty: the mocked send
    # that fills it sets nothing)
    from pytest_clearstone import codec
    from pytest_clearstone.codec.http import compared_form

    with_cookie = codec.encode(_httpx({"Cookie": "session=abc", "X-A": "1"}))
    without = codec.encode(_httpx({"X-A": "1"}))
    assert compared_form(with_cookie) == compared_form(without)


def test_a_stored_header_edited_to_three_items_is_compared_as_it_is() -> None:
    from pytest_clearstone import codec
    from pytest_clearstone.codec.http import compared_form

    edited = codec.encode(_httpx({"X-A": "1"}))
    edited["headers"].append(["User-Agent", "a", "b"])
    assert ["User-Agent", "a", "b"] in compared_form(edited)["headers"]


def test_a_stored_header_edited_to_a_name_that_is_no_text_is_compared_as_it_is() -> None:
    from pytest_clearstone import codec
    from pytest_clearstone.codec.http import compared_form

    edited = codec.encode(_httpx({"X-A": "1"}))
    edited["headers"].append([7, "a"])
    assert [7, "a"] in compared_form(edited)["headers"]


def test_headers_edited_out_of_name_value_pairs_are_named_by_position_not_by_name() -> None:
    from pytest_clearstone.codec.http import headers_by_name

    assert headers_by_name([["X-Tag", "a"], ["X-Tag", "b"]]) == {"X-Tag": ["a", "b"]}
    assert headers_by_name([["X-A", "1"], ["User-Agent", "a", "b"]]) is None
    assert headers_by_name([["X-A", "1"], [7, "a"]]) is None


def test_a_response_with_a_next_request_its_recording_lacks_is_shown_as_it_is() -> None:
    # (a redirect now not followed, or one followed now: that request has no counterpart)
    from pytest_clearstone.codec.http import with_uncompared_headers_of

    with_next = _response("python-httpx/0.27")
    without = {key: value for key, value in with_next.items() if key != "next_request"}
    assert with_uncompared_headers_of(without, with_next) == with_next
    assert with_uncompared_headers_of(with_next, without) == without
