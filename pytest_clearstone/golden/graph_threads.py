"""LangGraph threads kept by a checkpointer that outlives the test.

A graph compiled at import with a checkpointer (LangGraph's quickstart: ``memory =
InMemorySaver()``, ``graph = builder.compile(checkpointer=memory)``) keeps every thread for the
whole process: a test that invokes it on a ``thread_id`` another test also uses continues that
test's thread, so what its nodes are given depends on which tests ran before it. Recorded with
the whole file, replayed alone (``-k``, another xdist worker) — or the other way round — the
node's input differs though nothing changed, and re-recording only moves the failure to the
other selection. :func:`shared_thread_cause` says so when a call made in such a node diverges.
Nothing here imports LangGraph: the node's checkpointer is read from the config of the run the
call is made in, and looked for among the modules' names, only when a failure is explained.
"""

from __future__ import annotations

import sys

from ..codec.naming import class_path
from .callback_handlers import runnable_config

#: the module of LangGraph's checkpointers' base class (loaded with any checkpointer)
_CHECKPOINT_MODULE = "langgraph.checkpoint.base"
#: where LangGraph keeps the checkpointer of the graph a node runs in, in its config
_CHECKPOINTER_KEY = "__pregel_checkpointer"
#: LangGraph's compiled graph class, whose ``checkpointer`` a module may hold
_PREGEL_MODULE = "langgraph.pregel.main"


def shared_thread_cause() -> str:
    """When the code calling this runs in a LangGraph node whose graph's checkpointer was made
    at import (a module's name holds it, or a compiled graph holding it), that the node's
    thread outlives the test, and the fix; ``""`` otherwise."""
    base = getattr(sys.modules.get(_CHECKPOINT_MODULE), "BaseCheckpointSaver", None)
    config = runnable_config()
    if not isinstance(base, type) or config is None:
        return ""
    configurable = config.get("configurable")
    if not isinstance(configurable, dict):
        return ""
    saver = configurable.get(_CHECKPOINTER_KEY)
    if not isinstance(saver, base):
        return ""
    holder = _module_name_holding(saver)
    if not holder:
        return ""
    metadata = config.get("metadata")
    node = metadata.get("langgraph_node") if isinstance(metadata, dict) else None
    in_node = f"LangGraph node {node!r}" if isinstance(node, str) else "a LangGraph node"
    thread = configurable.get("thread_id")
    kind = class_path(type(saver)).replace(":", ".")
    return (
        f"This call ran in {in_node} on thread {thread!r} of a checkpointer made at import "
        f"({holder}, a {kind}): it outlives the test, so the thread holds what the tests that "
        "used it before this one left there, and the node's input depends on which tests ran "
        "before it in the process, when recorded and now (this test alone, another order, "
        "another xdist worker); re-recording does not fix that. Give each test its own "
        "checkpointer (compile the graph in the test, the agent or a function-scoped fixture) "
        "or its own thread_id."
    )


def _module_name_holding(saver: object) -> str:
    """The dotted name of a module's global holding ``saver`` (``app.memory``), or of a compiled
    LangGraph graph there holding it (``app.graph's checkpointer``); ``""``: none."""
    pregel = getattr(sys.modules.get(_PREGEL_MODULE), "Pregel", None)
    through_graph = ""
    for module_name, module in list(sys.modules.items()):
        names = getattr(module, "__dict__", None)
        if not isinstance(names, dict):
            continue
        for name, value in list(names.items()):
            if value is saver:
                return f"{module_name}.{name}"
            if (
                not through_graph
                and isinstance(pregel, type)
                and isinstance(value, pregel)
                and getattr(value, "checkpointer", None) is saver
            ):
                through_graph = f"{module_name}.{name}'s checkpointer"
    return through_graph
