"""golden/graph_threads.py: the checkpointer of the LangGraph node a call runs in, named when a
module's name holds it (made at import) and so outlives the test."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any, TypedDict

import pytest

pytest.importorskip("langgraph.graph")

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph

from pytest_clearstone.golden.callback_handlers import context_handlers
from pytest_clearstone.golden.graph_threads import left_thread_cause, shared_thread_cause


class _State(TypedDict):
    said: str


def _graph(told: list[str], saver: Any) -> Any:
    def node(state: _State) -> dict[str, Any]:
        told.append(shared_thread_cause())
        return {"said": "ok"}

    builder = StateGraph(_State)
    builder.add_node("answer", node)
    builder.add_edge(START, "answer")
    return builder.compile(checkpointer=saver)


@pytest.fixture
def module() -> Iterator[types.ModuleType]:
    made = types.ModuleType("graph_threads_app")
    sys.modules[made.__name__] = made
    yield made
    del sys.modules[made.__name__]


def test_a_checkpointer_a_module_holds_is_named_by_that_name(module: types.ModuleType) -> None:
    told: list[str] = []
    module.memory = InMemorySaver()
    graph = _graph(told, module.memory)
    graph.invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    assert told[0].startswith(
        "This call ran in LangGraph node 'answer' on thread 't-7' of a checkpointer made at "
        "import (graph_threads_app.memory, a langgraph.checkpoint.memory.InMemorySaver): it "
        "outlives the test"
    )


def test_a_checkpointer_only_a_module_level_graph_holds_is_named_through_it(
    module: types.ModuleType,
) -> None:
    told: list[str] = []
    module.graph = _graph(told, InMemorySaver())
    module.graph.invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    assert "(graph_threads_app.graph's checkpointer, a " in told[0]


def test_a_checkpointer_made_in_the_test_is_not_named(module: types.ModuleType) -> None:
    told: list[str] = []
    _graph(told, InMemorySaver()).invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    assert told == [""]


def test_outside_a_graph_nothing_is_named() -> None:
    assert shared_thread_cause() == ""


@pytest.fixture(scope="module")
def module_saver() -> InMemorySaver:
    return InMemorySaver()


@pytest.fixture
def own_saver() -> InMemorySaver:
    return InMemorySaver()


def test_a_checkpointer_a_wider_fixture_made_is_named_and_a_tests_own_is_not(
    module_saver: InMemorySaver, own_saver: InMemorySaver
) -> None:
    told: list[str] = []
    _graph(told, module_saver).invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    _graph(told, own_saver).invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    assert told[0].startswith(
        "This call ran in LangGraph node 'answer' on thread 't-7' of a checkpointer made by "
        "fixture 'module_saver' of module scope (a langgraph.checkpoint.memory.InMemorySaver)"
    )
    assert told[1] == ""  # (a function-scoped fixture's: the test's own)


def test_a_module_holding_the_checkpointer_is_named_before_a_graph_holding_it(
    module: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the graph's module imported first: its graph is met before the other module's name)
    told: list[str] = []
    memory = InMemorySaver()
    module.graph = _graph(told, memory)
    holder = types.ModuleType("graph_threads_memory")
    holder.memory = memory
    monkeypatch.setitem(sys.modules, holder.__name__, holder)
    module.graph.invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    assert "(graph_threads_memory.memory, a " in told[0]


def test_a_module_blocked_in_sys_modules_is_passed_over(
    module: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a test blocking an optional import: `sys.modules["numpy"] = None`; a checkpointer held
    # by a graph only: every module is looked at, for a name holding it)
    monkeypatch.setitem(sys.modules, "graph_threads_blocked", None)
    told: list[str] = []
    module.graph = _graph(told, InMemorySaver())
    module.graph.invoke({"said": ""}, {"configurable": {"thread_id": "t-7"}})
    assert "(graph_threads_app.graph's checkpointer, a " in told[0]


def test_in_a_langchain_run_without_langgraph_checkpointers_nothing_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_core.runnables import RunnableLambda

    monkeypatch.delitem(sys.modules, "langgraph.checkpoint.base")
    told = RunnableLambda(lambda _: shared_thread_cause()).invoke(
        None, {"configurable": {"thread_id": "t-7"}}
    )
    assert told == ""


@pytest.fixture(scope="module")
def module_agent() -> types.SimpleNamespace:
    return types.SimpleNamespace(memory=InMemorySaver())  # (an agent keeping its checkpointer)


def test_a_checkpointer_an_object_of_a_wider_fixture_holds_is_named(
    module_agent: types.SimpleNamespace,
) -> None:
    # (mutation round 29, m7: the fixture's value's attributes are looked at too)
    told: list[str] = []
    _graph(told, module_agent.memory).invoke({"said": ""}, {"configurable": {"thread_id": "t-8"}})
    assert told[0].startswith(
        "This call ran in LangGraph node 'answer' on thread 't-8' of a checkpointer made by "
        "fixture 'module_agent' of module scope (a langgraph.checkpoint.memory.InMemorySaver)"
    ), told


def _noting_graph(noted: list[Any], saver: Any, node_name: str) -> Any:
    """A graph whose one node notes the LangChain callbacks in force (what a replay keeps of
    each call, which :func:`left_thread_cause` reads after the run)."""

    def node(state: _State) -> dict[str, Any]:
        noted.append(context_handlers())
        return {"said": "ok"}

    builder = StateGraph(_State)
    builder.add_node(node_name, node)
    builder.add_edge(START, node_name)
    return builder.compile(checkpointer=saver)


def test_calls_left_out_name_a_long_lived_graph_only_where_it_has_the_calls_node(
    module: types.ModuleType,
) -> None:
    # (mutation round 29's G1: a graph made at import with another node is not the call's)
    noted: list[Any] = []
    module.graph = _noting_graph([], InMemorySaver(), "answer")
    own = _noting_graph(noted, InMemorySaver(), "elsewhere")
    own.invoke({"said": ""}, {"configurable": {"thread_id": "t-9"}})
    assert left_thread_cause(noted) == ""
    module.graph = _noting_graph([], InMemorySaver(), "elsewhere")
    told = left_thread_cause(noted)
    assert told.startswith(
        "The replay's calls ran in LangGraph node 'elsewhere' on thread 't-9' of a checkpointer "
        "made at import (graph_threads_app.graph's checkpointer, a "
    ), told


@pytest.fixture(scope="module")
def module_planner() -> types.SimpleNamespace:
    # (an agent keeping its compiled graph, made once for the module's tests)
    return types.SimpleNamespace(graph=_noting_graph(_PLANNER_NOTES, InMemorySaver(), "plan"))


_PLANNER_NOTES: list[Any] = []


def test_calls_left_out_name_a_graph_an_object_of_a_wider_fixture_holds(
    module_planner: types.SimpleNamespace,
) -> None:
    # (mutation round 29's G4: the attributes of a wider fixture's value are looked through)
    _PLANNER_NOTES.clear()
    module_planner.graph.invoke({"said": ""}, {"configurable": {"thread_id": "t-10"}})
    told = left_thread_cause(_PLANNER_NOTES)
    assert told.startswith(
        "The replay's calls ran in LangGraph node 'plan' on thread 't-10' of a checkpointer made "
        "by fixture 'module_planner' of module scope (a langgraph.checkpoint.memory.InMemorySaver)"
    ), told
