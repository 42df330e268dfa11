"""An SDK method the agent calls that the test does not mock (openai's Conversations API before
``responses.create(conversation=...)``, anthropic's ``messages.count_tokens`` before
``messages.create``) runs live when recording and is blocked on replay. The network guard's
message said only "Mock the function that makes this call": it now names the SDK method, whose
import path added to ``mock=`` records and replays."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import openai  # noqa: F401
import pytest

from .harness import Stack

CONVERSATIONS = "openai.resources.conversations.conversations.Conversations.create"
RESPONSES = "openai.resources.responses.responses.Responses.create"
COUNT = "anthropic.resources.messages.messages.Messages.count_tokens"
MESSAGES = "anthropic.resources.messages.Messages.create"

# The services answer /v1/responses and /v1/messages; a conversation and a token count are
# answered here, sealed and counted the same way.
AGENT = """
import json
import os

import anthropic
import httpx2
import openai

import services


def _extra(service, request, answer):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        service.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    service.requests.append({"path": request.url.path, "body": json.loads(request.content)})
    return httpx2.Response(200, json=answer)


def gpt(request):
    if request.url.path == "/v1/conversations":
        return _extra(services.OPENAI, request, {
            "id": "conv_689667905b048191b4740501625afd94", "object": "conversation",
            "created_at": 1767225600, "metadata": {}})
    return services.OPENAI.handler(request)


def claude(request):
    if request.url.path == "/v1/messages/count_tokens":
        return _extra(services.ANTHROPIC, request, {"input_tokens": 12})
    return services.ANTHROPIC.handler(request)


def client(kind):
    # a client of the real transport (blocked by the guard) once the golden is recorded
    live = os.environ.get("CLEARSTONE_SERVICES_SEALED")
    if kind == "openai":
        http = None if live else httpx2.Client(transport=httpx2.MockTransport(gpt))
        return openai.OpenAI(http_client=http, max_retries=0)
    http = None if live else httpx2.Client(transport=httpx2.MockTransport(claude))
    return anthropic.Anthropic(http_client=http, max_retries=0)


def in_a_conversation(client, question):
    conversation = client.conversations.create()
    return client.responses.create(model="gpt-4o-mini", input=question,
                                   conversation=conversation.id).output_text


def counted(client, question):
    messages = [{"role": "user", "content": question}]
    counted = client.messages.count_tokens(model="claude-sonnet-4-5", messages=messages)
    if counted.input_tokens > 1000:
        return "too long"
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                                  messages=messages).content[0].text
"""

TEST = """
import pytest

import unmocked_agent as app


@pytest.mark.replay(mock={"llm": MOCK})
def test_it():
    assert app.FUNCTION(app.client(KIND), "Tides?") == "Answer to 'Tides?'"
"""


@pytest.mark.parametrize(
    ("kind", "function", "target", "unmocked"),
    [
        ("openai", "in_a_conversation", RESPONSES, CONVERSATIONS),
        ("anthropic", "counted", MESSAGES, COUNT),
    ],
    ids=["openai_conversations", "anthropic_count_tokens"],
)
def test_a_blocked_call_names_the_sdk_method_to_mock(
    make_stack: object, kind: str, function: str, target: str, unmocked: str
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "unmocked_agent.py").write_text(AGENT)
    test = TEST.replace("FUNCTION", function).replace("KIND", repr(kind))
    stack.write_test("it", test.replace("MOCK", repr(target)))
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        f"The call was made by the SDK method {unmocked}, which is not mocked: add it to mock= "
        "and record again" in text
    ), text
    stack.write_test("it", test.replace("MOCK", repr([target, unmocked])))
    stack.record()
    stack.replay_passes()
