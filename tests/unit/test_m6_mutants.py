"""Mutation round 28, part 2: the codec's client references and withheld values, the
``random``/``otel_meter`` tags, the redaction's client notes and the LangGraph cache hint
(each test kills a mutation the existing tests let through)."""

from __future__ import annotations

import json

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import withheld
from pytest_clearstone.codec.clients import sent_with_every_request
from pytest_clearstone.redaction import DEFAULT_KEYS, Redactor


def test_the_headers_of_an_anthropic_clients_credentials_config_are_sent_with_every_request() -> (
    None
):
    # (anthropic's config=/profile= adds headers of its own, _credential_headers, beside
    # default_headers: the reference leaves them out, so they are noted as sent)
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(
        config={
            "authentication": {"type": "user_oauth", "credentials_path": "/nonexistent/c.json"},
            "workspace_id": "wrkspc-m6-0123456789",
        }
    )
    assert ("header", "anthropic-workspace-id", "wrkspc-m6-0123456789") in (
        sent_with_every_request(client, "anthropic:Anthropic")
    )
    assert "wrkspc-m6-0123456789" not in json.dumps(codec.encode(client))
    rules = Redactor(keys=(*DEFAULT_KEYS, "anthropic-workspace-id"))
    assert rules.secret_values({})["wrkspc-m6-0123456789"] == (
        "the anthropic-workspace-id header of an anthropic.Anthropic client"
    )


def test_a_clients_default_header_or_query_given_as_omit_or_not_given_is_left_out() -> None:
    # (openai's omit removes a default header; a value that is no text is no secret, and a
    # secret seen must be text: the last check looks for it in the golden's text)
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(
        api_key="sk-omitted-0123456789",
        default_headers={"Authorization": openai.omit, "X-Trace": "trace-m6"},
        default_query={"api-key": openai.not_given},
    )
    assert sent_with_every_request(client, "openai:OpenAI") == [("header", "X-Trace", "trace-m6")]
    rules = Redactor()
    rules({"client": client})
    codec.encode(client)
    assert rules.secret_values({}) == {
        "sk-omitted-0123456789": "the api_key of an openai.OpenAI client"
    }


def test_the_settings_sent_with_every_request_are_bounded_and_keep_their_first_description() -> (
    None
):
    for i in range(withheld.LIMIT + 5):
        withheld.note_sent("query", "token", f"value-{i:08d}", "an httpx.Client")
    sent = withheld.sent()
    assert len(sent) == withheld.LIMIT
    assert ("query", "token", "value-00000000") not in sent
    assert ("query", "token", f"value-{withheld.LIMIT + 4:08d}") in sent
    withheld.forget()
    withheld.note_sent("header", "X-Key", "key-m6-first", "an httpx.Client")
    withheld.note_sent("header", "X-Key", "key-m6-first", "an openai.OpenAI client")
    withheld.note_sent("query", "token", "", "an httpx.Client")  # (no value: nothing to find)
    withheld.note_sent("query", 7, "key-m6-named-7", "an httpx.Client")
    sent = withheld.sent()
    assert sent == {("header", "X-Key", "key-m6-first"): "an httpx.Client"}
    sent.clear()  # (a copy)
    assert withheld.sent()
    withheld.forget()
    assert withheld.sent() == {}
