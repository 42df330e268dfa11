"""Structured outputs through the SDKs' ``parse`` methods that no test had touched: openai's
``client.responses.parse(text_format=...)`` (the Responses API) and anthropic's
``client.messages.parse(output_format=...)``. Each is mocked at its own method (``parse`` posts
the request itself, never through ``create``), records, replays twice with the service sealed,
re-records byte-identical, stores the parsed answer under the class's import path, and a changed
prompt or a changed answer field fails naming what changed."""

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
'''

CASES = {
    "openai": ("openai.resources.responses.Responses.parse", "ask_openai", "openai_client"),
    "openai_async": (
        "openai.resources.responses.AsyncResponses.parse", "aask_openai", "async_openai_client"),
    "anthropic": ("anthropic.resources.messages.Messages.parse", "ask_claude", "anthropic_client"),
    "anthropic_async": (
        "anthropic.resources.messages.AsyncMessages.parse", "aask_claude",
        "async_anthropic_client"),
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

    # the class asked for gained a field: the request's schema changed
    stack.edit("test_parse", '"Waves?")', '"Tides?")')
    field = "    confident: bool\n"
    stack.edit("parse_agent", field, field + "    source: str = ''\n")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "the JSON schema of parse_agent.Answer changed: properties.source added" in out, out
