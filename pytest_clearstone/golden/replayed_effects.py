"""What a few library methods do to their own object besides answering, which a replay that
answers them from the golden does not run, done again with the recorded answer.

The ``mcp`` SDK's ``ClientSession.list_tools`` keeps each listed tool's output schema on the
session (and, on mcp 2, the tool's ``x-mcp-header`` map); ``call_tool`` checks a result against
that schema, and so does fastmcp's client (under pydantic-ai's ``MCPToolset``), each listing the
tools again when the session holds none for the tool. A replayed listing that left the session
empty made that second ``list_tools`` call, which the recording does not have: every replay of
such an agent failed with ``ReplayExhaustedError``. The live ``call_tool`` lists the tools
inside itself when the session holds none for the tool, a listing no recording holds: when the
client then lists them after a replayed ``call_tool`` (fastmcp's), the error says so
(:func:`unlisted_tools_note`). A recording now keeps the output schemas that inner listing left
on the session with the call (:data:`LISTED_TOOLS_ATTRIBUTE`), and the replayed ``call_tool``
gives them back to the session. Nothing here imports ``mcp``: its method is told by its
function's module and name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import rerecord

if TYPE_CHECKING:
    from .responses import RecordedCall, ReplayCall, ReplaySession


class Effect(Protocol):
    """``effect(args, kwargs, answer, replay, recorded)``: done with a replayed call's
    positional arguments (``self`` first, for a method), its keyword arguments, the recorded
    answer it returns, the replay answering it (``None``: not known), whose last call it is,
    and the recorded call answering it (``None``: not known)."""

    def __call__(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        answer: Any,
        replay: ReplaySession | None,
        recorded: RecordedCall | None = None,
    ) -> None: ...


#: the span attribute of a recorded ``ClientSession.call_tool`` that listed the tools inside
#: itself (the session held no output schema for the tool): the output schemas that listing
#: left on the session, by tool name, which the replayed call gives back to the session
LISTED_TOOLS_ATTRIBUTE = "clearstone.listed_tools"


def _absorb_tool_listing(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    answer: Any,
    replay: ReplaySession | None,
    recorded: RecordedCall | None = None,
) -> None:
    """Keep the tools of a replayed ``ClientSession.list_tools`` answer on the session, as the
    method does: mcp 2.3's own ``_absorb_tool_listing``, or (earlier releases) each tool's output
    schema in ``_tool_output_schemas``."""
    session = args[0] if args else None
    tools = getattr(answer, "tools", None)
    if session is None or not isinstance(tools, list):
        return
    absorb = getattr(session, "_absorb_tool_listing", None)
    if callable(absorb):
        cursor = getattr(kwargs.get("params"), "cursor", None)  # (keyword-only on mcp 2)
        absorb(answer, complete=cursor is None and getattr(answer, "next_cursor", None) is None)
        return
    schemas = _output_schemas(session)
    if schemas is not None:
        for tool in tools:
            name = getattr(tool, "name", None)
            if isinstance(name, str):  # (mcp 1's field is outputSchema; read one name only:
                # fastmcp warns on reading the old name of a tool of mcp 2)
                field = "output_schema" if hasattr(tool, "output_schema") else "outputSchema"
                schemas[name] = getattr(tool, field, None)


#: the callbacks a ``ClientSession`` holds, which its server may call while a live call runs
#: (sampling, elicitation...): ``(attribute, the argument of Client and ClientSession)``
SESSION_CALLBACKS = (
    ("_sampling_callback", "sampling_callback"),
    ("_elicitation_callback", "elicitation_callback"),
    ("_list_roots_callback", "list_roots_callback"),
    ("_logging_callback", "logging_callback"),
    ("_message_handler", "message_handler"),
)
#: the packages whose functions are their own defaults or wrappers of the user's callbacks
_MCP_PACKAGES = ("mcp", "fastmcp")


def users_function(function: Any) -> Any:
    """The user's function a session callback is: ``function`` itself, or, for a wrapper the
    MCP libraries made around it (fastmcp's ``create_sampling_callback``, ``mcp.Client``'s
    message handler), the function in its closure; ``None`` for the libraries' own defaults."""
    for _ in range(3):  # (a wrapper of a wrapper, at most)
        inner = getattr(function, "__func__", function)  # (a bound method's function)
        module = getattr(inner, "__module__", None) or ""
        if module.partition(".")[0] not in _MCP_PACKAGES:
            return function
        cells = getattr(inner, "__closure__", None) or ()
        held = [cell.cell_contents for cell in cells if callable(_contents(cell))]
        if len(held) != 1:
            return None
        function = held[0]
    return None


def _contents(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # (an empty cell)
        return None


def _note_session_callbacks(
    args: tuple[Any, ...], kwargs: dict[str, Any], answer: Any, replay: ReplaySession | None
) -> None:
    """Note on ``replay`` the callbacks of the user's the session of a replayed
    ``ClientSession.call_tool`` holds: the server may call them while the live call runs (a
    sampling request), which a replay does not run; named when the outcome differs."""
    session = args[0] if args else None
    if session is None or replay is None or not replay.calls:
        return
    for attribute, argument in SESSION_CALLBACKS:
        function = users_function(getattr(session, attribute, None))
        if function is None:
            continue
        noted = replay.session_callbacks = replay.session_callbacks or {}
        noted.setdefault(argument, (function, replay.calls[-1]))


def _output_schemas(session: Any) -> dict[str, Any] | None:
    """The output schemas an MCP ``ClientSession`` holds, by tool name (``None``: none, or not
    such a session)."""
    schemas = getattr(session, "_tool_output_schemas", None)
    return schemas if isinstance(schemas, dict) else None


def unlisted_tool(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, str] | None:
    """(A ``ClientSession.call_tool`` recorded, called with ``args``, ``kwargs``.) The session
    and the tool's name when the session holds no output schema for the tool: the live call
    lists the tools inside itself (:func:`listed_schemas` reads what it left); else ``None``."""
    session = args[0] if args else None
    name = args[1] if len(args) > 1 else kwargs.get("name")
    schemas = _output_schemas(session)
    if schemas is not None and isinstance(name, str) and name not in schemas:
        return session, name
    return None


def listed_schemas(session: Any, name: str) -> dict[str, Any] | None:
    """(A recorded ``call_tool`` of ``session`` for the tool ``name`` ended, which
    :func:`unlisted_tool` found unlisted.) The output schemas the listing it made inside itself
    left on the session, by tool name (a copy: kept as :data:`LISTED_TOOLS_ATTRIBUTE`), or
    ``None`` when it made none (the server lists no such tool)."""
    schemas = _output_schemas(session)  # (mcp 2 replaces the dict: read after the call)
    if schemas is not None and name in schemas:
        return dict(schemas)
    return None


def _after_call_tool(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    answer: Any,
    replay: ReplaySession | None,
    recorded: RecordedCall | None = None,
) -> None:
    """A replayed ``ClientSession.call_tool``: its session's callbacks noted
    (:func:`_note_session_callbacks`), and, when the live call listed the tools inside itself,
    the output schemas that listing left given back to the session (those it holds none for):
    the client reads them after the call (fastmcp's ``Client.call_tool``), which would list the
    tools again, a call no golden holds. A golden recorded before keeps none: as it was."""
    _note_session_callbacks(args, kwargs, answer, replay)
    listed = None if recorded is None else recorded.listed_tools
    if not isinstance(listed, dict):
        return
    schemas = _output_schemas(args[0] if args else None)
    if schemas is not None:
        for name, schema in listed.items():
            if name not in schemas:  # (one it holds may have a compiled validator: left)
                schemas[name] = schema


#: the functions of the ``mcp`` SDK's ``ClientSession.list_tools`` and ``.call_tool``
_LIST_TOOLS = "mcp.client.session:ClientSession.list_tools"
CALL_TOOL = "mcp.client.session:ClientSession.call_tool"

#: the function of each method with an effect (``module:qualified name``), and the effect
_EFFECTS: dict[str, Effect] = {
    _LIST_TOOLS: _absorb_tool_listing,
    CALL_TOOL: _after_call_tool,
}


def function_path(function: Callable[..., Any]) -> str:
    """``module:qualified name`` of ``function`` (``""``: it has neither)."""
    module = getattr(function, "__module__", None)
    name = getattr(function, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str):
        return ""
    return f"{module}:{name}"


def unlisted_tools_note(
    function: Callable[..., Any], calls: Sequence[ReplayCall], node_id: str = ""
) -> str | None:
    """(A replay whose calls of ``function`` ran out.) When ``function`` is the ``mcp`` SDK's
    ``ClientSession.list_tools`` and ``calls``, the calls the replay answered, have a
    ``ClientSession.call_tool``: why the recording holds too few listings, and the fix. The live
    ``call_tool`` lists the tools inside itself when the session holds no output schema for the
    tool, a call a recording leaves out (it is made inside a recorded one); a golden recorded
    before :data:`LISTED_TOOLS_ATTRIBUTE` keeps nothing of it, so the replayed one leaves the
    session without the schema, and fastmcp's ``Client.call_tool`` then lists the tools to read
    the result. ``None``: another function, or no such call."""
    if function_path(function) != _LIST_TOOLS:
        return None
    called = [call for call in calls if call.target.endswith("ClientSession.call_tool")]
    if not called:
        return None
    call = called[-1]
    return (
        f"When recorded, the live call #{call.call_number} to {call.target} listed the tools "
        "inside itself (the session held no output schema for the tool to check its result "
        "against), a call the golden leaves out: a replay answers call_tool without running "
        "it, and the client now lists the tools itself (fastmcp's Client.call_tool reads the "
        "schema). A golden recorded by this release keeps the schemas that listing left, and "
        f"its replay gives them back to the session: {rerecord(node_id)} (or list the tools "
        "once before calling one: await client.list_tools())"
    )


def effect_of(function: Callable[..., Any]) -> Effect | None:
    """The effect on its object of a call of ``function`` that a replay answers, or ``None``
    (most functions: a replay returns their answer and does nothing more)."""
    return _EFFECTS.get(function_path(function))
