"""What a replayed library method does to its object besides answering
(:mod:`pytest_clearstone.golden.replayed_effects`), where the integration tests cannot reach it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_clearstone.golden.replayed_effects import effect_of

session_module = pytest.importorskip("mcp.client.session")
types = pytest.importorskip("mcp.types")


def test_a_listing_replayed_on_a_session_of_mcp_1_keeps_each_tools_output_schema() -> None:
    # mcp 1's ClientSession has no _absorb_tool_listing: list_tools filled its
    # _tool_output_schemas dict, which call_tool reads (mcp 1 is not installed beside mcp 2: the
    # session here holds only that dict; the answer is the installed mcp's own)
    effect = effect_of(session_module.ClientSession.list_tools)
    assert effect is not None
    schema = {"type": "object", "properties": {"sum": {"type": "integer"}}}
    answer = types.ListToolsResult(
        tools=[
            types.Tool(name="add", input_schema={"type": "object"}, output_schema=schema),
            types.Tool(name="echo", input_schema={"type": "object"}),
        ]
    )
    session = SimpleNamespace(_tool_output_schemas={"stale": None})
    effect((session,), {}, answer)
    assert session._tool_output_schemas == {"stale": None, "add": schema, "echo": None}


def test_other_functions_have_no_effect_and_a_call_without_its_session_does_nothing() -> None:
    assert effect_of(session_module.ClientSession.call_tool) is None
    assert effect_of(print) is None
    effect = effect_of(session_module.ClientSession.list_tools)
    assert effect is not None
    effect((), {}, types.ListToolsResult(tools=[]))  # (no self: nothing to keep them on)
