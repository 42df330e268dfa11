"""Tools made with ``openai.pydantic_function_tool(Model)`` under the real SDK: the tool's name,
description and JSON schema are part of the request, so a golden stores them readably and a
replay whose tool changed diverges, naming where.

The SDK's tool is a dict subclass (``openai.lib._tools.PydanticFunctionTool``); it was stored as
a placeholder compared by type, so after the tool's description or its model's fields changed,
``create``, ``parse`` and the ``stream`` helper (mocked at ``Completions.create``) replayed
green."""

from __future__ import annotations

import json

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

CREATE = "openai.resources.chat.completions.Completions.create"
PARSE = "openai.resources.chat.completions.Completions.parse"

AGENT = '''
import openai
from pydantic import BaseModel

MODEL = "gpt-4o-mini"


class SearchFlights(BaseModel):
    """Search flights to a city."""

    query: str


def tools():
    return [openai.pydantic_function_tool(SearchFlights)]


def messages(question):
    return [{"role": "user", "content": question}]


class Planner:
    def __init__(self, client):
        self.client = client
        self.calls = []

    def get_state(self):
        return {"calls": self.calls}

    def load_state(self, state):
        self.calls = list(state["calls"])

    def plan(self, question):
        response = self.client.chat.completions.create(
            model=MODEL, messages=messages(question), tools=tools())
        self.calls = [c.function.name for c in response.choices[0].message.tool_calls]
        return self.calls

    def plan_parsed(self, question):
        response = self.client.chat.completions.parse(
            model=MODEL, messages=messages(question), tools=tools())
        self.calls = [c.function.parsed_arguments.query
                      for c in response.choices[0].message.tool_calls]
        return self.calls

    def plan_streamed(self, question):
        with self.client.chat.completions.stream(
            model=MODEL, messages=messages(question), tools=tools()
        ) as stream:
            completion = stream.get_final_completion()
        self.calls = [c.function.parsed_arguments.query
                      for c in completion.choices[0].message.tool_calls]
        return self.calls
'''

TESTS = f"""
import pytest

import tool_agent as app


@pytest.mark.replay("goldens/create.ckpt", mock={{"llm": "{CREATE}"}})
def test_create(replay, openai_client):
    assert replay.run(app.Planner(openai_client).plan, "Rome") == ["SearchFlights"]


@pytest.mark.replay("goldens/parse.ckpt", mock={{"llm": "{PARSE}"}})
def test_parse(replay, openai_client):
    assert replay.run(app.Planner(openai_client).plan_parsed, "Rome") == ["Rome #0"]


@pytest.mark.replay("goldens/stream.ckpt", mock={{"llm": "{CREATE}"}})
def test_stream(replay, openai_client):
    assert replay.run(app.Planner(openai_client).plan_streamed, "Rome") == ["Rome #0"]
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    made: Stack = make_stack()
    (made.path / "tool_agent.py").write_text(AGENT)
    made.write_test("tools", TESTS)
    made.record()
    return made


def test_the_tool_is_stored_readably_and_replays(stack: Stack) -> None:
    stack.replay_passes()
    stack.replay_passes()
    stack.check_goldens_readable()
    for golden in stack.goldens():
        text = golden.read_text()
        assert '"description": "Search flights to a city."' in text, golden.name
        assert '"cls": "openai.lib._tools:PydanticFunctionTool"' in text, golden.name
        json.loads(text)


def test_a_changed_tool_description_diverges_naming_it(stack: Stack) -> None:
    stack.replay_passes()
    stack.edit("tool_agent", '"""Search flights to a city."""', '"""Search TRAINS only."""')
    result = stack.replay()
    result.assert_outcomes(failed=3)
    for target in ("Completions.create", "Completions.parse", "Completions.create"):
        result.stdout.fnmatch_lines([f"*ReplayDivergenceError*{target}*"])
    text = result.stdout.str()
    assert text.count("root['tools'][0]['function']['description']") >= 3, text
    assert "Search TRAINS only." in text


def test_changed_model_fields_diverge_naming_the_schema(stack: Stack) -> None:
    stack.replay_passes()
    stack.edit(
        "tool_agent", "    query: str\n", "    query: str\n    max_price: int | None = None\n"
    )
    result = stack.replay()
    result.assert_outcomes(failed=3)
    text = result.stdout.str()
    assert text.count("root['tools'][0]['function']['parameters']") >= 3, text
    assert "max_price" in text
