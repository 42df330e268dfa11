"""requests' own values as a golden stores them: header names and values given as bytes (which
requests allows) read as latin-1 text, a redirect's history stored one level deep, and an edited
stored response refused or read as it says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode
from pytest_clearstone.errors import DecodeError

requests = pytest.importorskip("requests")


def _stored(value: Any) -> Any:
    return json.loads(dumps(encode(value, strict=True, allow_pickle=False)))


def test_header_values_given_as_bytes_are_stored_as_their_latin_1_text() -> None:
    prepared = requests.Request(
        "GET", "https://api.example.com/q", headers={"X-City": "caf\xe9".encode("latin-1")}
    ).prepare()
    tree = _stored(prepared)
    assert tree["headers"] == [["X-City", "café"]]


def _response(url: str, status: int = 200) -> Any:
    response = requests.Response()
    response.status_code = status
    response.url = url
    response._content = b"{}"
    response.request = requests.Request("GET", url).prepare()
    return response


def test_a_redirects_history_is_stored_one_level_deep() -> None:
    first, second, final = (
        _response("https://a/1", 301),
        _response("https://a/2", 302),
        _response("https://a/3"),
    )
    second.history = [first]
    final.history = [first, second]
    tree = _stored(final)
    assert [step["url"] for step in tree["history"]] == ["https://a/1", "https://a/2"]
    assert all("history" not in step for step in tree["history"])
    assert [r.status_code for r in decode(tree).history] == [301, 302]


def test_a_reason_phrase_set_as_bytes_is_stored_and_read_back_as_its_latin_1_text() -> None:
    response = _response("https://a/1")
    response.reason = "Conflit d\xe9tect\xe9".encode("latin-1")  # (a raw's reason, as it came)
    tree = _stored(response)
    assert tree["reason_phrase"] == "Conflit d\xe9tect\xe9"
    assert decode(tree).reason == "Conflit d\xe9tect\xe9"


def test_a_response_without_a_url_reads_back_with_none() -> None:
    response = _response("https://a/1")
    response.url = None  # (a Response made by hand, before any adapter set it)
    tree = _stored(response)
    assert "url" not in tree
    assert decode(tree).url is None


def test_an_edited_status_reads_as_a_number_and_a_bad_request_is_refused() -> None:
    tree = _stored(_response("https://a/1"))
    assert decode({**tree, "status_code": "201"}).status_code == 201
    with pytest.raises(DecodeError, match="bad request in a stored requests 'http_response'"):
        decode({**tree, "request": {TAG: "dict", "v": []}})
