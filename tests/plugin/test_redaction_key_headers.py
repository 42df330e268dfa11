"""Secrets in headers named like a key, a token or a signature (``X-Gateway-Key``,
``X-Functions-Key``, ``X-Hub-Signature-256``), which no key rule covers as a dict key (``key``
alone is a cache key there), end to end: redacted in every request a golden and the trace store
hold, and a golden recorded before they were still replays."""

from __future__ import annotations

import re

import pytest

SECRET = "gw-7f3a9b2c1d4e5f60a1b2"

APP = f"""
import httpx2
import openai

SECRET = "{SECRET}"


def answer(request):
    if "/models" in request.url.path:
        return httpx2.Response(401, json={{"error": {{"message": "bad key", "type": "auth"}}}})
    return httpx2.Response(200, json={{
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{{"index": 0, "finish_reason": "stop",
                      "message": {{"role": "assistant", "content": "Hello"}}}}]}})


class Agent:
    def __init__(self, header):
        self.client = openai.OpenAI(
            api_key="unused", default_headers={{header: SECRET, "X-Team": "search"}},
            max_retries=0, http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))

    def run(self, q):
        r = self.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": q}}])
        return r.choices[0].message.content

    def refused(self):
        try:
            self.client.models.retrieve("gpt-4o")
        except openai.AuthenticationError as exc:
            return exc.status_code
        return 0
"""

TEST = """
import pytest
from key_app import Agent

HEADER = "{header}"


@pytest.mark.replay("goldens/send.ckpt", mock={{"llm": "httpx2.Client.send"}})
def test_send(replay):
    assert replay.run(Agent(HEADER).run, "hi") == "Hello"


@pytest.mark.replay("goldens/error.ckpt",
                    mock={{"llm": "openai.resources.models.Models.retrieve"}})
def test_error(replay):
    assert replay.run(Agent(HEADER).refused) == 401
"""

HEADERS = [
    "X-Gateway-Key",
    "X-Functions-Key",
    "Ocp-Apim-Subscription-Key",
    "X-Goog-Api-Key",
    "api-key",
    "X-ApiKey",
    "X-Session-Token",
    "X-Hub-Signature-256",
    "X-Client-Secret",
]


@pytest.mark.parametrize("header", HEADERS)
def test_a_header_named_like_a_key_is_redacted_in_the_golden_and_the_store(
    pytester: pytest.Pytester, header: str
) -> None:
    for name in ("openai", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(key_app=APP, test_keys=TEST.format(header=header))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    for golden in ("send", "error"):
        text = (pytester.path / "goldens" / f"{golden}.ckpt").read_text()
        flat = " ".join(text.split())
        assert SECRET not in text, golden
        stored = re.findall(rf'"{header.lower()}", ("[^"]*")', flat)
        # (the request of a recorded error may leave the header out)
        assert set(stored) <= {'"[REDACTED]"', '"<redacted>"'}, golden
        assert stored or golden == "error"
        assert '"x-team", "search"' in flat, golden
    store = list((pytester.path / ".clearstone").rglob("*"))
    assert store and not any(
        SECRET.encode() in path.read_bytes() for path in store if path.is_file()
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 checkpoint(s) replayed*"])


def test_a_golden_recorded_with_the_header_in_clear_still_replays(
    pytester: pytest.Pytester,
) -> None:
    for name in ("openai", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(key_app=APP, test_keys=TEST.format(header="X-Gateway-Key"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    golden = pytester.path / "goldens" / "send.ckpt"
    text = golden.read_text()
    # as a release that did not redact the header wrote it
    golden.write_text(re.sub(r'("x-gateway-key",\s*)"[^"]*"', rf'\1"{SECRET}"', text))
    assert SECRET in golden.read_text()
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
