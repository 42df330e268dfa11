"""The agent stacks' goldens, recorded in one process, replay in two xdist workers: one project
holds two or three scenarios of each stack (the SDKs, LangChain, LangGraph and its functional
API with concurrent tasks, pydantic-ai, and pydantic-graph with ``.map()`` branches finishing
in another order than they started), so the workers import the frameworks once for all of them
(a ``-n 2`` run per stack started three interpreters, each importing its framework again)."""

from __future__ import annotations

from collections.abc import Callable

from . import (
    test_anthropic,
    test_langchain,
    test_langgraph,
    test_langgraph_functional,
    test_openai,
    test_pydantic_ai,
    test_pydantic_graph,
)
from .harness import Stack

SCENARIOS = (
    (test_openai, ("sdk_sync", "sdk_tool_calls", "asyncio_gather")),
    (test_anthropic, ("sdk_sync", "sdk_tool_use")),
    (test_langchain, ("invoke", "tool_calls")),
    (test_langgraph, ("sequential_nodes", "parallel_sync_nodes")),
    (test_pydantic_ai, ("run_sync", "tool_calls")),
)
#: the stacks whose tests are one template filled with a case's call and check, and its golden
CASES = (
    (test_langgraph_functional, ("slow_tasks", "astream"), "goldens/functional.ckpt"),
    (test_pydantic_graph, ("run", "map"), "goldens/graph.ckpt"),
)
AGENTS = (
    "openai_agent",
    "anthropic_agent",
    "langchain_agent",
    "langgraph_agent",
    "langgraph_functional_agent",
    "pydantic_ai_agent",
    "pydantic_graph_agent",
)


def test_every_stack_recorded_in_one_process_replays_under_xdist(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(*AGENTS)
    for module, names in SCENARIOS:
        prefix = module.__name__.rpartition(".test_")[2]
        for name in names:
            test = module.HEADER + module.SCENARIOS[name]
            stack.write_test(f"{prefix}_{name}", test.replace('"goldens/', f'"goldens/{prefix}/'))
    for module, cases, golden in CASES:
        prefix = module.__name__.rpartition(".test_")[2]
        for case in cases:
            call, check = module.CASES[case]
            test = module.TEST.format(mock=module.MOCK, call=call, check=check)
            test = test.replace(golden, f"goldens/{prefix}/{case}.ckpt")
            stack.write_test(f"{prefix}_{case}", test)
    stack.record()
    assert len(stack.goldens()) == 15
    stack.check_goldens_readable()
    stack.replay_passes(xdist=True)
