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
