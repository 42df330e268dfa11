"""LangGraph's node cache, which answers a node before the node runs.

A graph compiled with ``cache=`` (an ``InMemoryCache``, a ``SqliteCache``) looks the input of
each node with a ``CachePolicy`` up before running it: a node the cache holds makes none of its
calls. A cache kept between runs (a ``SqliteCache`` on a file) or filled by an earlier test (a
graph compiled at import) leaves them out: a replay leaves their recorded answers unused, and a
re-record, answered by the same cache, records nothing. :func:`graph_cache_hint` says so, when
the failing run went through a LangGraph graph: a call of it was made in a node, as the
LangChain callbacks noted with each replayed call tell (a cache alive in the process, a graph
some module compiled at import, is no cause of a plain agent's failure). The other way round,
a re-record the cache answered leaves the node's calls out of the golden, and a replay on an
empty cache runs the node: :func:`cached_node_note` names the cache in the error of its call
beyond the recorded ones.
Nothing here imports LangGraph: its caches are looked for among the live objects, only when
``langgraph.cache.base`` is loaded and a failure is being explained.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Sequence
from types import FunctionType
from typing import TYPE_CHECKING

from ..codec.naming import class_path
from ..errors import rerecord
from .callback_handlers import InContext, context_handlers, run_metadata

if TYPE_CHECKING:
    from .targets import Target

#: the key LangGraph puts in the metadata of the run each node runs in
_NODE_KEY = "langgraph_node"
#: LangGraph's module whose functions run a node's task (``run_with_retry``,
#: ``arun_with_retry``: their local ``task``), and the class of that task
_RUNNER = "langgraph.pregel._retry"
_TASK = "PregelExecutableTask"


def graph_caches() -> list[str]:
    """The class paths of the LangGraph caches alive now, garbage collected first (none when
    the agent loaded no LangGraph)."""
    found = sys.modules.get("langgraph.cache.base")
    base = getattr(found, "BaseCache", None)
    if not isinstance(base, type):
        return []
    import gc  # (only when a failure is explained: the walk is over every live object)

    # (collected first: a cache an earlier test left in a reference cycle, a graph compiled
    # in a module that is gone, is no cache in use)
    gc.collect()
    classes = {type(value) for value in gc.get_objects() if isinstance(value, base)}
    return sorted(class_path(cls).replace(":", ".") for cls in classes)


def ran_in_graph(in_context: InContext | None) -> bool:
    """Whether a call made with the LangChain callbacks ``in_context`` (those noted with each
    replayed call) ran in a LangGraph node: the callback manager of the run it was made in
    carries LangGraph's node metadata."""
    return bool(_node_name(in_context))


def _node_name(in_context: InContext | None) -> str:
    """The LangGraph node a call made with the LangChain callbacks ``in_context`` ran in, by the
    node metadata of its run's callback manager (``""``: none)."""
    name = run_metadata(in_context).get(_NODE_KEY)
    return name if isinstance(name, str) else ""


def graph_cache_hint(
    ran: Iterable[InContext | None] | None = None, left_out: Sequence[Target] = ()
) -> str:
    """What to say when mocked calls were left out while a LangGraph cache is alive (``""``:
    none is). ``ran``: the LangChain callbacks in force where the failing run's calls were made
    (:func:`ran_in_graph`): nothing is said unless one of them ran in a LangGraph node;
    ``None``: the run made no call to tell by (a recording that recorded none, a replay that
    made none), and then, given the targets whose recorded calls were ``left_out``, nothing is
    said unless a node with a ``CachePolicy`` reaches one of them (:func:`_cached_node_reaches`:
    a plain agent's failure beside a cached graph some module compiled at import is no
    cache's)."""
    if ran is not None:
        if not any(ran_in_graph(in_context) for in_context in ran):
            return ""
    elif left_out and not _cached_node_reaches(left_out):
        return ""
    caches = graph_caches()
    if not caches:
        return ""
    return (
        f"LangGraph's node cache is in use ({', '.join(caches)}): a node with a CachePolicy "
        "whose input the cache holds is not run, so a cache kept between runs (a SqliteCache "
        "on a file) or filled by an earlier test (a graph compiled at import) leaves the "
        "node's calls out, and re-recording does not help. Give each test an empty cache (an "
        "autouse fixture calling the compiled graph's cache.clear()), or compile the graph "
        "with a new InMemoryCache in the test."
    )


def cached_node() -> str:
    """The name of the LangGraph node with a ``CachePolicy`` that runs the code calling this, or
    ``""``: none does. Its task is found up the stack, in its runner's frame; an async node,
    run in an asyncio task of its own, by the name in its run's callbacks, among the nodes of
    the graphs compiled with a cache."""
    if _RUNNER not in sys.modules:
        return ""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == _RUNNER:
            task = frame.f_locals.get("task")
            if type(task).__name__ == _TASK:
                name = getattr(task, "name", "")
                cached = getattr(task, "cache_key", None) is not None
                return name if cached and isinstance(name, str) else ""
        frame = frame.f_back  # type: ignore[assignment]
    name = _node_name(context_handlers())
    if not name:
        return ""
    return name if any(_has_cache_policy(graph, name) for graph in _cached_graphs()) else ""


def _cached_graphs() -> list[object]:
    """The compiled LangGraph graphs alive now that were compiled with a cache."""
    found = sys.modules.get("langgraph.pregel.main")
    pregel = getattr(found, "Pregel", None)
    if not isinstance(pregel, type):
        return []
    import gc  # (only when a failure is explained)

    return [
        value
        for value in gc.get_objects()
        if isinstance(value, pregel) and getattr(value, "cache", None) is not None
    ]


def _cached_node_reaches(targets: Sequence[Target]) -> bool:
    """Whether a node with a ``CachePolicy``, of a LangGraph graph alive compiled with a cache,
    reaches one of ``targets``: its function is written in the target's module, or holds (in
    its module's names or its closure) the target's function, its owner (the module, the
    class) or, of a method, an object of that class (a chat model)."""
    for graph in _cached_graphs():
        nodes = getattr(graph, "nodes", None)
        if not isinstance(nodes, dict):
            continue
        for name, node in nodes.items():
            if _has_cache_policy(graph, name) and any(
                _reaches(function, target)
                for function in _node_functions(node)
                for target in targets
            ):
                return True
    return False


def _node_functions(node: object) -> list[FunctionType]:
    """The Python functions a LangGraph node runs (its ``RunnableCallable``'s, sync and async,
    through ``functools.partial``: LangGraph runs a sync node's async twin in an executor)."""
    bound = getattr(node, "bound", None)
    pending: list[object] = [getattr(bound, "func", None), getattr(bound, "afunc", None)]
    found: list[FunctionType] = []
    while pending:  # (partials hold no cycle: each is made of what existed before it)
        function = pending.pop()
        if isinstance(function, functools.partial):
            pending.extend((function.func, *function.args))
            continue
        function = getattr(function, "__func__", function)  # (a bound method)
        if isinstance(function, FunctionType):
            found.append(function)
    return found


def _reaches(function: FunctionType, target: Target) -> bool:
    """Whether ``function`` reaches ``target`` (:func:`_cached_node_reaches`)."""
    names = function.__globals__
    if names is getattr(target.owner, "__dict__", None):
        return True
    held = list(names.values())
    for cell in function.__closure__ or ():
        try:
            held.append(cell.cell_contents)
        except ValueError:  # (a cell not yet filled)
            continue
    owner = target.owner
    of_class = isinstance(owner, type) and target.is_method
    return any(
        value is target.function or value is owner or (of_class and isinstance(value, owner))
        for value in held
    )


def _has_cache_policy(graph: object, name: str) -> bool:
    """Whether ``graph``'s node ``name`` has a ``CachePolicy`` (its own or the graph's)."""
    nodes = getattr(graph, "nodes", None)
    node = nodes.get(name) if isinstance(nodes, dict) else None
    if node is None:
        return False
    policy = getattr(node, "cache_policy", None) or getattr(graph, "cache_policy", None)
    return policy is not None


def cached_node_note(node_id: str = "") -> str:
    """(A call beyond the recorded ones.) When the call is made in a LangGraph node with a
    ``CachePolicy`` while a LangGraph cache is alive, that the cache may have answered the
    node when the golden was recorded, leaving its calls out, and the fix (the test
    ``node_id``'s re-record on an empty cache); ``""`` otherwise."""
    node = cached_node()
    caches = graph_caches() if node else []
    if not caches:
        return ""
    return (
        f"This call is made in LangGraph node {node!r}, which has a CachePolicy, while "
        f"LangGraph's node cache is in use ({', '.join(caches)}): a cache that held the node's "
        "input when the golden was recorded (a cache kept between runs, a SqliteCache on a "
        "file, or filled by an earlier test) answered the node without running it, so its "
        "calls were not recorded; this replay's cache did not hold it, and the node ran. Give "
        "each test an empty cache (an autouse fixture calling the compiled graph's "
        f"cache.clear()) and {rerecord(node_id)}. If the cache is not what left it out, the "
        "agent now makes more calls than when it was recorded."
    )
