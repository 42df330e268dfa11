"""``pydantic_graph`` end to end (``stacks/pydantic_graph_agent.py``): graphs built with
``GraphBuilder`` whose ``BaseNode``s (``Plan`` -> ``Research`` -> ``Answer``, which returns
``End``) or steps run a pydantic-ai ``Agent`` with tools, keeping a dataclass state
(``GraphRunContext.state``): ``graph.run``, ``graph.iter`` (``async for``), ``run.next`` step by
step, a ``.map()`` fan-out to concurrent steps gathered by a join (in the order
the branches finished, on a model that answers some topics later) and a broadcast to two steps.
Each records, replays twice with the service sealed and re-records byte-identical; an edited
prompt is named."""

from __future__ import annotations

import pydantic_ai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pydantic_graph  # noqa: F401
import pytest

from .harness import Stack

MOCK = (
    '{"llm": "pydantic_ai.models.openai.OpenAIChatModel.request", '
    '"tool": "pydantic_graph_agent.lookup"}'
)

CASES = {
    "run": (
        "asyncio.run(replay.run(app.Planner(app.make_model()).run, QUESTION))",
        "result.startswith(\"Answer to 'answer Answer to 'plan\")",
    ),
    "iter": (
        "asyncio.run(replay.run(app.Planner(app.make_model()).iterate, QUESTION))",
        "result.startswith(\"Answer to 'answer Answer to 'plan\")",
    ),
    "next": (
        "asyncio.run(replay.run(app.Planner(app.make_model()).step, QUESTION))",
        "result.startswith(\"Answer to 'answer Answer to 'plan\")",
    ),
    "map": (
        "asyncio.run(replay.run(app.Mapper(app.make_slow_model()).run, TOPICS))",
        "result.startswith(\"Answer to 'merge Answer to 'summarise\")",
    ),
    "map_two_steps": (
        "asyncio.run(replay.run(app.Mapper(app.make_slow_model()).run, TOPICS, True))",
        "result.startswith(\"Answer to 'merge Answer to 'polish\")",
    ),
    "stream_step": (
        "asyncio.run(replay.run(app.Mapper(app.make_model()).streamed, TOPICS))",
        "result.startswith(\"Answer to 'merge Answer to 'summarise\")",
    ),
    "drafts": (
        "asyncio.run(replay.run(app.Mapper(app.make_staggered_model()).drafts, TOPICS))",
        "len(result) == 4",
    ),
    "broadcast": (
        "asyncio.run(replay.run(app.Mapper(app.make_model()).broadcast, QUESTION))",
        "len(result) == 2",
    ),
}

TEST = """
import asyncio

import pytest

import pydantic_graph_agent as app

QUESTION = "Egypt"
TOPICS = ["alps", "bees", "cats", "Egypt"]


@pytest.mark.replay("goldens/graph.ckpt", mock={mock})
def test_it(replay):
    result = {call}
    assert {check}, result
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("pydantic_graph_agent")
    return stack


@pytest.mark.parametrize("case", list(CASES))
def test_a_graph_records_replays_and_names_an_edited_prompt(stack: Stack, case: str) -> None:
    call, check = CASES[case]
    stack.write_test("graph", TEST.format(mock=MOCK, call=call, check=check))
    stack.roundtrip()
    (golden,) = stack.goldens()
    before = golden.read_bytes()
    stack.record()
    assert golden.read_bytes() == before, "re-recording an unchanged agent changed the golden"

    stack.edit("test_graph", 'QUESTION = "Egypt"', 'QUESTION = "Rome"')
    stack.edit("test_graph", '"Egypt"]', '"Rome"]')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "'Egypt' -> 'Rome'" in out or "Egypt' -> '" in out, out


STEPS = """
from pydantic_graph import GraphBuilder, StepContext, reduce_list_append

import pydantic_graph_agent as app

g = GraphBuilder(input_type=list[str], output_type=str)


@g.step
async def split(ctx: StepContext[None, None, list[str]]) -> list[str]:
    return ctx.inputs


@g.step
async def summarise(ctx: StepContext[None, None, str]) -> str:
    return app.lookup("summary", ctx.inputs)


collect = g.join(reduce_list_append, initial_factory=list[str])


@g.step
async def merge(ctx: StepContext[None, None, list[str]]) -> str:
    agent = app.make_agent(app.make_model())
    return (await agent.run("merge " + " | ".join(sorted(ctx.inputs)))).output


g.add(
    g.edge_from(g.start_node).to(split),
    g.edge_from(split).map().to(summarise),
    g.edge_from(summarise).to(collect),
    g.edge_from(collect).to(merge),
    g.edge_from(merge).to(g.end_node),
)
graph = g.build()


async def run(topics):
    return await graph.run(inputs=topics)
"""

STEP_TEST = """
import asyncio

import pytest

import graph_steps


@pytest.mark.replay("goldens/steps.ckpt",
                    mock={"llm": "pydantic_ai.models.openai.OpenAIChatModel.request",
                          "step": "graph_steps.summarise"})
def test_it(replay):
    answer = asyncio.run(replay.run(graph_steps.run, ["alps", "bees"]))
    assert answer.startswith("Answer to 'merge summary: 4 rooms about alps"), answer
"""


def test_a_step_of_a_graph_built_at_import_is_a_mock_target(stack: Stack) -> None:
    """``@g.step`` at module level mocked by its import path: each branch's call is recorded
    with its ``StepContext`` stored readably (typing gives it an ``__orig_class__``,
    ``StepContext[StateT, DepsT, Any]``, which was stored as a placeholder of its type only)
    and answered on replay; a changed input names the step and the change."""
    (stack.path / "graph_steps.py").write_text(STEPS)
    stack.write_test("steps", STEP_TEST)
    stack.roundtrip()
    (golden,) = stack.goldens()
    assert '"cls": "pydantic_graph.step:StepContext"' in golden.read_text()
    stack.edit("test_steps", '"bees"]', '"cats"]')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "replay diverged at call #2 to graph_steps.summarise" in text, text
    assert "root['ctx']._inputs: 'bees' -> 'cats'" in text, text
