"""Structured outputs through the SDKs' ``parse`` methods that no test had touched: openai's
``client.responses.parse(text_format=...)`` (the Responses API) and anthropic's
``client.messages.parse(output_format=...)``, mocked at their own method (``parse`` posts the
request itself, never through ``create``); and the structured stream helpers
(``chat.completions.stream(response_format=...)`` and ``responses.stream(text_format=...)``
under the ``create`` they send by, anthropic's ``messages.stream(output_format=...)`` in a
function of one's own, as the stream helper hints say). Each records, replays twice with the
service sealed, re-records byte-identical, stores the parsed answer under the class's import
path, and a changed prompt, or a field added to the class, fails naming what changed."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import openai  # noqa: F401
import pytest

from .harness import Stack

AGENT = '''
import pydantic


class Answer(pydantic.BaseModel):
    answer: str
    confident: bool


def ask_openai(client, question):
    response = client.responses.parse(
        model="gpt-4o-mini", instructions="Answer briefly.", input=question,
        text_format=Answer)
    return response.output_parsed


async def aask_openai(client, question):
    response = await client.responses.parse(
        model="gpt-4o-mini", instructions="Answer briefly.", input=question,
        text_format=Answer)
    return response.output_parsed


def ask_claude(client, question):
    message = client.messages.parse(
        model="claude-sonnet-5-5", max_tokens=200, system="Answer briefly.",
        messages=[{"role": "user", "content": question}], output_format=Answer)
    return message.parsed_output


async def aask_claude(client, question):
    message = await client.messages.parse(
        model="claude-sonnet-5-5", max_tokens=200, system="Answer briefly.",
        messages=[{"role": "user", "content": question}], output_format=Answer)
    return message.parsed_output


def stream_chat(client, question):
    with client.chat.completions.stream(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}],
            response_format=Answer) as stream:
        return stream.get_final_completion().choices[0].message.parsed


def stream_responses(client, question):
    with client.responses.stream(
            model="gpt-4o-mini", instructions="Answer briefly.", input=question,
            text_format=Answer) as stream:
        return stream.get_final_response().output_parsed


def read_claude_stream(client, question):
    """A function of one's own that reads anthropic's stream helper (anthropic.md)."""
    with client.messages.stream(
            model="claude-sonnet-5-5", max_tokens=200, system="Answer briefly.",
            messages=[{"role": "user", "content": question}], output_format=Answer) as stream:
        return stream.get_final_message().parsed_output


def stream_claude(client, question):
    return read_claude_stream(client, question)
'''

CASES = {
    "openai": ("openai.resources.responses.Responses.parse", "ask_openai", "openai_client"),
    "openai_async": (
        "openai.resources.responses.AsyncResponses.parse",
        "aask_openai",
        "async_openai_client",
    ),
    "anthropic": ("anthropic.resources.messages.Messages.parse", "ask_claude", "anthropic_client"),
    "anthropic_async": (
        "anthropic.resources.messages.AsyncMessages.parse",
        "aask_claude",
        "async_anthropic_client",
    ),
    # the structured stream helpers: the SDK method they send by (openai), a function of one's
    # own reading the stream (anthropic, whose helper posts the request itself)
    "openai_chat_stream": (
        "openai.resources.chat.completions.Completions.create",
        "stream_chat",
        "openai_client",
    ),
    "openai_responses_stream": (
        "openai.resources.responses.Responses.create",
        "stream_responses",
        "openai_client",
    ),
    "anthropic_stream": ("parse_agent.read_claude_stream", "stream_claude", "anthropic_client"),
}

TEST = """
import asyncio
import inspect

import pytest

import parse_agent


@pytest.mark.replay("goldens/parse.ckpt", mock={{"llm": "{target}"}})
def test_it(replay, {fixture}):
    result = replay.run(parse_agent.{function}, {fixture}, "Tides?")
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    assert isinstance(result, parse_agent.Answer)
    assert result.answer.startswith("Answer to 'Tides?'") and result.confident is True
"""


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_parse_method_records_replays_and_names_a_changed_prompt(
    make_stack: object, case: str
) -> None:
    target, function, fixture = CASES[case]
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "parse_agent.py").write_text(AGENT)
    stack.write_test("parse", TEST.format(target=target, function=function, fixture=fixture))
    stack.roundtrip()
    (golden,) = stack.goldens()
    text = golden.read_text()
    assert '"parse_agent:Answer"' in text and " at 0x" not in text, text
    before = golden.read_bytes()
    stack.record()
    assert golden.read_bytes() == before, "re-recording an unchanged agent changed the golden"

    stack.edit("test_parse", '"Tides?")', '"Waves?")')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert f"replay diverged at call #1 to {target}: its arguments differ" in out, out
    assert "'Tides?' -> 'Waves?'" in out, out

    stack.edit("test_parse", '"Waves?")', '"Tides?")')
    if target.startswith("parse_agent."):
        return  # a function of one's own: its arguments hold no class (it records its answer)
    # the class asked for gained a field: the request's schema changed (a helper hands
    # ``create`` the schema as a dict: the path to the field is named)
    field = "    confident: bool\n"
    stack.edit("parse_agent", field, field + "    source: str = ''\n")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    changed = (
        "['properties']['source']: added"
        if target.endswith(".create")
        else "the JSON schema of parse_agent.Answer changed: properties.source added"
    )
    assert changed in out, out
