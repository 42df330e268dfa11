"""The LangChain callback handlers a replayed call was given, which the replay does not call.

A mocked chat model method (``ChatOpenAI.invoke``, ``ainvoke``, ``stream``...) is answered from
the golden without LangChain's run machinery, so the handlers in its ``config["callbacks"]`` (a
``UsageMetadataCallbackHandler``, a cost tracker, the user's own ``BaseCallbackHandler``) get no
events for it: what they collect differs from the recording on every replay, and re-recording
does not change that. When a replay's outcome differs, :func:`uncalled_handlers_hint` names them
and the methods to mock to keep them called. Nothing here imports LangChain: handlers and
managers are told by their classes' paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..codec.naming import class_path, mro_paths
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


def uncalled_handlers_hint(calls: Sequence[ReplayCall]) -> str:
    """What to say about a replay whose outcome differs when ``calls``, the calls it answered
    from the golden, were given LangChain callback handlers in ``config["callbacks"]``: the
    first such call, the handlers' classes and the fix (``""``: none was)."""
    for call in calls:
        config = call.arguments.get("config")
        callbacks = config.get("callbacks") if isinstance(config, dict) else None
        names = _handler_classes(callbacks)
        if names:
            shown = ", ".join(names[:_MAX_NAMED]) + (", ..." if len(names) > _MAX_NAMED else "")
            return (
                f"Call #{call.call_number} to {call.target} was given LangChain callback "
                f"handlers ({shown}) in config['callbacks']: a replay answers it without "
                "LangChain's run machinery, so they get no events for it, and re-recording does "
                "not change that. If the difference is what they collect, mock the chat model's "
                "_generate (_agenerate for ainvoke; _stream, _astream for stream, astream, "
                "astream_events) instead, with ignore=['**.run_manager']: the handlers are "
                "called on replay too."
            )
    return ""


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
