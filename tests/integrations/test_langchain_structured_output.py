"""LangChain's ``with_structured_output`` on ``ChatOpenAI`` (mocked at ``ChatOpenAI.invoke``): a
pydantic class with ``method="json_schema"``, a ``TypedDict`` with ``"function_calling"``, a JSON
schema dict with ``"json_mode"`` whose answer is not JSON (``include_raw=True``: the raw
``AIMessage`` and the ``parsing_error`` kept in the state), ``include_raw=True`` on a tool call.
Each records, replays twice with the service sealed, re-records the same but for the ``lc_run--``
ids a live call makes, and a changed prompt or schema is named."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

AGENT = '''
from typing import TypedDict

import pydantic
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

import langchain_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke"}
IGNORE = ["config.callbacks"]


class Dish(pydantic.BaseModel):
    """A dish and how sure the cook is."""
    answer: str
    confident: bool


class DishDict(TypedDict):
    """A dish and how sure the cook is."""
    answer: str
    confident: bool


DISH_SCHEMA = {
    "title": "dish",
    "description": "A dish and how sure the cook is.",
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confident": {"type": "boolean"}},
    "required": ["answer", "confident"],
}


class Cook:
    def __init__(self, schema, **options):
        self.model = app.make_llm().with_structured_output(schema, **options)
        self.dishes = []

    def get_state(self):
        return {"dishes": self.dishes}

    def load_state(self, state):
        self.dishes = list(state["dishes"])

    def ask(self, question):
        out = self.model.invoke([SystemMessage("You are a cook."), HumanMessage(question)])
        if isinstance(out, dict) and out.get("parsing_error") is not None:
            # (an exception kept as a value is refused, naming this fix)
            error = out["parsing_error"]
            out = {**out, "parsing_error": f"{type(error).__name__}: {error}"}
        self.dishes.append(out)
        return out
'''

TESTS = """

@pytest.mark.replay("goldens/json_schema.ckpt", mock=MOCK, ignore=IGNORE)
def test_json_schema_pydantic(replay):
    out = replay.run(Cook(Dish, method="json_schema").ask, "Soup?")
    assert out == Dish(answer="Answer to 'Soup?'", confident=True)


@pytest.mark.replay("goldens/function_calling.ckpt", mock=MOCK, ignore=IGNORE)
def test_function_calling_typeddict(replay):
    out = replay.run(Cook(DishDict, method="function_calling").ask, "Stew?")
    assert out == {"answer": "Answer to 'Stew?'", "confident": True}


@pytest.mark.replay("goldens/json_mode_raw.ckpt", mock=MOCK, ignore=IGNORE)
def test_json_mode_parse_failure_raw(replay):
    out = replay.run(Cook(DISH_SCHEMA, method="json_mode", include_raw=True).ask, "Pie?")
    assert out["parsed"] is None
    assert out["raw"].content == "Answer to 'Pie?'"
    assert out["parsing_error"].startswith("OutputParserException: Invalid json output")


@pytest.mark.replay("goldens/function_calling_raw.ckpt", mock=MOCK, ignore=IGNORE)
def test_function_calling_pydantic_raw(replay):
    out = replay.run(Cook(Dish, method="function_calling", include_raw=True).ask, "Tart?")
    assert out["parsed"] == Dish(answer="Answer to 'Tart?'", confident=True)
    assert out["raw"].tool_calls[0]["name"] == "Dish"
    assert out["parsing_error"] is None


@pytest.mark.replay("goldens/json_schema_dict.ckpt", mock=MOCK, ignore=IGNORE)
def test_json_schema_dict_raw(replay):
    out = replay.run(Cook(DISH_SCHEMA, method="json_schema", include_raw=True).ask, "Jam?")
    assert out["parsed"] == {"answer": "Answer to 'Jam?'", "confident": True}
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent")
    stack.write_test("structured", AGENT + TESTS)
    return stack


def test_structured_output_records_replays_and_rerecords_the_same(stack: Stack) -> None:
    stack.roundtrip()
    before = stack.unmeasured_goldens()
    assert len(before) == 5, sorted(before)
    stack.record()
    assert stack.unmeasured_goldens() == before, "re-recording an unchanged agent changed them"


def test_a_changed_schema_or_prompt_is_named(stack: Stack) -> None:
    stack.record()
    stack.edit(
        "test_structured",
        "    confident: bool\n\n\nclass DishDict",
        "    confident: bool\n    spicy: bool = False\n\n\nclass DishDict",
    )
    stack.edit("test_structured", '"Stew?"', '"Stew!"')
    result = stack.replay()
    result.assert_outcomes(passed=2, failed=3)  # (Dish is the schema of two tests)
    text = result.stdout.str()
    assert (
        "root['kwargs']['response_format']: the JSON schema of test_structured.Dish changed: "
        "properties.spicy added"
    ) in text, text
    assert "root['kwargs']['tools'][0]['function']['parameters']['properties']['spicy']" in text
    assert "root['input'][1].content: 'Stew?' -> 'Stew!'" in text, text


OTHER_MODELS = """

@pytest.fixture
def _claude_over_the_fake_service(monkeypatch):
    # ChatAnthropic takes no http_client: it builds its anthropic client on the HTTP client
    # this helper gives (see test_langchain_anthropic.py)
    from langchain_anthropic import chat_models
    import services
    monkeypatch.setattr(chat_models, "_get_default_httpx_client",
                        lambda **kwargs: services.ANTHROPIC.client())


class ClaudeCook(Cook):
    def __init__(self, schema, **options):
        from langchain_anthropic import ChatAnthropic
        self.model = ChatAnthropic(model="claude-sonnet-5-5", max_retries=0).with_structured_output(
            schema, **options)
        self.dishes = []


class ResponsesCook(Cook):
    def __init__(self, schema, **options):
        import services
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI(model="gpt-4o-mini", use_responses_api=True, max_retries=0,
                         http_client=services.OPENAI.client())
        self.model = llm.with_structured_output(schema, **options)
        self.dishes = []


@pytest.mark.usefixtures("_claude_over_the_fake_service")
@pytest.mark.replay("goldens/claude_json_schema.ckpt",
                    mock={"llm": "langchain_anthropic.ChatAnthropic.invoke"}, ignore=IGNORE)
def test_claude_json_schema(replay):
    out = replay.run(ClaudeCook(Dish, method="json_schema").ask, "Soup?")
    assert out == Dish(answer="Answer to 'Soup?'", confident=True)


# (langchain-anthropic warns that forced tool calling is not supported on this model)
@pytest.mark.filterwarnings("ignore:You are attempting to use structured output:UserWarning")
@pytest.mark.usefixtures("_claude_over_the_fake_service")
@pytest.mark.replay("goldens/claude_tool_raw.ckpt",
                    mock={"llm": "langchain_anthropic.ChatAnthropic.invoke"}, ignore=IGNORE)
def test_claude_function_calling_parse_failure(replay):
    # the fake service calls the tool with {"query": ...}: not a Dish
    out = replay.run(ClaudeCook(Dish, include_raw=True).ask, "Stew?")
    assert out["parsed"] is None and out["raw"].tool_calls[0]["name"] == "Dish"
    assert out["parsing_error"].startswith("ValidationError: 2 validation errors for Dish"), out


@pytest.mark.replay("goldens/responses_json_schema.ckpt", mock=MOCK, ignore=IGNORE)
def test_responses_api_json_schema(replay):
    out = replay.run(ResponsesCook(DishDict, method="json_schema").ask, "Pie?")
    assert out["confident"] and out["answer"].startswith("Answer to 'Pie?'"), out
"""


def test_chat_anthropic_and_the_responses_api(make_stack) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("langchain_anthropic")
    stack: Stack = make_stack("langchain_agent")
    stack.write_test("other_models", AGENT + OTHER_MODELS)
    stack.roundtrip()
    before = stack.unmeasured_goldens()
    assert len(before) == 3, sorted(before)
    stack.record()
    assert stack.unmeasured_goldens() == before, "re-recording an unchanged agent changed them"
