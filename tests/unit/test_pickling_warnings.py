"""dill's own warnings while the codec tries a pickle are not the user's to see.

Recording a call, the codec tries whether dill can pickle an argument that has no readable form
(to tell whether it warns about it). An MCP tool's argument model (``mcp`` builds one per tool
with ``pydantic.create_model`` inside a function, so it is found under no import path), held by
the ``self`` of pydantic-ai's ``MCPToolset.call_tool``, made dill warn before it failed:
``PicklingWarning: Cannot locate reference to <class '...search_collectionArguments'>`` and
``... has recursive self-references``, sixteen lines in the summary of every record run, naming
classes the agent never handed over, from a pickle that was never written.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pydantic

from pytest_clearstone.golden.ignore import recorded_form


def _tool_arguments_model() -> Any:
    # as mcp's func_metadata names it: a module it is not in
    model = pydantic.create_model("searchArguments", query=(str, ...))
    model.__module__ = "mcp.server.fastmcp.utilities.func_metadata"
    return model


class _Toolset:
    """Holds what cannot be stored readably: a lock and the tool's arguments model."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model = _tool_arguments_model()


def test_trying_a_pickle_shows_none_of_dills_warnings() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        tree = recorded_form({"toolset": _Toolset(), "name": "search"}, None)
    assert tree["name"] == "search"
    assert [str(w.message) for w in seen if w.category.__module__.startswith("dill")] == []
