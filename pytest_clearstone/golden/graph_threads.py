"""LangGraph threads kept by a checkpointer that outlives the test.

A graph compiled at import with a checkpointer (LangGraph's quickstart: ``memory =
InMemorySaver()``, ``graph = builder.compile(checkpointer=memory)``) keeps every thread for the
whole process: a test that invokes it on a ``thread_id`` another test also uses continues that
test's thread, so what its nodes are given depends on which tests ran before it. Recorded with
the whole file, replayed alone (``-k``, another xdist worker) — or the other way round — the
node's input differs though nothing changed, and re-recording only moves the failure to the
other selection. The same holds for a checkpointer a fixture of a wider scope than the test's
makes (``@pytest.fixture(scope="module")``). :func:`shared_thread_cause` says so when a call made
in such a node diverges or comes out of its recorded place, or is one more than recorded;
:func:`left_thread_cause` when recorded calls are left unused. Nothing here imports LangGraph:
the node's checkpointer is read from the config of the run the call is made in, and looked for
among the modules' names and the fixtures' values, only when a failure is explained.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

from ..codec.naming import class_path
from .callback_handlers import InContext, run_metadata, runnable_config

#: the module of LangGraph's checkpointers' base class (loaded with any checkpointer)
_CHECKPOINT_MODULE = "langgraph.checkpoint.base"
#: where LangGraph keeps the checkpointer of the graph a node runs in, in its config
_CHECKPOINTER_KEY = "__pregel_checkpointer"
#: LangGraph's compiled graph class, whose ``checkpointer`` a module may hold
_PREGEL_MODULE = "langgraph.pregel.main"
#: the keys LangGraph puts in the metadata of the run each node runs in: the node's name, and
#: the thread's id (from the run's ``configurable``)
_NODE_KEY = "langgraph_node"
_THREAD_KEY = "thread_id"


def shared_thread_cause() -> str:
    """When the code calling this runs in a LangGraph node whose graph's checkpointer outlives
    the test (:func:`_made_by`: made at import, or by a fixture of a wider scope than the
    test's), that the node's thread outlives the test, and the fix; ``""`` otherwise."""
    base = _checkpointer_class()
    config = runnable_config()
    if base is None or config is None:
        return ""
    configurable = config.get("configurable")
    if not isinstance(configurable, dict):
        return ""
    saver = configurable.get(_CHECKPOINTER_KEY)
    if not isinstance(saver, base):
        return ""
    made = _made_by(saver)
    if not made:
        return ""
    metadata = config.get("metadata")
    node = metadata.get(_NODE_KEY) if isinstance(metadata, dict) else None
    return _cause(node, configurable.get(_THREAD_KEY), made, "This call ran")


def left_thread_cause(ran: Iterable[InContext | None]) -> str:
    """After a run that left recorded calls unused (no node runs any more): the same as
    :func:`shared_thread_cause`, told by the first call of ``ran`` (the LangChain callbacks
    in force where each of the run's calls was made) made in a LangGraph node, of a compiled
    graph that outlives the test with a checkpointer (held as :func:`_made_by` finds it) and a
    node of that name; ``""`` otherwise."""
    base = _checkpointer_class()
    pregel = getattr(sys.modules.get(_PREGEL_MODULE), "Pregel", None)
    if base is None or not isinstance(pregel, type):
        return ""
    for in_context in ran:
        metadata = run_metadata(in_context)
        node = metadata.get(_NODE_KEY)
        if isinstance(node, str):
            for _, value in _held():
                if not isinstance(value, pregel):  # (the attributes of a graph only are read)
                    continue
                saver, nodes = getattr(value, "checkpointer", None), getattr(value, "nodes", ())
                if isinstance(saver, base) and isinstance(nodes, dict) and node in nodes:
                    made = _made_by(saver)
                    if made:
                        thread = metadata.get(_THREAD_KEY)
                        return _cause(node, thread, made, "The replay's calls ran")
            return ""
    return ""


def _cause(node: object, thread: object, made: str, ran: str) -> str:
    in_node = f"LangGraph node {node!r}" if isinstance(node, str) else "a LangGraph node"
    return (
        f"{ran} in {in_node} on thread {thread!r} of a checkpointer {made}: it outlives the "
        "test, so the thread holds what the tests that used it before this one left there, "
        "and the node's input depends on which tests ran before it in the process, when "
        "recorded and now (this test alone, another order, another xdist worker); "
        "re-recording does not fix that. Give each test its own checkpointer (compile the "
        "graph in the test, the agent or a function-scoped fixture) or its own thread_id."
    )


def _checkpointer_class() -> type | None:
    """LangGraph's checkpointers' base class (``None``: LangGraph is not loaded)."""
    base = getattr(sys.modules.get(_CHECKPOINT_MODULE), "BaseCheckpointSaver", None)
    return base if isinstance(base, type) else None


def _made_by(saver: object) -> str:
    """Where ``saver`` comes from, when it outlives the test: ``made at import (app.memory, a
    K)`` for a module's global holding it, or a compiled LangGraph graph there holding it
    (``app.graph's checkpointer``); else ``made by fixture 'graph' of module scope (a K)`` for
    the value of a fixture of a wider scope than a test's that is it, holds it as a compiled
    graph does, or holds either in an attribute (an agent keeping the graph); ``""``: none."""
    kind = class_path(type(saver)).replace(":", ".")
    through = ""
    for where, value in _module_globals():
        if value is saver:
            return f"made at import ({where}, a {kind})"
        if not through and _holds_as_graph(value, saver):
            through = f"{where}'s checkpointer"
    if through:
        return f"made at import ({through}, a {kind})"
    for where, value in _wider_fixture_values():
        attributes = getattr(value, "__dict__", None)
        held = list(attributes.values()) if isinstance(attributes, dict) else []
        if any(v is saver or _holds_as_graph(v, saver) for v in [value, *held]):
            return f"made by {where} (a {kind})"
    return ""


def _holds_as_graph(value: object, saver: object) -> bool:
    """Whether ``value`` is a compiled LangGraph graph whose checkpointer is ``saver``."""
    pregel = getattr(sys.modules.get(_PREGEL_MODULE), "Pregel", None)
    return (
        isinstance(pregel, type)
        and isinstance(value, pregel)
        and getattr(value, "checkpointer", None) is saver
    )


def _held() -> Iterator[tuple[str, Any]]:
    """The values that outlive a test: each module's globals (:func:`_module_globals`), then
    the values of the fixtures of a wider scope than a test's that are set up now, and their
    attributes, with where they are held."""
    yield from _module_globals()
    for where, value in _wider_fixture_values():
        yield where, value
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict) and not isinstance(value, type):
            for name, held in list(attributes.items()):
                yield f"{where}.{name}", held


def _module_globals() -> Iterator[tuple[str, Any]]:
    """Each module's globals, with its dotted name (``app.memory``)."""
    for module_name, module in list(sys.modules.items()):
        names = getattr(module, "__dict__", None)
        if isinstance(names, dict):
            for name, value in list(names.items()):
                yield f"{module_name}.{name}", value


def _wider_fixture_values() -> list[tuple[str, Any]]:
    """``(fixture 'name' of module scope, value)`` for each pytest fixture of a wider scope
    than a test's whose value is set up now (none outside pytest). (A walk over every live
    object: only when a failure is explained.)"""
    fixture_def = getattr(sys.modules.get("pytest"), "FixtureDef", None) or getattr(
        sys.modules.get("_pytest.fixtures"), "FixtureDef", None
    )
    if not isinstance(fixture_def, type):
        return []
    import gc

    found = []
    for definition in gc.get_objects():
        if not isinstance(definition, fixture_def):
            continue
        scope = getattr(definition, "scope", "function")
        result = getattr(definition, "cached_result", None)
        if scope != "function" and isinstance(result, tuple) and result and result[0] is not None:
            name = getattr(definition, "argname", "?")
            found.append((f"fixture {name!r} of {scope} scope", result[0]))
    return found
