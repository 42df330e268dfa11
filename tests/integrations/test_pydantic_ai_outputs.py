"""pydantic-ai output modes and models no test had touched: ``TextOutput(fn)``, a union of
output types (one output tool each), ``deps_type`` a dataclass read by instructions, a tool and
an ``output_validator`` raising ``ModelRetry``, ``OpenAIResponsesModel`` and ``AnthropicModel``
with ``NativeOutput``, the run's output (a pydantic model) and its messages kept in the agent's
state. Recorded, replayed twice with the service sealed, re-recorded byte-identical, and an edited
question or deps value is named."""

from __future__ import annotations

import pytest

pytest.importorskip("pydantic_ai", minversion="2.68", reason="the pydantic-ai stack needs 2.68+")
import pydantic_ai.models.anthropic  # (imported once here, reused by the inner runs)
import pydantic_ai.models.openai  # noqa: F401

from .harness import Stack

AGENT = """
import dataclasses

import pydantic
import pytest
from pydantic_ai import Agent, ModelRetry, NativeOutput, RunContext, TextOutput, ToolOutput
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

import pydantic_ai_agent as app
import services

CHAT = "pydantic_ai.models.openai.OpenAIChatModel.request"
RESPONSES = "pydantic_ai.models.openai.OpenAIResponsesModel.request"
ANTHROPIC = "pydantic_ai.models.anthropic.AnthropicModel.request"
TOOL = "pydantic_ai_agent.lookup"


class Exhibit(pydantic.BaseModel):
    answer: str
    confident: bool


class Refusal(pydantic.BaseModel):
    reason: str


@dataclasses.dataclass
class Visitor:
    name: str
    language: str


@dataclasses.dataclass
class Words:
    words: list[str]


def split_words(text: str) -> Words:
    return Words(text.split())


def responses_model():
    return OpenAIResponsesModel(
        "gpt-4o-mini", provider=OpenAIProvider(http_client=services.OPENAI.async_client()))


def anthropic_model():
    import anthropic
    client = anthropic.AsyncAnthropic(http_client=services.ANTHROPIC.async_client(),
                                      max_retries=0)
    return AnthropicModel("claude-sonnet-5-5", provider=AnthropicProvider(anthropic_client=client))


class Curator:
    def __init__(self, model, **options):
        self.agent = Agent(model, system_prompt=app.SYSTEM, **options)
        self.outputs = []
        self.messages = []

    def get_state(self):
        return {"outputs": self.outputs, "messages": self.messages}

    def load_state(self, state):
        self.outputs = list(state["outputs"])
        self.messages = list(state["messages"])

    def ask(self, question, deps=None):
        result = self.agent.run_sync(question, deps=deps, message_history=self.messages)
        self.outputs.append(result.output)
        self.messages = result.all_messages()
        return result.output


def with_deps():
    # (a text answer: the fake service answers a retried output tool call in text)
    curator = Curator(app.make_model(), deps_type=Visitor)

    @curator.agent.instructions
    def speak(ctx: RunContext[Visitor]) -> str:
        return f"Answer {ctx.deps.name} in {ctx.deps.language}."

    @curator.agent.output_validator
    def polite(ctx: RunContext[Visitor], output: str) -> str:
        if ctx.retry == 0:
            raise ModelRetry(f"Greet {ctx.deps.name} first.")
        return output

    return curator
"""

TESTS = '''

@pytest.mark.replay("goldens/text_output.ckpt", mock={"llm": CHAT})
def test_text_output_function(replay):
    curator = Curator(app.make_model(), output_type=TextOutput(split_words))
    assert replay.run(curator.ask, "Egypt") == Words(["Answer", "to", "'Egypt'"])


@pytest.mark.replay("goldens/union.ckpt", mock={"llm": CHAT})
def test_union_of_outputs(replay):
    curator = Curator(app.make_model(), output_type=[ToolOutput(Exhibit), Refusal])
    assert replay.run(curator.ask, "Egypt") == Exhibit(answer="Answer to 'Egypt'", confident=True)


@pytest.mark.replay("goldens/deps.ckpt", mock={"llm": CHAT, "tool": TOOL})
def test_deps_and_validator_retry(replay):
    curator = with_deps()

    @curator.agent.tool
    def search(ctx: RunContext[Visitor], query: str) -> str:
        """Search the collection."""
        return app.lookup(ctx.deps.language, query)

    out = replay.run(curator.ask, "Egypt", Visitor("Ann", "French"))
    assert "Greet Ann first." in out and out.endswith("using French: 8 exhibits about Egypt #0")


@pytest.mark.replay("goldens/responses_native.ckpt", mock={"llm": RESPONSES})
def test_responses_native(replay):
    curator = Curator(responses_model(), output_type=NativeOutput(Exhibit))
    out = replay.run(curator.ask, "Rome")
    assert out.answer.startswith("Answer to 'Rome'") and out.confident, out


@pytest.mark.replay("goldens/anthropic_native.ckpt", mock={"llm": ANTHROPIC})
def test_anthropic_native(replay):
    curator = Curator(anthropic_model(), output_type=NativeOutput(Exhibit))
    out = replay.run(curator.ask, "Oslo")
    assert out == Exhibit(answer="Answer to 'Oslo'", confident=True), out


@pytest.mark.replay("goldens/anthropic_tools.ckpt", mock={"llm": ANTHROPIC, "tool": TOOL})
def test_anthropic_tools_two_turns(replay):
    curator = Curator(anthropic_model())

    @curator.agent.tool_plain
    def search(query: str) -> str:
        """Search the collection."""
        return app.lookup("collection", query)

    replay.run(curator.ask, "Oslo")
    out = replay.run(curator.ask, "Bergen")
    assert out.startswith("Answer to 'Bergen'"), out
'''


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("pydantic_ai_agent")
    stack.write_test("outputs", AGENT + TESTS)
    return stack


def test_outputs_record_replay_and_rerecord_byte_identical(stack: Stack) -> None:
    stack.roundtrip()
    before = {g.name: g.read_bytes() for g in stack.goldens()}
    assert len(before) == 6, sorted(before)
    for name, data in before.items():
        assert b" at 0x" not in data, name
    stack.record()
    changed = [g.name for g in stack.goldens() if g.read_bytes() != before[g.name]]
    assert not changed, f"re-recording an unchanged agent changed {changed}"


def test_an_edited_question_deps_value_or_output_class_is_named(stack: Stack) -> None:
    stack.record()
    stack.edit("test_outputs", 'Visitor("Ann", "French")', 'Visitor("Ann", "German")')
    stack.edit("test_outputs", '"Oslo")\n    assert out ==', '"Bodo")\n    assert out ==')
    stack.edit(
        "test_outputs",
        "class Refusal(pydantic.BaseModel):\n    reason: str",
        "class Refusal(pydantic.BaseModel):\n    reason: str\n    polite: bool = True",
    )
    stack.edit("test_outputs", "Words(text.split())", "Words(text.lower().split())")
    result = stack.replay()
    result.assert_outcomes(passed=2, failed=4)
    text = result.stdout.str()
    for line in (
        "root.words[0]: 'Answer' -> 'answer'",
        "root['outputs'][0].words[2]: \"'Egypt'\" -> \"'egypt'\"",
        "root['model_request_parameters'].output_tools[1].parameters_json_schema['properties']"
        "['polite']: added",
        "root['messages'][0].instructions: 'Answer Ann in French.' -> 'Answer Ann in German.'",
        "replay diverged at call #1 to pydantic_ai.models.anthropic.AnthropicModel.request",
        "root['messages'][0].parts[1].content: 'Oslo' -> 'Bodo'",
    ):
        assert line in text, (line, text)


STREAM_ON_CLAUDE = """

async def stream(question):
    agent = Agent(anthropic_model(), system_prompt=app.SYSTEM, output_type=NativeOutput(Exhibit))
    async with agent.run_stream(question) as result:
        outputs = [output async for output in result.stream_output(debounce_by=None)]
    return outputs[-1]


@pytest.mark.replay("goldens/claude_stream.ckpt", mock={"llm": "TARGET"})
def test_stream(replay):
    out = asyncio.run(replay.run(stream, "Oslo"))
    assert out == Exhibit(answer="Answer to 'Oslo'", confident=True), out
"""


def test_a_stream_on_anthropic_model_under_the_sdk_s_messages_names_its_beta_messages(
    stack: Stack,
) -> None:
    """``AnthropicModel`` sends its requests by the SDK's ``client.beta.messages.create``: a
    stream recorded under ``anthropic.resources.messages.AsyncMessages.create`` (the anthropic
    how-to's target) recorded nothing, and the hints named that class's sync twin, its
    ``stream`` and ``parse``, never the beta namespace's ``AsyncMessages.create`` the model
    calls. Named; followed, it records and replays."""
    test = "import asyncio\n" + AGENT + STREAM_ON_CLAUDE
    stack.write_test(
        "outputs", test.replace("TARGET", "anthropic.resources.messages.AsyncMessages.create")
    )
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            "*does the agent call `anthropic.resources.beta.messages.AsyncMessages.create`? (the "
            "same method in the SDK's `beta` namespace, `client.beta.messages.create`, which "
            "the patch of `anthropic.resources.messages.AsyncMessages.create` does not reach: "
            "mock it too, or instead)*",
        ]
    )
    stack.write_test(
        "outputs", test.replace("TARGET", "anthropic.resources.beta.messages.AsyncMessages.create")
    )
    stack.roundtrip_rerecorded_unchanged()
