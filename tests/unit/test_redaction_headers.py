"""The headers of an ``httpx``/``httpx2`` request or response are redacted like any
``(name, value)`` pair: by the key rules (on the header's name) and the patterns (in its value),
the default ones and the configured ones; non-secret headers stay readable, the message given is
not changed, and a replay compares a live request's headers the same way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.redaction import PLACEHOLDER, Redactor

MODULES = ["httpx", "httpx2"]
KEY = "sk-proj-SECRETabc123DEF456ghi789JKL"
TENANT = "cust-004217"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
HEADERS = {
    "Helicone-Auth": f"Bearer {KEY}",  # a key rule (``auth``) covers the name
    "X-Api-Key": "live-key-0123456789",  # and here (``api_key``)
    "X-Custom-Auth": "Basic hc-token-0123456789",
    "X-Forwarded-For": f"id {KEY} end",  # no rule covers the name: the ``sk-`` pattern
    "X-Gateway-Key": "gw-7f3a9b2c1d4e5f60",  # ``key`` alone, as a header's last word
    "X-Gateway-Note": "Bearer gw-token-987654321",  # the bearer pattern
    "X-Tenant": TENANT,  # the configured pattern
    "X-Request-Id": "r-1",
    "Content-Type": "application/json",
}


def _exchange(module: str, headers: dict[str, str] = HEADERS) -> Any:
    http = pytest.importorskip(module)
    request = http.Request("POST", "https://api.test/v1/chat", headers=headers, json={"q": "hi"})
    return http.Response(
        200,
        headers={"X-Session-Token": "resp-token-12345", "Server": "api"},
        json={"a": "ok"},
        request=request,
    )


def _redactor() -> Redactor:
    return Redactor.from_settings(extra_patterns=[r"cust-\d{6}"])


def _stored_headers(tree: dict[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in tree["headers"]}


@pytest.mark.parametrize("module", MODULES)
def test_the_headers_of_a_request_and_response_are_redacted_by_keys_and_patterns(
    module: str,
) -> None:
    response = _exchange(module)
    redactor = _redactor()
    out = redactor({"response": response}, "output", "app.llm")["response"]
    tree = codec.encode(out)
    text = json.dumps(tree)
    assert KEY not in text and TENANT not in text and "gw-token" not in text
    assert "live-key" not in text and "resp-token" not in text and "gw-7f3a" not in text
    assert _stored_headers(tree["request"]) == {
        "helicone-auth": PLACEHOLDER,
        "x-api-key": codec.REDACTED,  # (the codec's own list of secret headers)
        "x-custom-auth": PLACEHOLDER,
        "x-forwarded-for": f"id {PLACEHOLDER} end",
        "x-gateway-key": PLACEHOLDER,
        "x-gateway-note": f"Bearer {PLACEHOLDER}",
        "x-tenant": PLACEHOLDER,
        "x-request-id": "r-1",
        "content-type": "application/json",
        "content-length": "10",
        "host": "api.test",
    }
    assert _stored_headers(tree)["x-session-token"] == PLACEHOLDER
    assert _stored_headers(tree)["server"] == "api"
    names = [name for name, _ in tree["request"]["headers"]]
    assert names[:3] == ["Host", "Helicone-Auth", "X-Api-Key"]  # (as they were written)
    assert not redactor.findings and redactor.replaced
    # the message given is not changed
    assert response.request.headers["helicone-auth"] == f"Bearer {KEY}"
    assert response.headers["x-session-token"] == "resp-token-12345"
    assert type(out.request.headers) is type(response.request.headers)
    assert codec.encode(redactor(out)) == tree  # idempotent
    seen = redactor.secret_values(environ={})
    assert f"Bearer {KEY}" in seen and KEY in seen and TENANT in seen
    # a token under a secret header is looked for alone too, as the codec's secret headers are
    assert seen["hc-token-0123456789"] == (
        "the token in the X-Custom-Auth header in the output of call #1 to app.llm"
    )


@pytest.mark.parametrize("module", MODULES)
def test_plain_headers_leave_the_message_as_it_is(module: str) -> None:
    response = _exchange(module, {"X-Request-Id": "r-1", "Accept": "application/json"})
    response.headers = type(response.headers)({"Server": "api"})
    redactor = Redactor()
    out = redactor(response)
    assert out.headers is response.headers and out.request.headers is response.request.headers
    assert codec.encode(out) == codec.encode(response) and not redactor.replaced


@pytest.mark.parametrize("module", MODULES)
def test_a_configured_key_rule_and_an_allow_rule_apply_to_header_names(module: str) -> None:
    response = _exchange(module, {"X-Tenant-Id": "t-1", "X-Session-Token": "kept-12345"})
    redactor = Redactor.from_settings(extra_keys=["tenant_id"], allow=["x-session-token"])
    headers = _stored_headers(codec.encode(redactor(response))["request"])
    assert headers["x-tenant-id"] == PLACEHOLDER
    assert headers["x-session-token"] == "kept-12345"


@pytest.mark.parametrize("module", MODULES)
def test_a_suspect_in_a_header_is_replaced_and_reported_where_it_is(module: str) -> None:
    response = _exchange(module, {"X-Trace": GITHUB})
    redactor = Redactor()
    out = redactor({"response": response}, "output", "app.llm")
    assert GITHUB not in json.dumps(codec.encode(out))
    [finding] = redactor.findings
    assert finding.path == "root['response']._request.headers[1][1]"
    assert finding.kind == "GitHub token"


@pytest.mark.parametrize("module", MODULES)
def test_a_replayed_request_matches_whatever_its_secret_headers_hold(module: str) -> None:
    """The recorded request is decoded from the golden: its secret headers hold the placeholder;
    the live one, with another key (CI's), is redacted the same way and matches; another
    readable header does not."""
    http = pytest.importorskip(module)
    redactor = Redactor()

    def request(key: str, request_id: str = "r-1") -> Any:
        headers = {"Helicone-Auth": f"Bearer {key}", "X-Request-Id": request_id}
        return http.Request("POST", "https://api.test/v1/chat", headers=headers, json={"q": "hi"})

    recorded = codec.decode(codec.encode(redactor({"request": request(KEY)})))
    match = redactor.matcher()
    assert match("app.send", 1, recorded, {"request": request("sk-ci-0123456789abcdefgh")}) is True
    assert match("app.send", 1, recorded, {"request": request(KEY, "r-2")}) is False


@pytest.mark.parametrize("module", MODULES)
def test_random_looking_ids_in_headers_are_no_suspects(module: str) -> None:
    """Responses through AWS or CloudFront carry random-looking ids (no secret rule names them):
    taken for secrets, they failed every recording of a call behind them."""
    ids = {
        "x-amz-cf-id": "Qv5lq0Yq4mB9pYl3xk0-AbCdEfGhIjKlMnOpQrStUvWxYz12==",
        "x-amz-id-2": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5Ne"
        + "C6qMa0emYBDXOo6QBU0Wo=",
        "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
    }
    redactor = Redactor()
    out = redactor({"response": _exchange(module, ids)}, "output", "app.llm")
    assert redactor.findings == []
    headers = out["response"].request.headers
    assert {name: headers[name] for name in ids} == ids


def test_a_name_value_pair_under_its_secret_name_keeps_its_shape() -> None:
    """A case-insensitive mapping (requests' ``CaseInsensitiveDict``) stores each header as
    ``lower-case name -> (name, value)``: the pair under a secret name keeps its name and only
    its value is replaced, so the mapping still iterates as pairs after a replay."""

    class Store:
        def __init__(self, headers: dict[str, str]) -> None:
            self._store = {name.lower(): (name, value) for name, value in headers.items()}

    store = Store({"Authorization": f"Bearer {GITHUB}", "Accept": "application/json"})
    out = Redactor()({"headers": store}, "output", "app.fetch")["headers"]
    assert out._store == {
        "authorization": ("Authorization", PLACEHOLDER),
        "accept": ("Accept", "application/json"),
    }
    assert store._store["authorization"][1] == f"Bearer {GITHUB}"  # the original is unchanged
    # a value under a secret name that is not its own (name, value) pair is replaced whole
    assert Redactor()({"token": ("other", "abc")}, "output", "app.fetch") == {"token": PLACEHOLDER}


def test_headers_in_a_dict_or_in_their_stored_pairs_are_redacted_by_the_header_rule() -> None:
    """``extra_headers=`` as a dict, and the headers of a request in the stored form an
    exception's record holds (``[[name, value]]``), are redacted by their names as headers
    (``key`` as the last word), which as dict keys elsewhere they are not; counts and ids
    stay, and an allow rule still keeps a name."""
    value = {
        "extra_headers": {"X-Functions-Key": "fk-0123456789ab", "X-Trace": "t-1"},
        "request": {
            "__cs__": "http_request",
            "headers": [
                ["X-Gateway-Key", "gw-0123456789ab"],
                ["x-ratelimit-remaining-tokens", "9000"],
                ["X-Kept-Key", "kept-0123456789"],
            ],
        },
        "cache_key": "prompt-0123456789",
    }
    redactor = Redactor.from_settings(allow=["x-kept-key"])
    out = redactor(value, "error", "app.llm")
    assert out["extra_headers"] == {"X-Functions-Key": PLACEHOLDER, "X-Trace": "t-1"}
    assert out["request"]["headers"] == [
        ["X-Gateway-Key", PLACEHOLDER],
        ["x-ratelimit-remaining-tokens", "9000"],
        ["X-Kept-Key", "kept-0123456789"],
    ]
    assert out["cache_key"] == "prompt-0123456789"
    assert value["request"]["headers"][0][1] == "gw-0123456789ab"  # (not changed)
    seen = redactor.secret_values(environ={})
    assert "gw-0123456789ab" in seen and "fk-0123456789ab" in seen


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("x-rapidapikey", True),
        ("X-Functions-Key", True),
        ("X-Hub-Signature-256", True),
        ("X-Session-Token", True),
        ("Set-Cookie", True),
        ("X-Client-Secret", True),
        ("Idempotency-Key", False),
        ("X-Idempotency-Key", False),
        ("x-ratelimit-remaining-tokens", False),
        ("X-Request-Id", False),
    ],
)
def test_a_header_names_a_secret_by_its_words(name: str, secret: bool) -> None:
    """As a header's name, unlike a dict key's, ``key`` as the last word (or a last word ending
    with ``apikey``: ``x-rapidapikey``) names a credential, and so do ``token``, ``signature``,
    ``cookie``, ``secret``...; but not ``Idempotency-Key`` (a request's id) nor ``tokens`` (a
    count)."""
    value = "v-0123456789abcdef"
    out = Redactor()({"extra_headers": {name: value}}, "input", "app.llm")
    assert out["extra_headers"][name] == (PLACEHOLDER if secret else value)


def test_a_requests_session_s_headers_are_redacted_by_the_header_rule() -> None:
    """A ``requests.Session``'s ``headers`` (a ``CaseInsensitiveDict``), kept in a state under
    any name or given to a tool, are redacted by their names as headers (``key`` as the last
    word, ``signature``), as a dict under ``headers`` is: a new ``CaseInsensitiveDict`` in the
    same order, the original unchanged, the values noted as secrets for the scan."""
    requests = pytest.importorskip("requests")
    session = requests.Session()
    session.headers.update(
        {
            "X-Gateway-Key": "gw-0123456789ab",
            "X-Hub-Signature-256": "sha256=0123456789abcdef",
            "Authorization": f"Bearer {GITHUB}",
            "X-Request-Id": "r-1",
        }
    )
    redactor = Redactor()
    out = redactor({"kept": session.headers, "headers": session.headers}, "state", "")
    for headers in out.values():
        assert type(headers) is requests.structures.CaseInsensitiveDict
        assert list(headers) == list(session.headers)
        assert headers["x-gateway-key"] == PLACEHOLDER
        assert headers["X-Hub-Signature-256"] == PLACEHOLDER
        assert headers["Authorization"] == PLACEHOLDER
        assert headers["X-Request-Id"] == "r-1"
        assert headers["User-Agent"] == session.headers["User-Agent"]
    assert session.headers["X-Gateway-Key"] == "gw-0123456789ab"  # (not changed)
    seen = redactor.secret_values(environ={})
    assert "gw-0123456789ab" in seen and "sha256=0123456789abcdef" in seen
    assert GITHUB in seen  # (the token of the Bearer value, as httpx headers note it)
