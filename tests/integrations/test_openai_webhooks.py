"""openai's ``webhooks.unwrap`` checks the webhook's timestamp against ``time.time()``: a webhook
signed in the test's call carries the recording's instant (the frozen clock) in every run and
replays however long after the recording; one signed in a fixture (the real clock) fails the
replay once the recording is more than the tolerance (300 s) old, as the OpenAI how-to says."""

from __future__ import annotations

import json
import re

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

SECRET = "whsec_dGhpcyBpcyBhIHRlc3Qgc2VjcmV0LCBub3QgYSByZWFsIG9uZQ=="

TEST = f"""
import base64
import hashlib
import hmac
import json
import time

import pytest

SECRET = {SECRET!r}
PAYLOAD = json.dumps({{"id": "evt_1", "object": "event", "created_at": 1767225600,
                       "type": "response.completed", "data": {{"id": "resp_1"}}}})


def signed(payload):
    stamp = str(int(time.time()))
    digest = hmac.new(base64.b64decode(SECRET.removeprefix("whsec_")),
                      f"wh_1.{{stamp}}.{{payload}}".encode(), hashlib.sha256).digest()
    return {{"webhook-id": "wh_1", "webhook-timestamp": stamp,
             "webhook-signature": "v1," + base64.b64encode(digest).decode()}}


def on_webhook(client, payload, headers):
    event = client.webhooks.unwrap(payload, headers)
    return client.responses.create(model="gpt-4o-mini", input=f"Summarise {{event.data.id}}")


@pytest.fixture
def webhook():
    return signed(PAYLOAD)


@pytest.mark.replay("goldens/in_test.ckpt",
                    mock={{"llm": "openai.resources.responses.responses.Responses.create"}})
def test_in_test(replay, openai_client):
    client = openai_client.with_options(webhook_secret=SECRET)
    replay.run(on_webhook, client, PAYLOAD, signed(PAYLOAD))


@pytest.mark.replay("goldens/in_fixture.ckpt",
                    mock={{"llm": "openai.resources.responses.responses.Responses.create"}})
def test_in_fixture(replay, openai_client, webhook):
    client = openai_client.with_options(webhook_secret=SECRET)
    replay.run(on_webhook, client, PAYLOAD, webhook)
"""


def test_a_webhook_signed_in_the_test_replays_after_the_tolerance(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    stack.write_test("webhooks", TEST)
    stack.roundtrip()
    for golden in stack.goldens():  # recorded a month ago
        text = golden.read_text()
        assert SECRET not in text and SECRET.removeprefix("whsec_") not in text
        stamp = json.loads(text)["timestamp"]
        golden.write_text(text.replace(stamp, re.sub(r"^\d{4}-\d\d", "2020-01", stamp)))
    result = stack.replay()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED test_webhooks.py::test_in_fixture - openai.InvalidWebhookSignature*"]
    )
    result.stdout.fnmatch_lines(["*Webhook timestamp is too new*"])
