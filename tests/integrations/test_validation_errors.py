"""pydantic's ``ValidationError`` raised under the real SDKs, recorded on a mocked call and raised
again as itself at replay (it replayed as ``RecordedError``, which no ``except`` clause of the
agent's or the SDK's caught: recorded green, every replay red).

- openai: ``chat.completions.parse`` parses the JSON answer into the ``response_format`` model;
  an answer that does not validate raises ``ValidationError`` from the mocked ``parse``;
- pydantic-ai: a tool whose backend (mocked) validates its input raises ``ValidationError``;
  pydantic-ai turns it into a retry prompt holding ``e.errors()``, sent to the (mocked) model.
"""

from __future__ import annotations

import json

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

PARSE = "openai.resources.chat.completions.Completions.parse"
REQUEST = "pydantic_ai.models.openai.OpenAIChatModel.request"

OPENAI_TEST = f"""
import pydantic
import pytest

import openai_agent as app


class Rating(pydantic.BaseModel):
    # the service answers {{"answer": "Answer to ...", "confident": true}}: not an int
    answer: int
    confident: bool


class Rater(app.ChatAgent):
    def rate(self, question):
        try:
            response = self.client.chat.completions.parse(
                model=app.MODEL, messages=app.messages_for(question), response_format=Rating
            )
        except pydantic.ValidationError as e:
            self.history.append({{"q": question, "errors": e.errors(include_url=False)}})
            return f"unrated ({{e.error_count()}} in {{e.title}}): {{e}}"
        return response.choices[0].message.parsed.answer


@pytest.mark.replay("goldens/parse_invalid.ckpt", mock={{"llm": "{PARSE}"}})
def test_it(replay, openai_client):
    agent = Rater(openai_client)
    verdict = replay.run(agent.rate, "Rate Lisbon")
    assert verdict.startswith("unrated (1 in Rating): 1 validation error for Rating")
    assert "input_value=\\"Answer to 'Rate Lisbon'\\"" in verdict
    (error,) = agent.history[0]["errors"]
    assert (error["type"], error["loc"]) == ("int_parsing", ("answer",))
"""

CATALOGUE = """
import pydantic


class Exhibit(pydantic.BaseModel):
    year: int


def find(query):
    # the tool's backend: validates what it is given (a query is not a year)
    return Exhibit.model_validate({"year": query}).year
"""

PYDANTIC_AI_TEST = f"""
import pytest
from pydantic_ai import Agent

import catalogue
import pydantic_ai_agent as app


class Curator(app.Guide):
    def __init__(self, model):
        self.answers = []
        self.agent = Agent(model, system_prompt=app.SYSTEM)

        @self.agent.tool_plain
        def search_catalogue(query: str) -> str:
            \"\"\"Search the catalogue.\"\"\"
            return str(catalogue.find(query))


@pytest.mark.replay("goldens/tool_invalid.ckpt",
                    mock={{"llm": "{REQUEST}", "tool": "catalogue.find"}})
def test_it(replay):
    curator = Curator(app.make_model())
    answer = replay.run(curator.ask, "Egypt")
    assert answer.startswith("Answer to 'Egypt' using ")
    assert "int_parsing" in answer  # the retry prompt: the ValidationError's errors
    assert curator.answers[0]["messages"] == [
        "ModelRequest", "ModelResponse", "ModelRequest", "ModelResponse"
    ]
"""


def _error_records(stack: Stack) -> list[dict]:
    (golden,) = stack.goldens()
    return [s["error"] for s in json.loads(golden.read_text())["trace"]["spans"] if s["error"]]


def test_an_openai_parse_whose_answer_does_not_validate_replays_its_validation_error(
    make_stack,
) -> None:
    stack = make_stack("openai_agent")
    stack.write_test("parse_invalid", OPENAI_TEST)
    stack.roundtrip()
    (error,) = _error_records(stack)
    assert error["validation"]["title"] == "Rating"
    assert error["validation"]["input_type"] == "json"


def test_a_pydantic_ai_tools_validation_error_replays_as_the_same_retry_prompt(
    make_stack,
) -> None:
    # pydantic-ai catches the tool's ValidationError (a RecordedError it let through: the run
    # failed) and sends its errors to the model, whose replayed call compares them strictly
    pytest.importorskip("pydantic_ai", minversion="2.68", reason="the stack needs 2.68+")
    stack = make_stack("pydantic_ai_agent")
    stack.pytester.makepyfile(catalogue=CATALOGUE)
    stack.write_test("tool_invalid", PYDANTIC_AI_TEST)
    stack.roundtrip()
    (error,) = _error_records(stack)
    assert error["validation"]["title"] == "Exhibit"
