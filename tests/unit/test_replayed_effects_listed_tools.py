"""The output schemas a recorded ``ClientSession.call_tool`` listed inside itself
(:data:`~pytest_clearstone.golden.replayed_effects.LISTED_TOOLS_ATTRIBUTE`): which call is
found unlisted when recorded, what is kept of the listing, and what its replay gives back."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_clearstone.golden.replayed_effects import effect_of, listed_schemas, unlisted_tool
from pytest_clearstone.golden.responses import RecordedCall

session_module = pytest.importorskip("mcp.client.session")

ADD = {"type": "object", "properties": {"sum": {"type": "integer"}}}
ECHO = {"type": "object", "properties": {"text": {"type": "string"}}}


def test_a_tool_named_by_position_or_by_keyword_is_found_unlisted() -> None:
    # (the SDK's own users call session.call_tool("add", {...}); fastmcp passes name=)
    session = SimpleNamespace(_tool_output_schemas={"echo": ECHO})
    assert unlisted_tool((session, "add", {"a": 1}), {}) == (session, "add")
    assert unlisted_tool((session,), {"name": "add"}) == (session, "add")
    assert unlisted_tool((session, "echo"), {}) is None  # (its schema held: no listing inside)
    assert unlisted_tool((SimpleNamespace(), "add"), {}) is None  # (not a session)


def test_a_call_whose_tool_the_listing_did_not_list_keeps_nothing() -> None:
    # (the server lists no such tool: the schemas the session holds of other tools are not
    # what this call listed)
    session = SimpleNamespace(_tool_output_schemas={"echo": ECHO})
    assert listed_schemas(session, "add") is None
    session._tool_output_schemas["add"] = ADD
    kept = listed_schemas(session, "add")
    assert kept == {"echo": ECHO, "add": ADD}
    assert kept is not session._tool_output_schemas  # (a copy: the session goes on changing it)


def test_a_replayed_call_gives_back_only_the_schemas_its_session_does_not_hold() -> None:
    # (a schema the session holds may have a compiled validator, made for it: left as it is)
    effect = effect_of(session_module.ClientSession.call_tool)
    assert effect is not None
    held = {"type": "object"}
    session = SimpleNamespace(_tool_output_schemas={"add": held})
    recorded = RecordedCall()
    recorded.listed_tools = {"add": ADD, "echo": ECHO}
    effect((session, "echo"), {}, None, None, recorded)
    assert session._tool_output_schemas == {"add": held, "echo": ECHO}
    assert session._tool_output_schemas["add"] is held
