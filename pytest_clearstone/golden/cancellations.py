"""Cancellations of live calls (an asyncio timeout or cancelled task, a trio cancel scope).

A call cut off by a cancellation is recorded with it, and its replay waits to be cancelled
again (:mod:`~pytest_clearstone.golden.responses`). Its message is whatever the canceller gave:
none for ``asyncio.timeout`` and ``wait_for``, the text of ``task.cancel(msg)``, and for anyio's
cancel scopes (``fail_after``, ``move_on_after``, a task group's) a text naming the scope by its
memory address and the task that cancelled it, which a recording keeps without them, so that a
re-record of an unchanged agent writes the same golden. trio's ``Cancelled`` names the task that
cancelled its scope by its name and memory address (``<Task 'app.stop' at 0x7f3a...>``): a
recording keeps the name only.
"""

from __future__ import annotations

import re
import sys
from typing import Any

#: anyio's message: "Cancelled via cancel scope {id:x}[ by {task!r}][; reason: {reason}]" (a
#: pattern compiled when first used: a cancelled call is rare)
_ANYIO_SCOPE = r"(Cancelled via cancel scope) [0-9a-f]+(?: by .*?)?(?=; reason: |$)"

#: seconds a call cancelled from outside when recorded waits on replay, beyond the time the
#: recording took to cancel it, to be cancelled again
CANCEL_GRACE = 1.0

#: the memory address in the repr of a trio task: "<Task 'app.stop' at 0x7f3a9c1d2e40>"
_TRIO_TASK_ADDRESS = r" at 0x[0-9a-fA-F]+>$"


def is_cancellation(exc: BaseException) -> bool:
    """Whether ``exc`` is asyncio's cancellation (the agent's timeout, or its task cancelled)."""
    asyncio = sys.modules.get("asyncio")  # (not loaded: no asyncio task was cancelled)
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)


def is_trio_cancelled(error: dict[str, Any]) -> bool:
    """Whether the exception record ``error`` is trio's ``Cancelled`` (a cancel scope's:
    ``move_on_after``, ``fail_after``, anyio's on the trio backend)."""
    return error.get("type") == "Cancelled" and _package(error) == "trio"


def is_cancelled(error: dict[str, Any]) -> bool:
    """Whether the exception record ``error`` is of a call cancelled from outside: asyncio's
    ``CancelledError`` (not concurrent.futures': a future given up on), or trio's ``Cancelled``
    (:func:`is_trio_cancelled`)."""
    return (
        error.get("type") == "CancelledError" and _package(error) == "asyncio"
    ) or is_trio_cancelled(error)


def _package(error: dict[str, Any]) -> str:
    return str(error.get("module", "")).partition(".")[0]


def as_recorded(exc: BaseException) -> BaseException:
    """``exc`` as a recording keeps it: an anyio cancel scope's cancellation without the
    scope's address and the cancelling task (a new ``CancelledError`` of the same class);
    another exception as it is."""
    if type(exc).__name__ == "Cancelled" and type(exc).__module__.startswith("trio"):
        return _trio_as_recorded(exc)
    args = exc.args
    if len(args) != 1 or not isinstance(args[0], str) or not is_cancellation(exc):
        return exc
    stable = re.sub(_ANYIO_SCOPE, r"\1", args[0], count=1, flags=re.DOTALL)
    return exc if stable == args[0] else type(exc)(stable)


def _trio_as_recorded(exc: BaseException) -> BaseException:
    """trio's ``Cancelled`` ``exc`` without the memory address of the task that cancelled its
    scope: made again the way trio pickles it (its constructor is not public), ``exc`` itself
    where that is not possible."""
    task = getattr(exc, "source_task", None)
    if not isinstance(task, str):
        return exc
    stable = re.sub(_TRIO_TASK_ADDRESS, ">", task)
    if stable == task:
        return exc
    reduced = exc.__reduce__()
    make: Any = reduced[0] if isinstance(reduced, tuple) and len(reduced) >= 2 else None
    keywords = dict(getattr(make, "keywords", None) or {})
    if "source_task" not in keywords or reduced[1]:  # (another trio's: recorded as it is)
        return exc
    keywords["source_task"] = stable
    try:
        made = make.func(**keywords)
    except Exception:
        return exc
    return made if isinstance(made, BaseException) else exc
