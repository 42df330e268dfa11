"""Opaque blocks the newest SDK APIs return and the agent sends back unchanged: anthropic's context
compaction (``compaction`` blocks holding ``encrypted_content`` and a ``signature`` over the
summary) and openai's beta agent messages (``encrypted_content`` content parts). They are model
output, not credentials: recording them was refused as "values that look like secrets"."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import openai  # noqa: F401

from .harness import Stack

ENCRYPTED = "EuYBCkYICBgCKkCm5dZr0fJ3o1X4aGkQvJc1Yh2Zf7xT9sQ3lBnK8pWqVeR0uM6yD2cA5tH4jN1gL7iO9kS3"
SIGNATURE = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4"

# The services answer /v1/messages and /v1/responses with text only: the answers holding the
# opaque blocks are made here, sealed and counted the same way.
AGENT = f"""
import json
import os

import anthropic
import httpx2
import openai

import services

ENCRYPTED = {ENCRYPTED!r}
SIGNATURE = {SIGNATURE!r}


def _seen(service, request):
    where = f"{{request.method}} {{request.url}}"
    if os.environ.get(services.SEALED_ENV):
        service.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {{where}}")
    body = json.loads(request.content)
    service.requests.append({{"path": request.url.path, "body": body}})
    return body


def claude(request):
    body = _seen(services.ANTHROPIC, request)
    sent = [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    kept = [b for b in sent if b.get("type") == "compaction"]
    content = [{{"type": "text", "text": f"{{len(kept)}} compaction(s) sent back"}}]
    if not kept:
        content.insert(0, {{"type": "compaction", "content": "The talk so far.",
                            "encrypted_content": ENCRYPTED, "signature": SIGNATURE}})
    return httpx2.Response(200, json={{
        "id": f"msg_01{{len(body['messages'])}}", "type": "message", "role": "assistant",
        "model": body["model"], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {{"input_tokens": 9, "output_tokens": 5}}, "content": content}})


def anthropic_client():
    return anthropic.Anthropic(
        http_client=httpx2.Client(transport=httpx2.MockTransport(claude)), max_retries=0)


def compacted(client, question):
    messages = [{{"role": "user", "content": question}}]
    first = client.beta.messages.create(model="claude-sonnet-4-5", max_tokens=256,
                                        messages=messages, betas=["compact-2026-01-12"])
    messages += [{{"role": "assistant", "content": first.content}},
                 {{"role": "user", "content": "Go on."}}]
    second = client.beta.messages.create(model="claude-sonnet-4-5", max_tokens=256,
                                         messages=messages, betas=["compact-2026-01-12"])
    return [b.text for b in second.content if b.type == "text"]


def gpt(request):
    body = _seen(services.OPENAI, request)
    sent = [p for item in body["input"] if isinstance(item, dict)
            for p in item.get("content") or [] if isinstance(p, dict)]
    kept = [p for p in sent if p.get("type") == "encrypted_content"]
    output = [{{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                "content": [{{"type": "output_text", "annotations": [],
                              "text": f"{{len(kept)}} encrypted part(s) sent back"}}]}}]
    if not kept:
        output.insert(0, {{"id": "am_1", "type": "agent_message", "author": "planner",
                           "recipient": "writer", "content": [
                               {{"type": "encrypted_content", "encrypted_content": ENCRYPTED}}]}})
    return httpx2.Response(200, json={{
        "id": f"resp_{{len(body['input'])}}", "object": "response", "created_at": 1767225600,
        "model": body["model"], "status": "completed", "output": output}})


def openai_client():
    return openai.OpenAI(
        http_client=httpx2.Client(transport=httpx2.MockTransport(gpt)), max_retries=0)


def delegated(client, question):
    items = [{{"role": "user", "content": question}}]
    first = client.beta.responses.create(model="gpt-5", input=items)
    items += [item.model_dump(exclude_none=True) for item in first.output]
    second = client.beta.responses.create(model="gpt-5", input=items)
    return [p.text for item in second.output if item.type == "message" for p in item.content]
"""

TEST = """
import pytest

import opaque_agent as app


@pytest.mark.replay(mock={"llm": "MOCK"})
def test_it():
    assert app.FUNCTION(app.CLIENT(), "Tides?") == EXPECTED
"""


def _write(stack: Stack, mock: str, function: str, client: str, expected: object) -> None:
    (stack.path / "opaque_agent.py").write_text(AGENT)
    test = TEST.replace("MOCK", mock).replace("FUNCTION", function).replace("CLIENT", client)
    stack.write_test("it", test.replace("EXPECTED", repr(expected)))


def _roundtrip_byte_identical(stack: Stack) -> None:
    golden = stack.roundtrip_rerecorded_unchanged()
    assert ENCRYPTED.encode() in golden  # sent back byte for byte, so kept as it is


def test_an_anthropic_compaction_block_sent_back_records_and_replays(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    _write(
        stack,
        "anthropic.resources.beta.messages.messages.Messages.create",
        "compacted",
        "anthropic_client",
        ["1 compaction(s) sent back"],
    )
    _roundtrip_byte_identical(stack)


def test_an_openai_encrypted_agent_message_sent_back_records_and_replays(
    make_stack: object,
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    _write(
        stack,
        "openai.resources.beta.responses.responses.Responses.create",
        "delegated",
        "openai_client",
        ["1 encrypted part(s) sent back"],
    )
    _roundtrip_byte_identical(stack)
