"""The LangGraph node caches a failure names (``golden/graph_cache.py``): only those alive,
not one an earlier test left as garbage in a reference cycle (a graph compiled in a test module
that pytester ran in-process), which named LangGraph's cache in unrelated tests' failures."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from pytest_clearstone.golden.graph_cache import graph_cache_hint, graph_caches

pytest.importorskip("langgraph.cache.memory")


def test_a_cache_left_in_a_reference_cycle_is_not_named() -> None:
    from langgraph.cache.memory import InMemoryCache

    gc.disable()  # (the cycle stays garbage until the walk, as between two tests)
    try:
        holder: dict[str, Any] = {"cache": InMemoryCache()}
        holder["self"] = holder
        del holder
        assert graph_caches() == []
        assert graph_cache_hint() == ""
    finally:
        gc.enable()


def test_a_live_cache_is_named() -> None:
    from langgraph.cache.memory import InMemoryCache

    cache = InMemoryCache()
    assert "langgraph.cache.memory.InMemoryCache" in graph_caches()
    assert "LangGraph's node cache is in use (" in graph_cache_hint()
    del cache


def test_the_node_running_a_call_is_named_only_with_a_cache_policy_sync_and_async() -> None:
    # (an async node runs in an asyncio task of its own, above which no frame of LangGraph's
    # runner is on the stack: it is found by its run's name among the cached graphs' nodes)
    import asyncio
    from typing import TypedDict

    from langgraph.cache.memory import InMemoryCache
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import CachePolicy

    from pytest_clearstone.golden.graph_cache import cached_node

    class S(TypedDict, total=False):
        x: str
        y: str

    seen: dict[str, str] = {}

    def cached(state: S) -> S:
        seen["cached"] = cached_node()
        return {"x": "done"}

    async def acached(state: S) -> S:
        seen["acached"] = cached_node()
        return {"x": "done"}

    async def plain(state: S) -> S:
        seen["plain"] = cached_node()
        return {"y": "done"}

    for node in (cached, acached):
        builder = StateGraph(S)
        builder.add_node(node.__name__, node, cache_policy=CachePolicy())
        builder.add_node("plain", plain)
        builder.add_edge(START, node.__name__)
        builder.add_edge(START, "plain")
        builder.add_edge(node.__name__, END)
        graph = builder.compile(cache=InMemoryCache())
        asyncio.run(graph.ainvoke({"x": "a"}))
    assert seen == {"cached": "cached", "acached": "acached", "plain": ""}
    assert cached_node() == ""  # (outside any node)


def test_a_sync_node_without_a_cache_policy_is_not_named_in_a_cached_graph() -> None:
    # (its task, found up the stack in LangGraph's runner, has no cache key)
    from typing import TypedDict

    from langgraph.cache.memory import InMemoryCache
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import CachePolicy

    from pytest_clearstone.golden.graph_cache import cached_node

    class S(TypedDict, total=False):
        x: str
        y: str

    seen: dict[str, str] = {}

    def cached(state: S) -> S:
        seen["cached"] = cached_node()
        return {"x": "done"}

    def plain(state: S) -> S:
        seen["plain"] = cached_node()
        return {"y": "done"}

    builder = StateGraph(S)
    builder.add_node("cached", cached, cache_policy=CachePolicy())
    builder.add_node("plain", plain)
    builder.add_edge(START, "cached")
    builder.add_edge("cached", "plain")
    builder.add_edge("plain", END)
    builder.compile(cache=InMemoryCache()).invoke({"x": "a"})
    assert seen == {"cached": "cached", "plain": ""}


def test_a_call_outside_any_node_gets_no_note_while_a_cache_is_alive() -> None:
    from langgraph.cache.memory import InMemoryCache

    from pytest_clearstone.golden.graph_cache import cached_node_note

    cache = InMemoryCache()
    assert "langgraph.cache.memory.InMemoryCache" in graph_caches()
    assert cached_node_note("test_x.py::test_it") == ""
    del cache


def test_with_no_call_to_tell_by_the_hint_needs_a_cached_node_reaching_a_target_left_out() -> None:
    # (a replay that made no call at all: the calls left out are tied to a cached graph by a
    # node with a CachePolicy whose function reaches their target, or the hint is not given)
    import sys
    import textwrap
    from typing import TypedDict

    from langgraph.cache.memory import InMemoryCache
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import CachePolicy

    from pytest_clearstone.golden.targets import Target

    class S(TypedDict, total=False):
        x: str

    class Model:
        def complete(self, prompt: str) -> str:
            return prompt

    model = Model()

    def cached(state: S) -> S:
        return {"x": model.complete(state["x"])}

    builder = StateGraph(S)
    builder.add_node("cached", cached, cache_policy=CachePolicy())
    builder.add_edge(START, "cached")
    builder.add_edge("cached", END)
    graph = builder.compile(cache=InMemoryCache())
    here = sys.modules[__name__]
    method = Target("m.Model.complete", Model, "complete", Model.complete, Model.complete, "method")
    function = Target(
        f"{__name__}.graph_caches", here, "graph_caches", graph_caches, graph_caches, "function"
    )
    dedent = textwrap.dedent
    elsewhere = Target("textwrap.dedent", textwrap, "dedent", dedent, dedent, "function")
    assert "LangGraph's node cache is in use (" in graph_cache_hint(None, [method])
    assert "LangGraph's node cache is in use (" in graph_cache_hint(None, [function])
    assert graph_cache_hint(None, [elsewhere]) == ""
    del graph


def _tools() -> tuple[Any, Any]:
    """A module of its own holding a tool function, and the ``Target`` of that function (a module
    each test makes afresh: a graph an earlier test left as garbage reaches none of its)."""
    import types

    from pytest_clearstone.golden.targets import Target

    tools = types.ModuleType("tools")

    def lookup(query: str) -> str:
        return query

    tools.lookup = lookup  # type: ignore[attr-defined]
    return tools, Target("tools.lookup", tools, "lookup", lookup, lookup, "function")


def _one_node_graph(node: Any, cached: bool = True, **policy: Any) -> Any:
    from typing import TypedDict

    from langgraph.cache.memory import InMemoryCache
    from langgraph.graph import END, START, StateGraph

    class S(TypedDict, total=False):
        x: str

    builder = StateGraph(S)
    builder.add_node("node", node, **policy)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    return builder.compile(cache=InMemoryCache() if cached else None)


def test_a_node_reaches_a_target_through_its_function_its_closure_a_partial_or_a_method() -> None:
    # (a target left out by a replay that made no call: the hint is given when the function a
    # cached node runs holds the target's function or module, the node being an async function,
    # a functools.partial of a function given the one that holds it, or an object's method)
    import functools

    from langgraph.types import CachePolicy

    hint = "LangGraph's node cache is in use ("
    tools, target = _tools()
    lookup = tools.lookup

    async def by_function(state: dict[str, str]) -> dict[str, str]:
        return {"x": lookup(state["x"])}

    def by_module(state: dict[str, str]) -> dict[str, str]:
        return {"x": tools.lookup(state["x"])}

    def step(call: Any, state: dict[str, str]) -> dict[str, str]:
        return {"x": call(state["x"])}

    def call_lookup(query: str) -> str:
        return str(lookup(query))

    class Agent:
        def step(self, state: dict[str, str]) -> dict[str, str]:
            return {"x": lookup(state["x"])}

    policy = CachePolicy()
    for node in (by_function, by_module, functools.partial(step, call_lookup), Agent().step):
        graph = _one_node_graph(node, cache_policy=policy)
        assert hint in graph_cache_hint(None, [target]), node
        del graph
    _, elsewhere = _tools()  # (a module no node reaches)
    graph = _one_node_graph(by_module, cache_policy=policy)
    assert graph_cache_hint(None, [elsewhere]) == ""
    del graph


def test_a_node_in_the_module_of_a_callable_tool_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (the node's module holds the tool, an object whose class's __call__ makes the calls: the
    # node, written in the target's module, reaches it though it holds neither the function nor
    # its owner)
    import sys
    import types

    from langgraph.types import CachePolicy

    from pytest_clearstone.golden.targets import resolve

    module = types.ModuleType("weather_tools")
    exec(
        "class Weather:\n"
        "    def __call__(self, city):\n"
        "        return f'sunny in {city}'\n"
        "weather = Weather()\n"
        "def forecast(state):\n"
        "    return {'x': weather(state['x'])}\n",
        module.__dict__,
    )
    monkeypatch.setitem(sys.modules, "weather_tools", module)
    target = resolve("weather_tools.weather")
    assert target.kind == "call"
    graph = _one_node_graph(module.forecast, cache_policy=CachePolicy())
    assert "LangGraph's node cache is in use (" in graph_cache_hint(None, [target])
    del graph


def test_a_node_reaching_a_target_without_a_cache_policy_or_a_cache_gets_no_hint() -> None:
    # (a node LangGraph does not cache: no CachePolicy, its own or its graph's, or a graph
    # compiled without a cache while another graph's cache is alive; the graph's own policy, an
    # entrypoint's cache_policy, is one)
    from langgraph.cache.memory import InMemoryCache
    from langgraph.func import entrypoint
    from langgraph.types import CachePolicy

    tools, target = _tools()
    lookup = tools.lookup

    def node(state: dict[str, str]) -> dict[str, str]:
        return {"x": lookup(state["x"])}

    no_policy = _one_node_graph(node)
    assert graph_cache_hint(None, [target]) == ""
    del no_policy
    cache = InMemoryCache()  # (a cache alive, of another graph)
    without_cache = _one_node_graph(node, cached=False, cache_policy=CachePolicy())
    assert graph_cache_hint(None, [target]) == ""
    del without_cache, cache

    @entrypoint(cache=InMemoryCache(), cache_policy=CachePolicy())
    def workflow(query: str) -> str:
        return str(lookup(query))

    assert "LangGraph's node cache is in use (" in graph_cache_hint(None, [target])
    del workflow
