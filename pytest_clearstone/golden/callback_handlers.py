"""The LangChain callback handlers a replayed call was given, which the replay does not call.

A mocked chat model method (``ChatOpenAI.invoke``, ``ainvoke``, ``stream``...) is answered from
the golden without LangChain's run machinery, so the handlers in its ``config["callbacks"]`` (a
``UsageMetadataCallbackHandler``, a cost tracker, the user's own ``BaseCallbackHandler``) get no
events for it: what they collect differs from the recording on every replay, and re-recording
does not change that. So do the handlers given to the model itself (its ``callbacks`` field,
``ChatOpenAI(callbacks=[...])``: found in its recorded settings), those of the run a model
called with no config is called in (LangChain's ``var_child_runnable_config``:
``astream_events``' handler around a ``RunnableLambda``, LangGraph's message stream around a
node), and those LangChain's context managers set for the runs started in their block
(``get_usage_metadata_callback()``, ``collect_runs()``, langchain community's
``get_openai_callback()``), kept in context variables LangChain registers
(``langchain_core.tracers.context``'s configure hooks): the last two are noted with each
replayed call (:func:`context_handlers`: a look at a few variables). When a replay's outcome
differs, or the test fails on what they collect (its own assertion on ``astream_events``' events),
:func:`uncalled_handlers_hint` names them and the methods to mock to keep them called.
Nothing here imports LangChain: handlers and managers are told by their classes' paths.

Any other function a replayed call was given as an argument (mcp's ``call_tool(...,
progress_callback=...)``) is not called either: :func:`uncalled_functions_hint` names it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import partial
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..codec.naming import class_path, mro_paths

if TYPE_CHECKING:
    from .responses import ReplayCall

#: what LangChain's callback handlers and managers derive from
_HANDLER = "langchain_core.callbacks.base:BaseCallbackHandler"
_MANAGER = "langchain_core.callbacks.base:BaseCallbackManager"
#: LangChain's handlers that collect nothing an agent keeps: those acting on the root run only
#: (``with_listeners``, ``RunnableWithMessageHistory``: the root run is the caller's, which a
#: replay runs), the LangSmith tracer and the printing ones
_NOT_NAMED = (
    "langchain_core.tracers.root_listeners:",
    "langchain_core.tracers.langchain:",
    "langchain_core.tracers.stdout:",
    "langchain_core.callbacks.stdout:",
    "langchain_core.callbacks.streaming_stdout:",
)
#: the most handler classes named
_MAX_NAMED = 3
#: LangChain's core package, which both modules below belong to: while it is not imported, no
#: handler of its is in force
LANGCHAIN = "langchain_core"
#: the module holding LangChain's configure hooks: ``(context variable, inheritable, handler
#: class, environment variable)`` each
_HOOKS_MODULE = "langchain_core.tracers.context"
#: the module holding the config of the run the code runs in (``var_child_runnable_config``)
_CONFIG_MODULE = "langchain_core.runnables.config"


class InContext(NamedTuple):
    """The LangChain callbacks in force where a call was made, beside its arguments."""

    #: the callbacks of the run the call is made in (a callback manager, or a list), which a
    #: model called with no config takes: ``astream_events``' handler in a ``RunnableLambda``,
    #: LangGraph's message stream in a node
    inherited: Any
    #: the values of LangChain's configure hooks' context variables that are set (the handlers
    #: its context managers put in force: ``get_usage_metadata_callback()``...)
    hooked: tuple[Any, ...]


def runnable_config() -> dict[str, Any] | None:
    """The config of the LangChain run the code runs in (a LangGraph node's, with its
    ``configurable``), or ``None``: none, or LangChain is not imported."""
    module = sys.modules.get(_CONFIG_MODULE)
    variable = getattr(module, "var_child_runnable_config", None) if module is not None else None
    config = variable.get() if variable is not None else None
    return config if isinstance(config, dict) else None


def run_metadata(in_context: InContext | None) -> dict[str, Any]:
    """The metadata of the run a call was made in, by the callback manager of ``in_context``
    (the callbacks noted with it: LangGraph's node and thread in a node), ``{}``: none."""
    inherited = in_context.inherited if in_context is not None else None
    metadata = getattr(inherited, "metadata", None)
    return metadata if isinstance(metadata, dict) else {}


def context_handlers() -> InContext | None:
    """The LangChain callbacks in force here (:class:`InContext`), or ``None``: none is, or
    LangChain is not imported."""
    config = runnable_config()
    inherited = config.get("callbacks") if config is not None else None
    module = sys.modules.get(_HOOKS_MODULE)
    hooks = getattr(module, "_configure_hooks", None) if module is not None else None
    hooked: tuple[Any, ...] = ()
    if hooks:
        try:
            hooked = tuple(value for hook in hooks if (value := hook[0].get()) is not None)
        except (TypeError, IndexError, AttributeError):  # (another shape: a LangChain of its own)
            hooked = ()
    if inherited is None and not hooked:
        return None
    return InContext(inherited, hooked)


def uncalled_handlers_hint(
    calls: Sequence[ReplayCall], contexts: Sequence[InContext | None] = ()
) -> str:
    """What to say about a replay whose outcome differs when ``calls``, the calls it answered
    from the golden, were given LangChain callback handlers in ``config["callbacks"]`` or in
    their model's ``callbacks``, or ran with handlers of the run they were made in or that a
    LangChain context manager set (``contexts``: those in force where each call was made, in
    the order of ``calls``): the first such call, the handlers' classes and the fix (``""``:
    none was)."""
    for place, call in enumerate(calls):
        config = call.arguments.get("config")
        callbacks = config.get("callbacks") if isinstance(config, dict) else None
        names = _handler_classes(callbacks)
        given = "was given LangChain callback handlers ({}) in config['callbacks']"
        if not names and call.target.rpartition(".")[2].startswith("_"):
            # (``_generate``...: called by the run machinery, which a replay runs: the handlers
            # of the model and the context get their events)
            continue
        settings = call.arguments.get("self")  # (a model's settings, by field)
        if not names and isinstance(settings, dict):  # ``ChatOpenAI(callbacks=[...])``
            names = _handler_classes(settings.get("callbacks"))
            given = "was given LangChain callback handlers ({}) in its model's callbacks"
        in_context = contexts[place] if place < len(contexts) else None
        if not names and in_context is not None:
            names = _handler_classes(in_context.inherited)
            given = (
                "ran with LangChain callback handlers ({}) of the run it was called in "
                "(astream_events, a graph's stream_mode='messages', ...)"
            )
        if not names and in_context is not None:
            names = _handler_classes(list(in_context.hooked))
            given = (
                "ran with LangChain callback handlers ({}) set by a context manager "
                "(get_usage_metadata_callback(), ...)"
            )
        if names:
            shown = ", ".join(names[:_MAX_NAMED]) + (", ..." if len(names) > _MAX_NAMED else "")
            return (
                f"Call #{call.call_number} to {call.target} {given.format(shown)}: a replay "
                "answers it without LangChain's run machinery, so they get no events for it, and "
                "re-recording does "
                "not change that. If the difference is what they collect, mock the chat model's "
                "_generate (_agenerate for ainvoke; _stream, _astream for stream, astream, "
                "astream_events) instead, with ignore=['**.run_manager']: the handlers are "
                "called on replay too."
            )
    return ""


#: what an argument holding a function the call calls back is (a ``progress_callback``, an
#: ``on_event``): a class, which a call may be given to build its answer, is none of these
_FUNCTIONS = (FunctionType, MethodType, partial)


#: what follows the naming of a function a replayed call would have called
_NOT_CALLED = (
    "a replay answers the call without running it, so the function is not called, and "
    "re-recording does not change that. If the difference is what the function does, mock a "
    "function of your own that makes the call and returns what the function collects beside "
    "the answer, for the agent to keep; or leave that part of the state out with the marker's "
    "ignore_state."
)


def _shown(value: Any) -> str:
    """``module.QualName`` of a function (a partial's, a bound method's)."""
    function = value.func if isinstance(value, partial) else value
    function = getattr(function, "__func__", function)  # (a bound method's function)
    module = getattr(function, "__module__", None) or "?"
    return f"{module}.{getattr(function, '__qualname__', type(function).__name__)}"


def uncalled_functions_hint(calls: Sequence[ReplayCall]) -> str:
    """What to say about a replay whose outcome differs when one of ``calls``, the calls it
    answered from the golden, was given a function as an argument (mcp's ``call_tool(...,
    progress_callback=...)``), which the call made live may call and a replay does not: the
    first such call, the argument and the fix (``""``: none was)."""
    for call in calls:
        for name, value in call.arguments.items():
            if name == "self" or not isinstance(value, _FUNCTIONS):
                continue
            return (
                f"Call #{call.call_number} to {call.target} was given a function, {name} "
                f"({_shown(value)}): {_NOT_CALLED}"
            )
    return ""


def session_callbacks_hint(noted: dict[str, tuple[Any, ReplayCall]] | None) -> str:
    """What to say about a replay whose outcome differs when a replayed ``mcp`` tool call was
    made on a session holding a callback of the user's (``noted``: by the argument that gave
    it, the function and the call; see :mod:`.replayed_effects`), which the server may call
    while a live call runs (a sampling request) and a replay does not (``""``: none was)."""
    for argument, (function, call) in (noted or {}).items():
        return (
            f"Call #{call.call_number} to {call.target} was made on a session given a "
            f"{argument} ({_shown(function)}), which the server may call while a live call "
            f"runs: {_NOT_CALLED}"
        )
    return ""


def uncalled_callbacks_hint(
    calls: Sequence[ReplayCall],
    noted: dict[str, tuple[Any, ReplayCall]] | None = None,
    contexts: Sequence[InContext | None] = (),
) -> str:
    """What to say about a replay that failed, or whose outcome differs, when ``calls`` (the
    calls it answered from the golden) were given callbacks the replay does not call: LangChain
    callback handlers (:func:`uncalled_handlers_hint`, with the ``contexts`` of the calls),
    else a function (:func:`uncalled_functions_hint`), else one the session of a replayed
    ``mcp`` tool call holds (``noted``: :func:`session_callbacks_hint`); ``""``: none was."""
    return (
        uncalled_handlers_hint(calls, contexts)
        or uncalled_functions_hint(calls)
        or session_callbacks_hint(noted)
    )


def _handler_classes(callbacks: Any) -> list[str]:
    """The class paths of the handlers in ``callbacks`` (a list of handlers, or a callback
    manager), once each, but for LangChain's that collect nothing (:data:`_NOT_NAMED`)."""
    if callbacks is None:
        return []
    if isinstance(callbacks, list):
        handlers: list[Any] = callbacks
    elif _MANAGER in mro_paths(type(callbacks)):
        handlers = list(getattr(callbacks, "handlers", None) or [])
    else:
        return []
    names: list[str] = []
    for handler in handlers:
        path = class_path(type(handler))
        name = path.replace(":", ".")
        if (
            _HANDLER in mro_paths(type(handler))
            and not path.startswith(_NOT_NAMED)
            and name not in names
        ):
            names.append(name)
    return names
