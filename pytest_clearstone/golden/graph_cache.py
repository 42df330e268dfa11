"""LangGraph's node cache, which answers a node before the node runs.

A graph compiled with ``cache=`` (an ``InMemoryCache``, a ``SqliteCache``) looks the input of
each node with a ``CachePolicy`` up before running it: a node the cache holds makes none of its
calls. A cache kept between runs (a ``SqliteCache`` on a file) or filled by an earlier test (a
graph compiled at import) leaves them out: a replay leaves their recorded answers unused, and a
re-record, answered by the same cache, records nothing. :func:`graph_cache_hint` says so, when
the failing run went through a LangGraph graph: a call of it was made in a node, as the
LangChain callbacks noted with each replayed call tell (a cache alive in the process, a graph
some module compiled at import, is no cause of a plain agent's failure).
Nothing here imports LangGraph: its caches are looked for among the live objects, only when
``langgraph.cache.base`` is loaded and a failure is being explained.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..codec.naming import class_path

if TYPE_CHECKING:
    from .callback_handlers import InContext

#: the key LangGraph puts in the metadata of the run each node runs in
_NODE_KEY = "langgraph_node"


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
    inherited = in_context.inherited if in_context is not None else None
    metadata = getattr(inherited, "metadata", None)
    return isinstance(metadata, dict) and _NODE_KEY in metadata


def graph_cache_hint(ran: Iterable[InContext | None] | None = None) -> str:
    """What to say when mocked calls were left out while a LangGraph cache is alive (``""``:
    none is). ``ran``: the LangChain callbacks in force where the failing run's calls were made
    (:func:`ran_in_graph`): nothing is said unless one of them ran in a LangGraph node;
    ``None``: the run made no call to tell by (a recording that recorded none)."""
    if ran is not None and not any(ran_in_graph(in_context) for in_context in ran):
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
