"""openai's Realtime client secrets: a server agent mints an ephemeral key for a browser
(``client.realtime.client_secrets.create(...)``, an ``ek_`` key in the answer's ``value``) and
hands it on. The key authorizes Realtime sessions as the account until it expires; the golden
held it, under the answer's ``value`` and the agent's result, where no key rule or pattern
looked (unless the agent also kept it under a name a key rule covers, which made the recording
fail). It is redacted as ``sk-`` keys are, and the golden replays."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

EPHEMERAL = "ek_68af296e8e408191a1120ab6383263c2"

# The services answer chat and Responses only: the client secrets endpoint is answered here,
# sealed and counted the same way.
AGENT = f'''
import os

import httpx2
import openai

import services


def answer(request):
    where = f"{{request.method}} {{request.url}}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {{where}}")
    services.OPENAI.requests.append({{"path": request.url.path, "body": {{}}}})
    return httpx2.Response(200, json={{
        "value": "{EPHEMERAL}", "expires_at": services.CREATED + 600,
        "session": {{"type": "realtime", "object": "realtime.session", "id": "sess_1",
                    "model": "gpt-realtime", "output_modalities": ["audio"],
                    "instructions": "Be brief.", "tools": [], "tool_choice": "auto",
                    "max_output_tokens": "inf", "tracing": None, "prompt": None,
                    "expires_at": 0, "include": None, "audio": None, "truncation": "auto"}}}})


def client():
    return openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
                         max_retries=0)


class Broker:
    """Mints a browser's Realtime session key."""

    def __init__(self, client):
        self.client = client
        self.sessions = []

    def get_state(self):
        return {{"sessions": self.sessions}}

    def load_state(self, state):
        self.sessions = list(state["sessions"])

    def mint(self, user):
        secret = self.client.realtime.client_secrets.create(
            session={{"type": "realtime", "model": "gpt-realtime", "instructions": "Be brief."}})
        self.sessions.append({{"user": user, "session": secret.session.id}})
        return [user, secret.value, secret.expires_at]  # (for the browser)
'''

TEST = """
import pytest

import broker_agent as app


@pytest.mark.replay(mock={"llm": "openai.resources.realtime.client_secrets.ClientSecrets.create"})
def test_mint(replay):
    minted = replay.run(app.Broker(app.client()).mint, "ana")
    assert minted[0] == "ana" and minted[1]
"""


def test_a_minted_realtime_key_is_redacted_and_the_golden_replays(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "broker_agent.py").write_text(AGENT)
    stack.write_test("mint", TEST)
    stack.roundtrip()
    text = stack.goldens()[0].read_text()
    assert EPHEMERAL not in text
    assert text.count('"[REDACTED]"') >= 2, text  # the answer's value, the result's
