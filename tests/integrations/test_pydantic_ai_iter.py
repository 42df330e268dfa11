"""pydantic-ai entry points that no test had touched: ``Agent.iter`` driven node by node
(``async for node in run``, stopped early, and ``run.next(node)``), ``run_stream_sync``, structured
output (``output_type=`` a pydantic class: tool output by default, ``NativeOutput`` and
``PromptedOutput``; streamed with ``stream_output``), and ``ModelRetry`` raised by a tool and by
an ``output_validator``. Each records, replays twice with the service sealed, re-records
byte-identical, and an edited prompt fails naming both texts."""

from __future__ import annotations

import pydantic_ai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

REQUEST = "pydantic_ai.models.openai.OpenAIChatModel.request"
# streamed runs: the SDK method under request_stream (see test_pydantic_ai.py)
ACREATE = "openai.resources.chat.completions.AsyncCompletions.create"

AGENT = '''
import pydantic
from pydantic_ai import Agent, ModelRetry, NativeOutput, PromptedOutput, RunContext, ToolOutput

import pydantic_ai_agent as app


class Exhibit(pydantic.BaseModel):
    answer: str
    confident: bool


async def iterate(question):
    agent = app.make_agent(app.make_model(), tools=True)
    kinds = []
    async with agent.iter(question) as run:
        async for node in run:
            kinds.append(type(node).__name__)
    return run.result.output, kinds


async def first_answer(question):
    """Stops at the first model response (its tool calls not run)."""
    agent = app.make_agent(app.make_model(), tools=True)
    async with agent.iter(question) as run:
        async for node in run:
            if Agent.is_call_tools_node(node):
                return [part.tool_name for part in node.model_response.parts]
    return []


async def step(question):
    agent = app.make_agent(app.make_model(), tools=True)
    kinds = []
    async with agent.iter(question) as run:
        node = run.next_node
        while not Agent.is_end_node(node):
            kinds.append(type(node).__name__)
            node = await run.next(node)
    return node.data.output, kinds


def stream_sync(question):
    agent = app.make_agent(app.make_model())
    result = agent.run_stream_sync(question)
    return "".join(result.stream_text(delta=True))


def structured(question, how):
    wrap = {"tool": ToolOutput, "native": NativeOutput, "prompted": PromptedOutput}[how]
    agent = Agent(app.make_model(), system_prompt=app.SYSTEM, output_type=wrap(Exhibit))
    return agent.run_sync(question).output


def tool_retry(question):
    agent = Agent(app.make_model(), system_prompt=app.SYSTEM)

    @agent.tool
    def search_collection(ctx: RunContext[None], query: str) -> str:
        """Search the collection."""
        if ctx.retry == 0:
            raise ModelRetry("Name a period too.")
        return app.lookup("collection", query)

    return agent.run_sync(question).output


def validated(question):
    agent = Agent(app.make_model(), system_prompt=app.SYSTEM)

    @agent.output_validator
    def long_enough(ctx: RunContext[None], output: str) -> str:
        if ctx.retry == 0:
            raise ModelRetry("Say more.")
        return output

    return agent.run_sync(question).output


async def stream_structured(question):
    agent = Agent(app.make_model(), system_prompt=app.SYSTEM, output_type=Exhibit)
    async with agent.run_stream(question) as result:
        outputs = [output async for output in result.stream_output(debounce_by=None)]
    return outputs[-1]
'''

CASES = {
    "iter": (
        REQUEST,
        "asyncio.run(replay.run(iter_agent.iterate, QUESTION))",
        "result[0].startswith(\"Answer to 'Egypt' using\") and result[1][-1] == 'End'",
    ),
    "iter_next": (
        REQUEST,
        "asyncio.run(replay.run(iter_agent.step, QUESTION))",
        "result[0].startswith(\"Answer to 'Egypt' using\") and result[1][0] == 'UserPromptNode'",
    ),
    "iter_stopped_early": (
        REQUEST,
        "asyncio.run(replay.run(iter_agent.first_answer, QUESTION))",
        "result == ['search_flights', 'search_hotels']",
    ),
    "run_stream_sync": (
        ACREATE,
        "replay.run(iter_agent.stream_sync, QUESTION)",
        "result == \"Answer to 'Egypt'\"",
    ),
    "output_tool": (
        REQUEST,
        "replay.run(iter_agent.structured, QUESTION, 'tool')",
        "isinstance(result, iter_agent.Exhibit)",
    ),
    "output_native": (
        REQUEST,
        "replay.run(iter_agent.structured, QUESTION, 'native')",
        "isinstance(result, iter_agent.Exhibit) and result.confident",
    ),
    "output_prompted": (
        REQUEST,
        "replay.run(iter_agent.structured, QUESTION, 'prompted')",
        "isinstance(result, iter_agent.Exhibit) and result.confident",
    ),
    "tool_model_retry": (
        REQUEST,
        "replay.run(iter_agent.tool_retry, QUESTION)",
        "'Name a period too' in result",
    ),
    "output_validator_retry": (
        REQUEST,
        "replay.run(iter_agent.validated, QUESTION)",
        "'Say more' in result",
    ),
    "run_stream_output": (
        ACREATE,
        "asyncio.run(replay.run(iter_agent.stream_structured, QUESTION))",
        "isinstance(result, iter_agent.Exhibit) and result.confident",
    ),
}

TEST = """
import asyncio

import pytest

import iter_agent

QUESTION = "Egypt"


@pytest.mark.replay("goldens/iter.ckpt",
                    mock={{"llm": "{target}", "tool": "pydantic_ai_agent.lookup"}})
def test_it(replay):
    result = {call}
    assert {check}, result
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("pydantic_ai_agent")
    (stack.path / "iter_agent.py").write_text(AGENT)
    return stack


@pytest.mark.parametrize("case", list(CASES))
def test_an_entry_point_records_replays_and_names_an_edited_prompt(stack: Stack, case: str) -> None:
    target, call, check = CASES[case]
    stack.write_test("iter", TEST.format(target=target, call=call, check=check))
    stack.roundtrip()
    (golden,) = stack.goldens()
    text = golden.read_text()
    assert " at 0x" not in text, text
    before = golden.read_bytes()
    stack.record()
    assert golden.read_bytes() == before, "re-recording an unchanged agent changed the golden"

    stack.edit("test_iter", 'QUESTION = "Egypt"', 'QUESTION = "Rome"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "'Egypt' -> 'Rome'" in out, out
