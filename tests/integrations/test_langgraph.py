"""LangGraph graphs of ``ChatOpenAI`` nodes end to end, parallel sync nodes included."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack, params

HEADER = """
import asyncio

import pytest

import langgraph_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "tool": "langgraph_agent.lookup"}
"""

SCENARIOS = {
    "sequential_nodes": """
@pytest.mark.replay("goldens/sequential.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False)
    answer = replay.run(agent.plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights")
""",
    "parallel_sync_nodes": """
@pytest.mark.replay("goldens/parallel.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.TripAgent(app.make_llm())
    app.REPLIES.clear()
    answer = replay.run(agent.plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights")
    # the replayed answers of ChatOpenAI.invoke are the recorded type
    assert app.REPLIES == ["langchain_core.messages.ai.AIMessage"] * 4
""",
    "async_graph": """
@pytest.mark.replay("goldens/async.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False)
    assert asyncio.run(replay.run(agent.aplan, "Porto")).startswith("Answer to 'merge")
""",
}

XFAIL: dict[str, str] = {}


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("langchain_agent", "langgraph_agent")


@pytest.mark.parametrize("name", params(SCENARIOS, XFAIL))
def test_records_and_replays(stack: Stack, name: str) -> None:
    stack.write_test(name, HEADER + SCENARIOS[name])
    stack.roundtrip()


def test_parallel_nodes_are_green_five_times_in_a_row(stack: Stack) -> None:
    stack.write_test("parallel", HEADER + SCENARIOS["parallel_sync_nodes"])
    for _ in range(5):
        stack.record()
        stack.replay_passes()


def test_under_xdist(stack: Stack) -> None:
    for name in ("sequential_nodes", "parallel_sync_nodes"):
        stack.write_test(name, HEADER + SCENARIOS[name])
    stack.record()
    stack.replay_passes(xdist=True)
