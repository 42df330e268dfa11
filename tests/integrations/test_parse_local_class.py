"""A structured output whose pydantic class is defined inside the test function (``parse`` with
``response_format=`` or ``text_format=`` a local class): the golden cannot name the class, so the
parsed answer cannot be stored. The refusal proposed teaching the codec the type, mocking the
function under ``parse`` or allowing pickles (none of which works: dill cannot pickle it either);
it now says the class is defined inside a function and to define it at module level, which
records and replays."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

PARSE = "openai.resources.chat.completions.Completions.parse"

CLASS = """
class Answer(pydantic.BaseModel):
    answer: str
    confident: bool
"""

TEST = f"""
import pydantic
import pytest

MODULE_LEVEL


@pytest.mark.replay(mock={{"llm": "{PARSE}"}})
def test_it(replay, openai_client):
    LOCAL

    def ask(client, question):
        completion = client.chat.completions.parse(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": question}}],
            response_format=Answer)
        return completion.choices[0].message.parsed.answer

    assert replay.run(ask, openai_client, "Tides?") == "Answer to 'Tides?'"
"""


def test_a_parsed_answer_of_a_class_defined_in_the_test_names_the_fix(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    local = CLASS.strip().replace("\n", "\n    ")
    stack.write_test("it", TEST.replace("MODULE_LEVEL", "").replace("LOCAL", local))
    refused = stack.try_record("-W", "ignore::pytest_clearstone.errors.UnencodableValueWarning")
    refused.assert_outcomes(failed=1)
    text = " ".join(refused.stdout.str().split())
    assert (
        "(a test_it.test_it.<locals>.Answer): its class is defined inside a function, so no "
        "import path names it and a replay cannot rebuild it. Define the class at module level"
        in text
    ), text
    assert "teach the codec" not in text.lower() and "allow pickles" not in text
    stack.write_test("it", TEST.replace("MODULE_LEVEL", CLASS).replace("LOCAL", ""))
    stack.roundtrip()


RESPONSES_TEST = """
import pydantic
import pytest


@pytest.mark.replay(mock={"llm": "openai.resources.responses.Responses.parse"})
def test_it(replay, openai_client):
    class Answer(pydantic.BaseModel):
        answer: str
        confident: bool

    def ask(client, question):
        response = client.responses.parse(model="gpt-4o-mini", input=question, text_format=Answer)
        return response.output_parsed.answer

    assert replay.run(ask, openai_client, "Tides?") == "Answer to 'Tides?'"
"""


def test_the_refusal_names_the_place_in_the_answer_by_its_attributes(make_stack: object) -> None:
    """``responses.parse`` with a local class: the refusal named the place of the parsed answer
    in the golden's stored form, ``answer['v']['output'][0]['v']['content'][0]['v']['parsed']``,
    where a delta names a model's fields as attributes."""
    stack: Stack = make_stack()  # type: ignore[operator]
    stack.write_test("it", RESPONSES_TEST)
    refused = stack.try_record("-W", "ignore::pytest_clearstone.errors.UnencodableValueWarning")
    refused.assert_outcomes(failed=1)
    text = " ".join(refused.stdout.str().split())
    assert (
        "cannot serialise the answer of call #1 to openai.resources.responses.Responses.parse, "
        "at answer.output[0].content[0].parsed (a test_it.test_it.<locals>.Answer)" in text
    ), text
