"""Redaction of values real SDKs return and take: model output that only *looks* like a secret
(a logprob's ``token``, an extended-thinking ``signature``) is kept as it is, while credentials
in URLs (query parameters, userinfo) are redacted and remembered for the secret scan."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.errors import SecretLeakError
from pytest_clearstone.golden import secrets
from pytest_clearstone.redaction import PLACEHOLDER, Redactor

KEY = "Zq8pLm3Rt7Vw2Ny5Kd1Hf9"
SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDYXRoeSBzaWduYXR1cmU="
REDACTED_DATA = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"


# -- model output named like a credential ----------------------------------------------------
LOGPROB = {"token": "Answer", "logprob": -0.01, "bytes": [65]}


def _completion() -> Any:
    openai = pytest.importorskip("openai")
    top = dict(LOGPROB)
    return openai.types.chat.ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1767225600,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Answer"},
                    "logprobs": {"content": [{**LOGPROB, "top_logprobs": [top]}], "refusal": None},
                }
            ],
        }
    )


def test_a_logprob_token_of_a_chat_completion_is_model_output_not_a_secret() -> None:
    completion = _completion()
    redactor = Redactor()
    out = redactor(completion, "output", "openai.resources.chat.completions.Completions.create")
    entry = out.choices[0].logprobs.content[0]
    assert entry.token == "Answer" and entry.top_logprobs[0].token == "Answer"
    assert out == completion and not redactor.replaced and not redactor.findings


def test_a_logprob_token_is_kept_in_dict_form_too() -> None:
    """The same entries as dicts: ``model_dump()``, LangChain's ``response_metadata``, raw JSON."""
    value = {"logprobs": {"content": [{**LOGPROB, "top_logprobs": [dict(LOGPROB)]}]}}
    assert Redactor()(value) == value


def test_a_responses_api_logprob_token_is_kept() -> None:
    pytest.importorskip("openai")
    from openai.types.responses.response_output_text import Logprob, LogprobTopLogprob

    entry = Logprob(
        token="Lisbon",
        bytes=[76],
        logprob=-0.2,
        top_logprobs=[LogprobTopLogprob(token="Porto", bytes=[80], logprob=-2.1)],
    )
    out = Redactor()({"logprobs": [entry]})
    assert out["logprobs"][0] == entry


@pytest.mark.parametrize(
    "value",
    [
        {"token": "t0ken-value-123"},
        {"auth": {"token": "t0ken-value-123", "expires": 3600}},
        {"client_kwargs": {"token": "t0ken-value-123", "logprobs": True}},  # not a logprob entry
    ],
)
def test_credentials_named_token_are_still_redacted(value: dict[str, Any]) -> None:
    out = json.dumps(Redactor()(value))
    assert "t0ken-value-123" not in out and PLACEHOLDER in out


def test_an_object_with_a_token_attribute_is_still_redacted() -> None:
    class Auth:
        def __init__(self) -> None:
            self.token = "t0ken-value-123"

    assert Redactor()({"session": Auth()})["session"].token == PLACEHOLDER


def _thinking_message() -> Any:
    anthropic = pytest.importorskip("anthropic")
    return anthropic.types.Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": 7},
            "content": [
                {"type": "thinking", "thinking": "Let me think", "signature": SIGNATURE},
                {"type": "redacted_thinking", "data": REDACTED_DATA},
                {"type": "text", "text": "Answer"},
            ],
        }
    )


def test_extended_thinking_signatures_and_redacted_data_are_not_suspects() -> None:
    """Opaque model output that must go back to the API byte for byte in the next call."""
    message = _thinking_message()
    redactor = Redactor()
    out = redactor(message, "output", "anthropic.resources.messages.Messages.create")
    assert not redactor.findings and out == message
    # passed back as the next call's input, as blocks or as dicts
    sent = {
        "messages": [
            {"role": "assistant", "content": message.content},
            {"role": "assistant", "content": [b.model_dump() for b in message.content]},
            {"role": "assistant", "content": [{"type": "signature_delta", "signature": SIGNATURE}]},
        ]
    }
    assert redactor(sent, "input", "anthropic.resources.messages.Messages.create") == sent
    assert not redactor.findings


def test_a_signature_copied_out_of_a_recorded_answer_is_no_suspect() -> None:
    """An agent that keeps the signature of the answer's thinking block (and a redacted
    block's data) under a name of its own (``state['log'][0]['sig']``): the recording was
    refused as holding a high-entropy secret, though the same text is written, kept as model
    output, in the recorded answer of the same golden."""
    message = _thinking_message()
    redactor = Redactor()
    redactor(message, "output", "anthropic.resources.messages.Messages.create")
    state = {"log": [{"sig": SIGNATURE, "blob": REDACTED_DATA}]}
    assert redactor(state, "state", "test_it") == state
    assert not redactor.findings
    # the same texts seen by a redactor that met no such answer are still suspects
    fresh = Redactor()
    assert fresh(state, "state", "test_it") != state and len(fresh.findings) == 2


def test_a_thinking_objects_signature_that_is_no_text_is_redacted_as_any_value() -> None:
    block = types.SimpleNamespace(type="thinking", signature={"api_key": KEY})
    out = Redactor()({"block": block})["block"]
    assert out.signature == {"api_key": PLACEHOLDER} and block.signature == {"api_key": KEY}


ENCRYPTED = "EuYBCkYICBgCKkCm5dZr0fJ3o1X4aGkQvJc1Yh2Zf7xT9sQ3lBnK8pWqVeR0uM6yD2cA5tH4jN1gL7iO9kS3"
CODE_RESULT = {
    "type": "code_execution_tool_result",
    "tool_use_id": "srvtoolu_1",
    "content": {
        "type": "encrypted_code_execution_result",
        "content": [],
        "encrypted_stdout": ENCRYPTED,
        "return_code": 0,
        "stderr": "",
    },
}
ADVISOR_RESULT = {
    "type": "advisor_tool_result",
    "tool_use_id": "srvtoolu_2",
    "content": {"type": "advisor_redacted_result", "encrypted_content": ENCRYPTED},
}
COMPACTION = {"type": "compaction", "content": "The talk so far.", "encrypted_content": ENCRYPTED}


@pytest.mark.parametrize(
    ("beta", "block"),
    [(False, CODE_RESULT), (True, CODE_RESULT), (True, ADVISOR_RESULT), (True, COMPACTION)],
    ids=["code_execution", "beta_code_execution", "beta_advisor", "beta_compaction"],
)
def test_the_encrypted_output_of_server_tools_and_compaction_is_not_a_suspect(
    beta: bool, block: dict[str, Any]
) -> None:
    """anthropic's server tools and context compaction return opaque encrypted output, sent
    back as it is: a short one (code that printed little) was refused as a secret."""
    types = pytest.importorskip("anthropic.types.beta" if beta else "anthropic.types")
    message = (types.BetaMessage if beta else types.Message).model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
            "content": [block],
        }
    )
    assert type(message.content[0]).__name__ != "dict"
    redactor = Redactor()
    assert redactor(message, "output", "app.llm") == message and not redactor.findings
    delta = {"type": "compaction_delta", "encrypted_content": ENCRYPTED}
    assert not Redactor().find_secrets([block, delta])


INDEX = "Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNmRmLTQ5ZjktYTg1Yi00OTk3ZDkxNjJmMjYSDI4g7jyOvp1U9gQ8Dx"


def _web_search_message() -> Any:
    anthropic = pytest.importorskip("anthropic")
    return anthropic.types.Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": 7},
            "content": [
                {"type": "thinking", "thinking": "Let me search", "signature": SIGNATURE},
                {
                    "type": "text",
                    "text": "High water is at 06:12.",
                    "citations": [
                        {
                            "type": "web_search_result_location",
                            "url": "https://tides.test/brest",
                            "title": "Brest",
                            "encrypted_index": INDEX,
                            "cited_text": "Pleine mer 06:12",
                        }
                    ],
                },
            ],
        }
    )


def test_the_opaque_values_in_langchains_standard_blocks_extras_are_not_suspects() -> None:
    """LangChain's standard content blocks (``AIMessage.content_blocks``; the content itself
    with ``output_version="v1"``) move a thinking block's ``signature`` and a web search
    citation's ``encrypted_index`` into the block's ``extras``: there they were refused as
    high-entropy secrets, and recording an agent on ``ChatAnthropic`` with web search failed."""
    messages = pytest.importorskip("langchain_core.messages")
    message = _web_search_message()
    ai = messages.AIMessage(
        content=[b.model_dump(exclude_none=True) for b in message.content],
        response_metadata={"model_provider": "anthropic"},
    )
    blocks = ai.content_blocks
    assert blocks[0]["extras"] == {"signature": SIGNATURE}
    assert blocks[1]["annotations"][0]["extras"] == {"encrypted_index": INDEX}
    v1 = messages.AIMessage(content=blocks, response_metadata={"model_provider": "anthropic"})
    redactor = Redactor()
    assert redactor(v1, "output", "app.llm") == v1 and not redactor.findings
    openai_reasoning = {"type": "reasoning", "id": "rs_1", "extras": {"encrypted_content": INDEX}}
    assert not Redactor().find_secrets([blocks, openai_reasoning])


def test_a_pydantic_ai_compaction_parts_provider_details_are_not_suspects() -> None:
    """pydantic-ai's ``CompactionPart`` keeps an anthropic compaction block's
    ``encrypted_content`` and ``signature`` in ``provider_details``: refused as secrets there,
    as an object and as its dict form; anything else in ``provider_details`` still is one."""
    messages = pytest.importorskip("pydantic_ai.messages")
    details = {"encrypted_content": ENCRYPTED, "signature": SIGNATURE}
    part = messages.CompactionPart(
        content="The talk so far.", provider_name="anthropic", provider_details=details
    )
    redactor = Redactor()
    assert redactor(part, "output", "app.llm") == part and not redactor.findings
    as_dict = {"part_kind": "compaction", "content": "", "provider_details": details}
    assert not Redactor().find_secrets(as_dict)
    # (another text: the very text kept beside it is no suspect elsewhere either, see
    # test_a_signature_copied_out_of_a_recorded_answer_is_no_suspect)
    other = messages.CompactionPart(
        content="", provider_name="anthropic", provider_details={**details, "note": SIGNATURE[::-1]}
    )
    assert Redactor().find_secrets(other) == ["root.provider_details['note']"]


@pytest.mark.parametrize(
    "value",
    [
        {"type": "reasoning", "extras": {"token": KEY}},  # (a key rule: redacted)
        {"type": "reasoning", "extras": {"note": SIGNATURE}},
        {"type": "citation", "extras": {"signature": SIGNATURE}},
        {"type": "text", "extras": {"encrypted_index": INDEX}},
        {"type": "reasoning", "other": {"signature": SIGNATURE}},
        {"type": "reasoning", "extras": {"signature": {"value": SIGNATURE}}},
    ],
)
def test_other_values_in_a_standard_blocks_extras_are_still_secrets(value: dict[str, Any]) -> None:
    redactor = Redactor()
    out = redactor(value, "output", "app.llm")
    assert redactor.findings or PLACEHOLDER in json.dumps(out)


PIXEL = (  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.mark.parametrize(
    "value",
    [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PIXEL},
        },
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PIXEL}"},
    ],
)
def test_small_base64_images_and_documents_are_not_suspects(value: dict[str, Any]) -> None:
    """A small base64 image (a 1x1 PNG, shorter than the runs taken for data) in an anthropic
    ``base64`` source or a ``data:`` URL was refused as a high-entropy secret."""
    assert not Redactor().find_secrets(value)


@pytest.mark.parametrize(
    "value",
    [
        {"type": "text", "data": PIXEL},
        {"url": f"https://x.test/{PIXEL}"},
        {"source": {"type": "url", "data": PIXEL}},
    ],
)
def test_base64_data_elsewhere_is_still_a_suspect(value: dict[str, Any]) -> None:
    assert Redactor().find_secrets(value)


@pytest.mark.parametrize(
    "value",
    [
        {"signature": SIGNATURE},
        {"type": "text", "data": REDACTED_DATA},
        {"type": "webhook", "signature": SIGNATURE},
    ],
)
def test_signature_and_data_elsewhere_are_still_suspects(value: dict[str, Any]) -> None:
    assert Redactor().find_secrets(value)


# -- credentials in URLs ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"https://x.test/v1?api_key={KEY}", f"https://x.test/v1?api_key={PLACEHOLDER}"),
        (
            f"https://x.test/v1?api-version=2024&api-key={KEY}&n=1",
            f"https://x.test/v1?api-version=2024&api-key={PLACEHOLDER}&n=1",
        ),
        (f"GET /v1?access_token={KEY} failed", f"GET /v1?access_token={PLACEHOLDER} failed"),
        (
            "postgresql://app:hunter2-pw@db.test:5432/shop",
            f"postgresql://app:{PLACEHOLDER}@db.test:5432/shop",
        ),
        (
            f'see "https://x.test/?token={KEY}"',
            f'see "https://x.test/?token={PLACEHOLDER}"',
        ),
    ],
)
def test_secret_query_parameters_and_url_passwords_are_redacted(text: str, expected: str) -> None:
    redactor = Redactor()
    assert redactor.redact(text) == expected
    assert redactor(text) == expected
    assert redactor.redact(expected) == expected  # idempotent
    seen = redactor.secret_values(environ={})
    assert (KEY in seen) != ("hunter2-pw" in seen) and PLACEHOLDER not in "".join(seen)


def test_a_secret_query_parameter_holding_a_slash_is_redacted_whole() -> None:
    text = "https://x.test/cb?access_token=Zq8pLm3R/t7Vw2Ny5+Kd1Hf9&state=1"
    assert Redactor()(text) == f"https://x.test/cb?access_token={PLACEHOLDER}&state=1"


AZURE_SIG = "q2x7LrK0+vb3TZp9wQe1mN4Yc8fHs5dJ6aUiO0PlkEo="


@pytest.mark.parametrize(
    ("text", "expected", "secret"),
    [
        (
            "https://acct.blob.core.windows.net/c/report.pdf?sv=2022-11-02&se=2030-01-01&sp=r"
            "&sig=q2x7LrK0%2Bvb3TZp9wQe1mN4Yc8fHs5dJ6aUiO0PlkEo%3D",
            "https://acct.blob.core.windows.net/c/report.pdf?sv=2022-11-02&se=2030-01-01&sp=r"
            f"&sig={PLACEHOLDER}",
            AZURE_SIG,
        ),
        (
            "https://b.s3.amazonaws.com/o?X-Amz-Expires=3600&X-Amz-Signature=" + "3f" * 32,
            f"https://b.s3.amazonaws.com/o?X-Amz-Expires=3600&X-Amz-Signature={PLACEHOLDER}",
            "3f" * 32,
        ),
        (
            "https://storage.googleapis.com/b/o?X-Goog-Signature=" + "ab" * 32 + "&x=1",
            f"https://storage.googleapis.com/b/o?X-Goog-Signature={PLACEHOLDER}&x=1",
            "ab" * 32,
        ),
    ],
)
def test_the_signature_of_a_shared_access_or_presigned_url_is_redacted(
    text: str, expected: str, secret: str
) -> None:
    """It grants access until it expires (Azure SAS ``sig=``, S3 and GCS presigned URLs); a
    tool that uploads a file returns one."""
    redactor = Redactor()
    assert redactor(text) == expected
    assert redactor.redact(expected) == expected  # idempotent
    assert secret in redactor.secret_values(environ={})


def test_the_signature_of_a_url_is_kept_when_an_allow_rule_names_its_parameter() -> None:
    text = "https://b.s3.amazonaws.com/o?X-Amz-Expires=3600&X-Amz-Signature=3f3f3f3f3f3f3f3f"
    assert Redactor(allow=["x-amz-signature"])(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "https://x.test/v1/chat?max_tokens=20&model=gpt",
        "https://x.test/search?q=token&page=2",
        "https://user@x.test/path",
        "a?b=c",
        "mailto:someone@example.com",
        "10:30@noon",
        "https://x.test/?signature_version=4&sig_alg=hmac",  # how it is signed, no signature
    ],
)
def test_ordinary_urls_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_a_placeholder_already_in_a_url_is_not_noted_as_a_secret() -> None:
    redactor = Redactor()
    redactor.redact("https://x.test/?api_key=%5BREDACTED%5D&token=[REDACTED]")
    assert redactor.secret_values(environ={}) == {}


def test_an_httpx_request_and_url_are_redacted_and_stored_without_the_key() -> None:
    httpx2 = pytest.importorskip("httpx2")
    request = httpx2.Request(
        "POST", f"https://api.test/v1/chat?api-key={KEY}&api-version=1", content=b"{}"
    )
    redactor = Redactor()
    out = redactor({"request": request, "url": request.url}, "output", "app.llm")
    text = json.dumps(codec.encode(out))
    assert KEY not in text and "api-version=1" in text
    assert str(request.url).endswith(f"api-key={KEY}&api-version=1")  # not mutated
    assert type(out["url"]) is type(request.url)
    assert KEY in redactor.secret_values(environ={})


def test_the_secret_query_of_a_client_is_a_secret_seen_for_the_scan() -> None:
    """A client stored as a reference keeps its default query out of the golden; a copy of a
    secret parameter that reached the golden some other way is caught by the last check."""
    openai = pytest.importorskip("openai")
    httpx2 = pytest.importorskip("httpx2")
    client = openai.OpenAI(api_key="unused", default_query={"api-key": KEY, "api-version": "1"})
    http = httpx2.Client(params={"access_token": "Tk9" + KEY})
    redactor = Redactor()
    state = {"client": client, "http": http, "resource": client.chat.completions}
    assert redactor(state, "state", "test") == state
    seen = redactor.secret_values(environ={})
    assert KEY in seen and "Tk9" + KEY in seen and "1" not in seen
    with pytest.raises(SecretLeakError, match="api-key query parameter"):
        secrets.refuse_leaks(json.dumps({"note": f"leaked {KEY}"}), Path("goldens/x.ckpt"), seen)


def test_a_client_stored_by_a_registered_encoder_is_redacted_like_any_object() -> None:
    """Only a client stored as a reference (its class and settings) is left unwalked: a client
    class given an encoder of the user's (``codec.register``) is stored by what that encoder
    returns, which may hold its key."""
    openai = pytest.importorskip("openai")
    key = "sk-proj-" + "Zq8pLm3Rt7Vw2Ny5Kd1Hf9" * 2
    codec.register(openai.OpenAI, lambda c: {"key": c.api_key}, lambda tree: tree)
    try:
        out = Redactor()({"client": openai.OpenAI(api_key=key)}, "state", "test")
        tree = codec.encode(out)
    finally:
        codec.unregister(openai.OpenAI)
    assert tree["client"][codec.TAG] == "custom"
    assert tree["client"]["v"] == {"key": PLACEHOLDER}


def test_a_mock_is_not_taken_for_a_logprob_entry() -> None:
    """Only fields an object has decide: a ``Mock`` answers every attribute."""
    from unittest import mock

    fake = mock.NonCallableMock()
    fake.type = "thinking"
    fake.token = "t0ken-value-123"
    assert Redactor()({"x": fake})["x"].token == PLACEHOLDER


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3ItNDIiLCJyb2xlIjoiYWRtaW4ifQ."
    "Qk7Yq2Lm9Xp4Tn1Vb8Kc3Hj6Wd0Ys5UeQ-AbCdEfGhIj"
)


@pytest.mark.parametrize("module", ["httpx", "httpx2"])
def test_the_body_of_an_http_request_and_response_is_redacted_as_it_is_stored(module: str) -> None:
    """The request an SDK stream or error keeps holds the prompt as its body: its JSON (keys
    and patterns) or its text is redacted, in a copy; the original is left as it was."""
    http = pytest.importorskip(module)
    prompt = {"messages": [{"role": "user", "content": f"decode {JWT}"}], "api_key": KEY}
    request = http.Request("POST", "https://api.test/v1/chat", json=prompt)
    response = http.Response(400, text=f"bad token {JWT}", request=request)
    redactor = Redactor()
    out = redactor({"response": response}, "output", "app.llm")["response"]
    tree = codec.encode(out)
    assert JWT not in json.dumps(tree) and KEY not in json.dumps(tree)
    assert tree["text"] == f"bad token {PLACEHOLDER}"
    assert tree["request"]["json"] == {
        "messages": [{"role": "user", "content": f"decode {PLACEHOLDER}"}],
        "api_key": PLACEHOLDER,
    }
    assert JWT.encode() in request.content and JWT in response.text  # not mutated
    assert codec.encode(redactor(out)) == tree  # idempotent
    assert JWT in redactor.secret_values(environ={})
    plain = http.Request("POST", "https://api.test/v1/chat", json={"content": "hello"})
    clean = Redactor()
    assert codec.encode(clean(plain)) == codec.encode(plain) and not clean.replaced


@pytest.mark.parametrize("module", ["httpx", "httpx2"])
def test_an_event_streams_json_data_is_redacted_as_json(module: str) -> None:
    """A streamed answer recorded at ``send``: the thinking ``signature`` in its event
    stream's text was reported as a secret (the same field in a JSON body is model output);
    each ``data:`` line's JSON is now walked as JSON, so a credential in it is still
    redacted and the other lines stay as they were."""
    http = pytest.importorskip(module)
    events = [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": SIGNATURE},
        },
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "redacted_thinking", "data": REDACTED_DATA},
        },
    ]
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    stream = {"headers": {"content-type": "text/event-stream; charset=utf-8"}, "text": text}
    redactor = Redactor()
    out = redactor(http.Response(200, **stream), "output", "httpx2.Client.send")
    assert not redactor.findings and out.text == text
    leaky = text + f'event: x\ndata: {{"api_key": "{KEY}"}}\ndata: [DONE]\n\n'
    out = redactor(http.Response(200, **{**stream, "text": leaky}), "output", "app.send")
    assert KEY not in out.text and SIGNATURE in out.text
    assert out.text.endswith(f'data: {{"api_key": "{PLACEHOLDER}"}}\ndata: [DONE]\n\n')
    assert redactor(out, "output", "app.send").text == out.text  # idempotent


@pytest.mark.parametrize("module", ["httpx", "httpx2"])
def test_an_event_stream_whose_content_type_is_written_in_capitals_is_redacted_as_json(
    module: str,
) -> None:
    http = pytest.importorskip(module)
    event = {"type": "content_block_delta", "index": 0}
    event["delta"] = {"type": "signature_delta", "signature": SIGNATURE}
    text = f"event: content_block_delta\ndata: {json.dumps(event)}\n\n"
    headers = {"Content-Type": "Text/Event-Stream; charset=UTF-8"}
    redactor = Redactor()
    out = redactor(http.Response(200, headers=headers, text=text), "output", "app.send")
    assert not redactor.findings and out.text == text


@pytest.mark.parametrize("module", ["httpx", "httpx2"])
def test_an_event_streams_lines_that_are_no_json_are_redacted_as_text(module: str) -> None:
    http = pytest.importorskip(module)
    text = f"event: error\ndata: rejected Bearer {KEY}\n\n"
    headers = {"content-type": "text/event-stream"}
    out = Redactor()(http.Response(200, headers=headers, text=text), "output", "app.send")
    assert out.text == f"event: error\ndata: rejected Bearer {PLACEHOLDER}\n\n"


@pytest.mark.parametrize("module", ["httpx", "httpx2"])
def test_an_event_streams_redacted_json_keeps_its_other_text_unescaped(module: str) -> None:
    http = pytest.importorskip(module)
    text = f'data: {{"city": "Zürich", "api_key": "{KEY}"}}\n\n'
    headers = {"content-type": "text/event-stream"}
    out = Redactor()(http.Response(200, headers=headers, text=text), "output", "app.send")
    assert out.text == f'data: {{"city": "Zürich", "api_key": "{PLACEHOLDER}"}}\n\n'


def test_the_secrets_in_pydantic_url_fields_are_redacted() -> None:
    """A settings model's ``PostgresDsn``/``RedisDsn``/``AnyUrl`` (stored as a pickle when
    pickles are allowed) held the password and the signature as they were."""
    from pydantic import AnyUrl, BaseModel, PostgresDsn, RedisDsn
    from pydantic_core import Url

    class Settings(BaseModel):
        db_url: PostgresDsn
        cache: RedisDsn
        hook: AnyUrl

    settings = Settings(
        db_url="postgresql://app:dsnPw-12345@db.test/shop",
        cache="redis://:redisPw-9876@cache.test:6379/0",
        hook="https://x.test/in?sig=Abc123%2Bxyz&page=2",
    )
    redactor = Redactor()
    out = redactor({"settings": settings, "raw": Url("https://u:rawPw-5555@x.test/")})
    text = repr(out)
    for secret in ("dsnPw-12345", "redisPw-9876", "Abc123", "rawPw-5555"):
        assert secret not in text
        assert secret in "".join(redactor.secret_values(environ={}))
    assert type(out["settings"].db_url) is PostgresDsn
    assert out["settings"].db_url.hosts()[0]["host"] == "db.test"
    assert "page=2" in str(out["settings"].hook)
    assert str(settings.db_url) == "postgresql://app:dsnPw-12345@db.test/shop"  # not changed
    assert repr(redactor(out)) == text  # idempotent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a tool's result as text: json.dumps of a config, str() of a dict
        (
            '{"host": "db.internal", "db_password": "hunter2-pw", "port": 5432}',
            f'{{"host": "db.internal", "db_password": "{PLACEHOLDER}", "port": 5432}}',
        ),
        (
            "{'user': 'app', 'api_key': 'k-live-12345', 'max_tokens': 20}",
            f"{{'user': 'app', 'api_key': '{PLACEHOLDER}', 'max_tokens': 20}}",
        ),
        (
            '{\n  "client_secret": "cs-\\"quoted\\"-9f8e",\n  "tokenizer": "cl100k"\n}',
            f'{{\n  "client_secret": "{PLACEHOLDER}",\n  "tokenizer": "cl100k"\n}}',
        ),
        # a long name (33 to 64 characters)
        (
            '{"google_cloud_platform_service_account_private_key": "pk-9f8e7d6c"}',
            f'{{"google_cloud_platform_service_account_private_key": "{PLACEHOLDER}"}}',
        ),
        # model output: a streamed answer's log-probabilities (the token the model wrote)
        (
            'data: {"logprobs": {"content": [{"token": "Hello", "logprob": -0.01}]}}',
            'data: {"logprobs": {"content": [{"token": "Hello", "logprob": -0.01}]}}',
        ),
        # the same as the str() of a dict
        (
            "{'logprobs': {'content': [{'token': 'Hello', 'logprob': -0.01}]}}",
            "{'logprobs': {'content': [{'token': 'Hello', 'logprob': -0.01}]}}",
        ),
        # ordinary keys, and secrets that are no strings, stay
        (
            '{"token_count": "12", "bypass": "yes", "password": null, "password_min": "8"}',
            '{"token_count": "12", "bypass": "yes", "password": null, "password_min": "8"}',
        ),
    ],
)
def test_secrets_in_the_text_of_a_json_object_or_a_dict_are_redacted(
    text: str, expected: str
) -> None:
    redactor = Redactor()
    assert redactor({"result": text}) == {"result": expected}
    assert redactor.redact(expected) == expected  # idempotent
    seen = redactor.secret_values(environ={})
    assert all(secret not in seen for secret in ("cl100k", "12", "yes"))
    if "hunter2-pw" in text:
        assert "hunter2-pw" in seen
    if "cs-" in text:
        assert 'cs-"quoted"-9f8e' in seen


# -- MCP tool results ------------------------------------------------------------------------
#: 45 random bytes: the base64 of a small icon or sound an MCP tool returns (60 characters)
MCP_BLOB = "/T/rPJJQt5dKm1KLaWNjIaRhtV71W3vq/YCamp6SW3mmNC+g/biylNl/xhCb"


def _mcp_contents() -> list[Any]:
    import mcp.types as mcp_types

    blob = mcp_types.BlobResourceContents(
        uri="file://x/icon.bin", mimeType="application/octet-stream", blob=MCP_BLOB
    )
    return [
        mcp_types.ImageContent(type="image", data=MCP_BLOB, mimeType="image/png"),
        mcp_types.AudioContent(type="audio", data=MCP_BLOB, mimeType="audio/wav"),
        mcp_types.EmbeddedResource(type="resource", resource=blob),
        blob,
    ]


@pytest.mark.parametrize("content", range(4))
def test_small_mcp_images_audio_and_blobs_are_not_suspects(content: int) -> None:
    """The base64 content of an MCP tool's result (``ImageContent``/``AudioContent`` data, a
    ``BlobResourceContents`` blob), as the ``mcp`` SDK returns it and in its dict form, was
    refused as a high-entropy secret when short: the recording of an agent whose tool returns
    a small icon failed."""
    import mcp.types as mcp_types

    value = _mcp_contents()[content]
    result = mcp_types.CallToolResult(content=[value] if content < 3 else [])
    for form in (value, value.model_dump(), result if content < 3 else value):
        assert not Redactor().find_secrets(form)
        assert Redactor()(form, "output", "mcp.ClientSession.call_tool") == form


@pytest.mark.parametrize(
    "value",
    [
        {"type": "text", "text": MCP_BLOB},
        {"type": "resource_link", "uri": "file://x", "data": MCP_BLOB},
        {"blob": MCP_BLOB},
    ],
)
def test_random_text_beside_mcp_shapes_is_still_a_suspect(value: dict[str, Any]) -> None:
    assert Redactor().find_secrets(value)


# -- tool schemas ----------------------------------------------------------------------------
def _schema(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": ["query"]}


def test_the_parameters_of_a_tool_schema_are_not_secrets_by_their_names() -> None:
    """A tool whose parameter is named ``token``, ``password`` or ``api_key`` (an MCP server's
    ``list_tools``, an openai function tool's ``parameters``) had that parameter's schema
    replaced by the placeholder: the replay handed the agent ``"token": "[REDACTED]"`` where a
    schema was, and a schema change there went unseen."""
    import mcp.types as mcp_types

    schema = _schema(
        query={"title": "Query", "type": "string"},
        token={"title": "Token", "type": "string", "default": ""},
        password={"type": "string"},
        api_key={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        options={"type": "object", "properties": {"secret": {"type": "boolean"}}},
    )
    tool = mcp_types.Tool(name="login", inputSchema=schema, outputSchema=_schema(token={}))
    listed = mcp_types.ListToolsResult(tools=[tool])
    function = {"type": "function", "function": {"name": "login", "parameters": schema}}
    for value in (listed, tool.model_dump(), function):
        assert Redactor()(value, "output", "mcp.ClientSession.list_tools") == value
        assert not Redactor().find_secrets(value)


def test_a_secret_in_a_tool_schema_or_beside_one_is_still_redacted() -> None:
    out = Redactor()(_schema(token={"type": "string", "default": KEY}, api_key=KEY))
    assert out["properties"]["token"] == {"type": "string", "default": PLACEHOLDER}
    assert out["properties"]["api_key"] == PLACEHOLDER  # (a value, not a schema)
    data = {"type": "record", "properties": {"password": {"value": "hunter2"}}}
    assert Redactor()(data)["properties"]["password"] == PLACEHOLDER  # (not a JSON schema)


def test_a_signature_copied_out_of_a_recorded_answer_in_its_stored_form_is_no_suspect() -> None:
    """The same, with the answer a dict (the stored form of a message, a raw JSON answer)."""
    message = _thinking_message().model_dump()
    redactor = Redactor()
    redactor(message, "output", "anthropic.resources.messages.Messages.create")
    state = {"log": [{"sig": SIGNATURE, "blob": REDACTED_DATA}]}
    assert redactor(state, "state", "test_it") == state
    assert not redactor.findings
