"""The callbacks of an MCP ``ClientSession`` run as a part of the recorded call they serve.

A server may ask its client while a tool runs: sampling (the server's
``ctx.session.create_message``) calls the session's ``sampling_callback``, which asks the agent's
model; elicitation, roots and logging call theirs. The session runs them in its receive loop, a
task started when the session was opened, not in the task of the call waiting for the tool: a
model call the callback made while a recorded ``call_tool`` ran was recorded as a call of its
own, which a replay, answering ``call_tool`` without running it, never makes (every replay
failed with unused responses). While a recorded call of a session is in flight, the session's
callbacks run each of their steps as the call's own steps run: live, and inside the call, so
what they call is not recorded, as for a session opened inside a mocked function of the agent's.
Nothing here imports ``mcp``: its session is told by its method's module and name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..callables import drive
from .replayed_effects import SESSION_CALLBACKS, function_path, users_function
from .threads import patch_until_run_ends

#: one step of a live call (:meth:`~.recorder.RecordedTarget.step`, bound to the call)
Step = Callable[[Callable[[], Any]], Any]


def is_session_method(function: Callable[..., Any]) -> bool:
    """Whether ``function`` is a method of the ``mcp`` SDK's ``ClientSession``."""
    return function_path(function).startswith("mcp.client.session:ClientSession.")


class _DuringRecordedCalls:
    """A session's callback, run through the step of the recorded call in flight, if any."""

    __slots__ = ("callback", "steps")

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.callback = callback
        #: the steps of the session's recorded calls in flight, the latest last
        self.steps: list[Step] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.callback(*args, **kwargs)
        if self.steps and inspect.iscoroutine(result):
            return drive(result, self.steps[-1])
        return result


def hold_callbacks(session: Any, step: Step) -> Callable[[], None]:
    """(A recorded call of ``session`` begins.) Until the function returned is called (the call
    ended), run the callbacks of the user's that ``session`` holds through ``step``; the
    callbacks are replaced on the session until the golden run ends (the libraries' own
    defaults are left alone: the session tells the server which it was given)."""
    held: list[_DuringRecordedCalls] = []
    for attribute, _ in SESSION_CALLBACKS:
        callback = getattr(session, attribute, None)
        if not isinstance(callback, _DuringRecordedCalls):
            if callback is None or users_function(callback) is None:
                continue
            wrapper = _DuringRecordedCalls(callback)
            if not patch_until_run_ends(session, attribute, wrapper):
                continue
            callback = wrapper
        callback.steps.append(step)
        held.append(callback)

    def release() -> None:
        for callback in held:
            callback.steps.remove(step)

    return release
