"""Ignore paths through the stored forms of HTTP requests, responses and client references, and
the request headers that describe the machine, left out of matching by default."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec.compare import placeholders_kept, same_stored_form, same_tree
from pytest_clearstone.golden.ignore import IgnoreConfig, IgnorePaths

httpx = pytest.importorskip("httpx")
httpx2 = pytest.importorskip("httpx2")

MODULES = pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])

MACHINE = {
    "User-Agent": "OpenAI/Python 3.57.0",
    "Accept-Encoding": "gzip, deflate",
    "X-Stainless-Lang": "python",
    "X-Stainless-Package-Version": "3.57.0",
    "X-Stainless-OS": "Linux",
    "X-Stainless-Arch": "x64",
    "X-Stainless-Runtime": "CPython",
    "X-Stainless-Runtime-Version": "3.11.7",
}
ELSEWHERE = {
    "User-Agent": "OpenAI/Python 3.58.1",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "X-Stainless-Lang": "python",
    "X-Stainless-Package-Version": "3.58.1",
    "X-Stainless-OS": "MacOS",
    "X-Stainless-Arch": "arm64",
    "X-Stainless-Runtime": "PyPy",
    "X-Stainless-Runtime-Version": "3.12.1",
}


def _request(module: Any, prompt: str = "hi", trace: str = "t-1", **headers: str) -> Any:
    return module.Request(
        "POST",
        "https://api.openai.com/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]},
        headers={**MACHINE, "X-Trace": trace, "X-Stainless-Retry-Count": "0", **headers},
    )


def _arguments(request: Any) -> Any:
    return codec.encode({"request": request}, allow_pickle=False)


def _names(tree: Any) -> list[str]:
    return [name.lower() for name, _ in tree["request"].get("headers", [])]


# -- paths through the stored forms (finding 2) ----------------------------------------------------


@MODULES
@pytest.mark.parametrize("path", ["request.headers", "**.headers", "request.*"])
def test_a_path_reaches_the_headers_of_a_stored_request(module: Any, path: str) -> None:
    paths = IgnorePaths([path])
    pruned = paths.prune(_arguments(_request(module)))
    assert "headers" not in pruned["request"]
    assert paths.unmatched() == []


@MODULES
def test_ignoring_the_headers_keeps_the_url_and_the_body_compared(module: Any) -> None:
    paths = IgnorePaths(["request.headers"])
    recorded = paths.prune(_arguments(_request(module, trace="a")))
    assert paths.prune(_arguments(_request(module, trace="b"))) == recorded
    assert paths.prune(_arguments(_request(module, prompt="HI"))) != recorded
    other_url = module.Request("POST", "https://api.openai.com/v1/other", json={})
    assert paths.prune(_arguments(other_url)) != recorded


@MODULES
@pytest.mark.parametrize(
    "path",
    ["request.headers.x-trace", "request.headers.X-Trace", 'request.headers["x-trace"]'],
)
def test_one_header_is_named_by_its_name_in_any_case(module: Any, path: str) -> None:
    paths = IgnorePaths([path])
    pruned = paths.prune(_arguments(_request(module)))
    assert "x-trace" not in _names(pruned)
    assert "x-stainless-retry-count" in _names(pruned)
    assert paths.unmatched() == []
    assert paths.prune(_arguments(_request(module, trace="other"))) == pruned


@MODULES
def test_a_star_after_the_headers_matches_every_header(module: Any) -> None:
    paths = IgnorePaths(["request.headers.*"])
    pruned = paths.prune(_arguments(_request(module)))
    assert pruned["request"]["headers"] == []
    assert paths.unmatched() == []


@MODULES
def test_a_header_the_request_does_not_have_matches_nothing(module: Any) -> None:
    paths = IgnorePaths(["request.headers.x-absent"])
    paths.prune(_arguments(_request(module)))
    assert paths.unmatched() == ["request.headers.x-absent"]


@MODULES
def test_a_path_goes_into_a_json_body(module: Any) -> None:
    paths = IgnorePaths(["request.json.messages.*.content"])
    recorded = paths.prune(_arguments(_request(module, prompt="a")))
    assert paths.prune(_arguments(_request(module, prompt="b"))) == recorded
    assert recorded["request"]["json"]["model"] == "gpt-4o"


@MODULES
def test_paths_reach_a_response_its_request_and_a_client_reference(module: Any) -> None:
    response = module.Response(
        200,
        json={"ok": True},
        headers={"x-request-id": "req_1", "x-keep": "k"},
        request=_request(module),
    )
    client = module.Client(base_url="https://api.example", timeout=3)
    try:
        tree = codec.encode({"self": client, "response": response}, allow_pickle=False)
    finally:
        client.close()
    paths = IgnorePaths(
        ["response.headers.x-request-id", "response.request.headers.x-trace", "self.timeout"]
    )
    pruned = paths.prune(tree)
    assert paths.unmatched() == []
    assert [n.lower() for n, _ in pruned["response"]["headers"]] == [
        "x-keep",
        "content-length",
        "content-type",
    ]
    assert "x-trace" not in [n.lower() for n, _ in pruned["response"]["request"]["headers"]]
    assert "timeout" not in pruned["self"]["v"]
    assert pruned["self"]["v"]["base_url"] == "https://api.example"


@MODULES
def test_the_recording_keeps_the_ignored_headers(module: Any) -> None:
    config = IgnoreConfig(["request.headers"])
    paths = config.for_target("httpx.Client.send")
    tree = _arguments(_request(module))
    assert paths.placeholders(tree) == tree


@MODULES
def test_the_recording_keeps_the_machine_headers_of_a_request_no_path_enters(module: Any) -> None:
    paths = IgnoreConfig(["unrelated"]).for_target("httpx.Client.send")
    tree = _arguments(_request(module))
    assert paths.placeholders(tree) == tree


# -- headers describing the machine are not compared (finding 3) -----------------------------------


@MODULES
def test_a_request_from_another_machine_is_the_same_request(module: Any) -> None:
    here, there = _request(module), _request(module, **ELSEWHERE)
    recorded = codec.decode(codec.encode({"request": here}))
    assert same_stored_form({"request": there}, recorded)


@MODULES
def test_any_other_header_is_still_compared(module: Any) -> None:
    recorded = codec.decode(codec.encode({"request": _request(module)}))
    assert not same_stored_form({"request": _request(module, trace="t-2")}, recorded)
    assert not same_stored_form({"request": _request(module, prompt="HI")}, recorded)


@MODULES
def test_a_delta_does_not_show_the_machine_headers(module: Any) -> None:
    recorded = codec.decode(codec.encode(_request(module)))
    shown = placeholders_kept(recorded, _request(module, prompt="HI", **ELSEWHERE))
    assert shown.headers["user-agent"] == MACHINE["User-Agent"]
    assert shown.headers["x-stainless-os"] == "Linux"
    assert b"HI" in shown.content
    assert placeholders_kept(recorded, _request(module)) is not recorded


@MODULES
def test_with_ignore_paths_too_the_machine_headers_are_not_compared(module: Any) -> None:
    paths = IgnoreConfig(["unrelated"]).for_target("httpx2.Client.send")
    recorded = paths.prune(_arguments(_request(module)))
    assert same_tree(paths.prune(_arguments(_request(module, **ELSEWHERE))), recorded)
    assert not same_tree(paths.prune(_arguments(_request(module, trace="t-2"))), recorded)


@MODULES
def test_a_path_into_a_request_leaves_its_machine_headers_uncompared(module: Any) -> None:
    """A path that goes into a request argument (one of its headers, its url) walks it field
    by field: the headers that describe the machine are still left out of the comparison."""
    for path in ("request.headers.x-trace", "request.url"):
        paths = IgnoreConfig([path]).for_target("httpx2.Client.send")
        recorded = paths.prune(_arguments(_request(module)))
        assert "user-agent" not in _names(recorded)
        assert same_tree(paths.prune(_arguments(_request(module, **ELSEWHERE))), recorded)


@MODULES
def test_state_paths_keep_the_machine_headers_of_a_stored_request(module: Any) -> None:
    """Only a call's arguments leave them out: ``ignore_state=`` paths prune what they name."""
    paths = IgnorePaths(["result.trace"])
    pruned = paths.prune({"result": {"trace": 1, **_arguments(_request(module))}})
    assert "user-agent" in _names(pruned["result"])


@MODULES
def test_a_state_path_into_a_stored_request_keeps_its_machine_headers(module: Any) -> None:
    paths = IgnorePaths(["result.request.url"])
    pruned = paths.prune({"result": _arguments(_request(module))})
    assert "user-agent" in _names(pruned["result"]) and "url" not in pruned["result"]["request"]


@MODULES
def test_the_machine_headers_are_stored(module: Any) -> None:
    tree = _arguments(_request(module))
    assert {"user-agent", "x-stainless-runtime-version", "accept-encoding"} <= set(_names(tree))


def test_the_table_of_headers_not_compared() -> None:
    assert {
        "user-agent",
        "accept-encoding",
        "x-stainless-os",
        "x-stainless-arch",
        "x-stainless-runtime",
        "x-stainless-runtime-version",
        "x-stainless-package-version",
    } <= codec.http.UNCOMPARED_HEADERS
    assert "x-stainless-retry-count" not in codec.http.UNCOMPARED_HEADERS


@MODULES
def test_a_path_naming_a_machine_header_matches_it(module: Any) -> None:
    """The module's own example, ``request.headers.user-agent``, names a header that is not
    compared anyway: it matches (no UnmatchedIgnorePathWarning), and the header is left out."""
    paths = IgnoreConfig(["request.headers.user-agent"]).for_target("httpx2.Client.send")
    pruned = paths.prune(_arguments(_request(module)))
    assert paths.unmatched() == []
    assert "user-agent" not in _names(pruned) and "x-trace" in _names(pruned)
