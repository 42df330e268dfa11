"""``requests`` requests and responses in the codec: readable forms, recognised without importing
``requests``, compared by what they send."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import withheld
from pytest_clearstone.codec.compare import same_stored_form
from pytest_clearstone.golden.ignore import IgnorePaths
from pytest_clearstone.redaction import Redactor

requests = pytest.importorskip("requests")
TOKEN = "ghp_0123456789abcdefABCDEF0123456789abcd"


def _prepared(q: str = "pytest", **kwargs: Any) -> Any:
    session = requests.Session()
    session.headers["Authorization"] = f"token {TOKEN}"
    request = requests.Request(
        "POST", "https://api.example/search", params={"q": q}, **(kwargs or {"json": {"q": q}})
    )
    return session.prepare_request(request)


def _response(request: Any, body: bytes = b'{"items": [{"name": "clearstone"}]}') -> Any:
    response = requests.Response()
    response.status_code = 200
    response.headers = requests.structures.CaseInsensitiveDict(
        {"Content-Type": "application/json", "Set-Cookie": "session=abc", "X-Remaining": "59"}
    )
    response._content = body
    response.url = request.url
    response.request = request
    response.reason = "OK"
    response.encoding = "utf-8"
    response.elapsed = dt.timedelta(milliseconds=12)
    return response


def _roundtrip(value: Any) -> tuple[Any, str]:
    text = codec.dumps(codec.encode(value, allow_pickle=False))
    return codec.loads(text), text


def test_a_prepared_request_is_stored_readably_without_its_secret() -> None:
    back, text = _roundtrip(_prepared())
    tree = json.loads(text)
    assert tree["__cs__"] == "http_request"
    assert tree["module"] == "requests"
    assert tree["method"] == "POST"
    assert tree["url"] == "https://api.example/search?q=pytest"
    assert tree["json"] == {"q": "pytest"}  # requests' own JSON text, read back as JSON
    assert TOKEN not in text
    assert type(back) is requests.PreparedRequest
    assert back.url == "https://api.example/search?q=pytest"
    assert back.body == _prepared().body
    assert back.headers["authorization"] == codec.REDACTED
    assert back.headers["Content-Type"] == "application/json"


def test_the_withheld_authorization_header_is_told_as_of_a_requests_request() -> None:
    codec.encode(_prepared(), allow_pickle=False)
    noted = withheld.noted()
    assert noted[f"token {TOKEN}"] == "the Authorization header of a requests request"
    assert noted[TOKEN] == "the token in the Authorization header of a requests request"


@pytest.mark.parametrize(
    ("kwargs", "stored"),
    [
        ({"data": {"a": "1"}}, {"text": "a=1"}),
        ({"data": b"\x89PNG\x00"}, {"base64": "iVBORwA="}),
        ({"data": None}, {}),
    ],
    ids=["form", "binary", "none"],
)
def test_a_prepared_request_body(kwargs: dict[str, Any], stored: dict[str, Any]) -> None:
    prepared = _prepared(**kwargs)
    tree = codec.encode(prepared, allow_pickle=False)
    assert {k: tree[k] for k in ("json", "text", "base64") if k in tree} == stored
    back, _ = _roundtrip(prepared)
    assert back.body == prepared.body


def test_a_changed_query_is_a_different_request() -> None:
    recorded, _ = _roundtrip({"request": _prepared()})
    assert same_stored_form({"request": _prepared()}, recorded)
    assert not same_stored_form({"request": _prepared("PYTEST")}, recorded)


def test_the_user_agent_of_another_requests_release_is_not_compared() -> None:
    recorded, _ = _roundtrip({"request": _prepared()})
    other = _prepared()
    other.headers["User-Agent"] = "python-requests/9.9.9"
    other.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
    assert same_stored_form({"request": other}, recorded)


def test_ignore_paths_reach_the_headers_of_a_prepared_request() -> None:
    paths = IgnorePaths(["request.headers.x-trace"])
    first, second = _prepared(), _prepared()
    first.headers["X-Trace"], second.headers["X-Trace"] = "a", "b"
    pruned = paths.prune(codec.encode({"request": first}))
    assert pruned == paths.prune(codec.encode({"request": second}))
    assert paths.unmatched() == []


def test_a_response_comes_back_as_a_response() -> None:
    first = _response(_prepared(), b"{}")
    first.status_code, first.reason = 301, "Moved Permanently"
    response = _response(_prepared())
    response.history = [first]
    back, text = _roundtrip(response)
    assert TOKEN not in text and "session=abc" not in text
    assert type(back) is requests.Response
    assert back.status_code == 200 and back.ok
    assert back.json() == {"items": [{"name": "clearstone"}]}
    assert back.text == response.text
    assert back.content == response.content
    assert back.headers["x-remaining"] == "59"
    assert back.headers["set-cookie"] == codec.REDACTED
    assert (back.url, back.reason, back.encoding) == (response.url, "OK", "utf-8")
    assert type(back.request) is requests.PreparedRequest
    assert back.request.url == response.request.url
    assert [(r.status_code, r.reason) for r in back.history] == [(301, "Moved Permanently")]
    assert next(iter(back.iter_content(4))) == b'{"it'
    back.raise_for_status()
    back.close()
    assert codec.encode(back) == codec.encode(response)


def test_a_response_whose_json_body_holds_nan_is_stored_as_its_text() -> None:
    # (Python's json writes NaN, which JSON lacks: storing the response raised ValueError)
    response = _response(_prepared(), b'{"score": NaN}')
    assert codec.encode(response, allow_pickle=False)["text"] == '{"score": NaN}'
    back, _ = _roundtrip(response)
    assert back.content == b'{"score": NaN}'


def test_a_response_whose_json_body_nests_past_the_recursion_limit_is_stored_as_its_text() -> None:
    body = b"[" * 100_000 + b"]" * 100_000  # (json.loads raised RecursionError)
    response = _response(_prepared(), body)
    assert codec.encode(response, allow_pickle=False)["text"] == body.decode()
    back, _ = _roundtrip(response)
    assert back.content == body


def test_a_streamed_response_nobody_read_is_stored_unread() -> None:
    response = _response(_prepared())
    response._content = False
    tree = codec.encode(response, allow_pickle=False)
    assert tree.get("unread") is True


def test_an_empty_reason_phrase_comes_back_empty_not_none() -> None:
    # (a status line with no reason: "HTTP/1.1 200 "; an agent reading response.reason.lower())
    response = _response(_prepared())
    response.reason = ""
    back, _ = _roundtrip(response)
    assert back.reason == ""


def test_a_response_built_without_a_connection_and_read_is_stored_with_no_body() -> None:
    # (its content is None once read: a body read and empty, not one nobody read)
    response = requests.Response()
    response.status_code = 204
    response.request = _prepared()
    assert response.content is None
    tree = codec.encode(response, allow_pickle=False)
    assert not {"json", "text", "base64", "unread"} & set(tree)
    assert codec.decode(tree).status_code == 204


def test_a_response_with_no_status_yet_comes_back_with_none() -> None:
    # (requests.Response() as a fake builds it, before a status is set)
    back, _ = _roundtrip(requests.Response())
    assert type(back) is requests.Response and back.status_code is None


def test_a_prepared_request_not_prepared_yet_is_stored_with_no_headers() -> None:
    tree = codec.encode(requests.PreparedRequest(), allow_pickle=False)
    assert (tree[codec.TAG], tree["headers"]) == ("http_request", [])
    assert type(codec.decode(tree)) is requests.PreparedRequest


def test_an_empty_request_body_is_stored_as_no_body_whatever_its_type() -> None:
    # (a hook that empties the body writes "" or b"": the golden is the same as for none)
    forms = []
    for body in (None, "", b""):
        prepared = _prepared(data=None)
        prepared.body = body
        forms.append(codec.encode(prepared, allow_pickle=False))
    assert not {"json", "text", "base64", "unread"} & set(forms[0])
    assert forms[1] == forms[0] and forms[2] == forms[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"q": "x", "api_key": "k-0123456789"}},
        {"data": {"q": "x", "api_key": "k-0123456789"}},
    ],
    ids=["json", "form"],
)
def test_a_secret_field_of_a_request_body_is_redacted_as_for_httpx(kwargs: dict[str, Any]) -> None:
    prepared = _prepared(**kwargs)
    redacted = Redactor().redact(prepared)
    assert "k-0123456789" not in codec.dumps(codec.encode(redacted, allow_pickle=False))
    assert "k-0123456789" in str(prepared.body)  # the agent's own request is left as it is
    assert type(redacted.body) is type(prepared.body)


def test_a_secret_field_of_a_response_body_is_redacted() -> None:
    response = _response(_prepared(), b'{"items": [], "token": "t-0123456789"}')
    redacted = Redactor().redact(response)
    assert "t-0123456789" not in codec.dumps(codec.encode(redacted, allow_pickle=False))
    assert redacted.json()["items"] == []


def test_the_codec_does_not_import_requests() -> None:
    code = (
        "import sys\n"
        "from pytest_clearstone import codec as c\n"
        "c.loads(c.dumps(c.encode({'a': (1, 2)})))\n"
        "print('requests' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
