"""Secrets in the headers of the HTTP request a streamed SDK call keeps, end to end: a header a
key rule covers and one only a pattern finds are redacted in the golden and the trace store, the
recording passes its last check, and the golden replays and records again unchanged."""

from __future__ import annotations

import pytest

KEY = "sk-proj-SECRETabc123DEF456ghi789JKL"
TENANT = "cust-004217"

APP = f"""
import json

import httpx2
import openai

KEY = "{KEY}"


def sse(request):
    chunk = {{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
              "model": "gpt-4o-mini",
              "choices": [{{"index": 0, "delta": {{"content": "Hello"}}, "finish_reason": None}}]}}
    content = f"data: {{json.dumps(chunk)}}\\n\\ndata: [DONE]\\n\\n".encode()
    return httpx2.Response(200, content=content, headers={{"content-type": "text/event-stream"}})


class Agent:
    def __init__(self):
        headers = {{"Helicone-Auth": f"Bearer {{KEY}}", "X-Custom-Auth": KEY,
                    "X-Tenant": "{TENANT}", "X-Team": "search"}}
        self.client = openai.OpenAI(
            api_key=KEY, default_headers=headers, max_retries=0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(sse)))
        self.parts = []

    def run(self, q):
        for c in self.client.chat.completions.create(
                model="gpt-4o-mini", stream=True, messages=[{{"role": "user", "content": q}}]):
            self.parts.append(c.choices[0].delta.content)
        return "".join(self.parts)
"""

TEST = """
import pytest
from header_app import Agent


@pytest.mark.replay("goldens/stream.ckpt",
                    mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_stream(replay):
    assert replay.run(Agent().run, "hi") == "Hello"
"""


def test_secret_headers_of_a_streamed_call_are_redacted_and_replay(
    pytester: pytest.Pytester,
) -> None:
    for name in ("openai", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(header_app=APP, test_headers=TEST)
    pytester.makeini("[pytest]\nclearstone_redact_patterns = cust-\\d{6}\n")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "stream.ckpt"
    text = golden.read_text()
    assert KEY not in text and TENANT not in text
    for stored in (
        '"helicone-auth",\n',  # (the header names openai sends, one item per line)
        '"x-custom-auth",\n',
        '"x-tenant",\n',
    ):
        assert text.count(stored) == 1, stored
        assert f'{stored.strip()} "[REDACTED]"' in " ".join(text.split()), stored
    assert '"x-team", "search"' in " ".join(text.split())
    store = list((pytester.path / ".clearstone").iterdir())
    assert store and not any(
        secret.encode() in path.read_bytes() for path in store for secret in (KEY, TENANT)
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed*"])
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*goldens/stream.ckpt: unchanged*"])
