"""What a replayed library method does to its object besides answering
(:mod:`pytest_clearstone.golden.replayed_effects`), where the integration tests cannot reach it."""

from __future__ import annotations

import warnings
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
    effect((session,), {}, answer, None)
    assert session._tool_output_schemas == {"stale": None, "add": schema, "echo": None}


def test_other_functions_have_no_effect_and_a_call_without_its_session_does_nothing() -> None:
    assert effect_of(session_module.ClientSession.get_prompt) is None
    assert effect_of(print) is None
    effect = effect_of(session_module.ClientSession.list_tools)
    assert effect is not None
    effect((), {}, types.ListToolsResult(tools=[]), None)  # (no self: nothing to keep them on)


def test_a_paginated_listing_replayed_on_a_session_of_mcp_2_keeps_every_pages_tools() -> None:
    # a listing in pages (the first page's answer gives next_cursor, the next call passes it):
    # no page is the whole listing, so none drops the tools the others listed; call_tool
    # validates a result against the schema kept for its tool
    if not hasattr(session_module.ClientSession, "_absorb_tool_listing"):  # pragma: no cover
        pytest.skip("mcp 1: no _absorb_tool_listing")
    effect = effect_of(session_module.ClientSession.list_tools)
    assert effect is not None
    anyio = pytest.importorskip("anyio")
    to_server, read_stream = anyio.create_memory_object_stream(1)
    write_stream, from_client = anyio.create_memory_object_stream(1)
    session = session_module.ClientSession(read_stream, write_stream)
    schema = {"type": "object", "properties": {"sum": {"type": "integer"}}}
    first = [types.Tool(name="add", input_schema={"type": "object"}, output_schema=schema)]
    second = [types.Tool(name="echo", input_schema={"type": "object"}, output_schema=schema)]
    page_two = {"params": types.PaginatedRequestParams(cursor="page-2")}
    listed: set[str] = set()
    for _ in range(2):  # (listed again: the first page does not forget the second's tools)
        effect((session,), {}, types.ListToolsResult(tools=first, next_cursor="page-2"), None)
        assert set(session._tool_output_schemas) == {"add", *listed}
        listed.add("echo")
        effect((session,), page_two, types.ListToolsResult(tools=second), None)
        assert session._tool_output_schemas == {"add": schema, "echo": schema}
    # a listing in one page is the whole listing: a tool it no longer lists is forgotten
    effect((session,), {}, types.ListToolsResult(tools=second), None)
    assert session._tool_output_schemas == {"echo": schema}
    for stream in (to_server, read_stream, write_stream, from_client):
        stream.close()


def test_a_listing_replayed_on_mcp_1_replaces_a_tools_schema_and_reads_no_old_field_name() -> None:
    # a tool listed again with another output schema has the new one; a tool of mcp 2 is read
    # by its own field's name only (fastmcp warns on reading the old one, outputSchema)
    pytest.importorskip("fastmcp")  # (its warning on the old name)
    effect = effect_of(session_module.ClientSession.list_tools)
    assert effect is not None
    schema = {"type": "object", "properties": {"sum": {"type": "integer"}}}
    tool = types.Tool(name="add", input_schema={"type": "object"}, output_schema=schema)
    session = SimpleNamespace(_tool_output_schemas={"add": {"type": "string"}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        effect((session,), {}, types.ListToolsResult(tools=[tool]), None)
    assert [str(w.message) for w in caught] == []
    assert session._tool_output_schemas == {"add": schema}


def test_an_answer_that_lists_no_tools_leaves_the_session_as_it_was() -> None:
    effect = effect_of(session_module.ClientSession.list_tools)
    assert effect is not None
    session = SimpleNamespace(_tool_output_schemas={"add": None})
    effect((session,), {}, SimpleNamespace(tools=None), None)
    effect((session,), {}, "not a listing", None)
    assert session._tool_output_schemas == {"add": None}


def test_a_replayed_tool_call_notes_the_users_callbacks_of_its_session_only() -> None:
    """The callbacks the user gave the session (through fastmcp's wrapper too) are noted with
    the first call made on it; the SDK's own defaults, and a wrapper holding none of the
    user's, are not."""
    from pytest_clearstone.golden.responses import ReplayCall, ReplaySession

    async def on_elicit(*args: object) -> None:
        return None

    def wrap(function: object) -> object:  # (as fastmcp's create_elicitation_callback)
        async def _elicitation_handler(*args: object) -> object:
            return function

        _elicitation_handler.__module__ = "fastmcp.client.elicitation"
        return _elicitation_handler

    session = SimpleNamespace(
        _sampling_callback=session_module._default_sampling_callback,
        _elicitation_callback=wrap(on_elicit),
        _logging_callback=wrap(session_module._default_logging_callback),
        _message_handler=None,
    )
    effect = effect_of(session_module.ClientSession.call_tool)
    assert effect is not None
    replay = ReplaySession()
    effect((session,), {}, None, replay)  # (no call answered yet: nothing to name)
    assert replay.session_callbacks is None
    first, second = (ReplayCall("mcp.ClientSession.call_tool", n, {}, None) for n in (1, 2))
    for call in (first, second):
        replay.calls.append(call)
        effect((session,), {}, None, replay)
    assert replay.session_callbacks == {"elicitation_callback": (on_elicit, first)}


def test_a_callback_wrapping_several_functions_of_the_users_names_none_of_them() -> None:
    """A wrapper the MCP libraries made holding more than one function is not told apart: no
    callback of its is named (rather than a guess at which one the server calls)."""
    from pytest_clearstone.golden.responses import ReplayCall, ReplaySession

    def on_sample(*args: object) -> None:
        return None

    def on_error(*args: object) -> None:
        return None

    def wrap(function: object, fallback: object) -> object:
        async def _sampling_handler(*args: object) -> object:
            return function, fallback

        _sampling_handler.__module__ = "fastmcp.client.sampling"
        return _sampling_handler

    session = SimpleNamespace(_sampling_callback=wrap(on_sample, on_error))
    effect = effect_of(session_module.ClientSession.call_tool)
    assert effect is not None
    replay = ReplaySession()
    replay.calls.append(ReplayCall("mcp.ClientSession.call_tool", 1, {}, None))
    effect((session,), {}, None, replay)
    assert replay.session_callbacks is None


def test_only_the_listing_run_out_after_a_replayed_tool_call_is_told_why() -> None:
    """The note names the last ``call_tool`` answered, for ``list_tools`` only, and only once a
    ``call_tool`` was answered."""
    from pytest_clearstone.golden.replayed_effects import unlisted_tools_note
    from pytest_clearstone.golden.responses import ReplayCall

    listing = ReplayCall("mcp.ClientSession.list_tools", 1, {}, None)
    tools = [ReplayCall("mcp.ClientSession.call_tool", n, {}, None) for n in (1, 2)]
    list_tools = session_module.ClientSession.list_tools
    note = unlisted_tools_note(list_tools, [*tools, listing], "test_x.py::test_it")
    assert note is not None
    assert note.startswith("When recorded, the live call #2 to mcp.ClientSession.call_tool ")
    assert note.endswith(
        ": re-record with: pytest --clearstone-record test_x.py::test_it (or list the tools "
        "once before calling one: await client.list_tools())"
    )
    assert unlisted_tools_note(list_tools, [listing]) is None
    assert unlisted_tools_note(session_module.ClientSession.get_prompt, tools) is None


def test_a_callback_the_mcp_libraries_wrapped_twice_names_the_users_function() -> None:
    """(``mcp.Client``'s message handler around fastmcp's wrapper around the user's.)"""
    from pytest_clearstone.golden.responses import ReplayCall, ReplaySession

    def on_message(*args: object) -> None:
        return None

    def wrap(function: object, module: str) -> object:
        async def handler(*args: object) -> object:
            return function

        handler.__module__ = module
        return handler

    twice = wrap(wrap(on_message, "fastmcp.client.messages"), "mcp.client.client")
    session = SimpleNamespace(_message_handler=twice)
    effect = effect_of(session_module.ClientSession.call_tool)
    assert effect is not None
    replay = ReplaySession()
    call = ReplayCall("mcp.ClientSession.call_tool", 1, {}, None)
    replay.calls.append(call)
    effect((session,), {}, None, replay)
    assert replay.session_callbacks == {"message_handler": (on_message, call)}
