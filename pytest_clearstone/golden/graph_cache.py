"""LangGraph's node cache, which answers a node before the node runs.

A graph compiled with ``cache=`` (an ``InMemoryCache``, a ``SqliteCache``) looks the input of
each node with a ``CachePolicy`` up before running it: a node the cache holds makes none of its
calls. A cache kept between runs (a ``SqliteCache`` on a file) or filled by an earlier test (a
graph compiled at import) leaves them out: a replay leaves their recorded answers unused, and a
re-record, answered by the same cache, records nothing. :func:`graph_cache_hint` says so.
Nothing here imports LangGraph: its caches are looked for among the live objects, only when
``langgraph.cache.base`` is loaded and a failure is being explained.
"""

from __future__ import annotations

import sys

from ..codec.naming import class_path


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


def graph_cache_hint() -> str:
    """What to say when mocked calls were left out while a LangGraph cache is alive (``""``:
    none is)."""
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
