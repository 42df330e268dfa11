"""Library clocks that stamp answers: read on the agent's clock while a call records live.

A live call runs on the real clock (:meth:`DeterministicExecutionContext.suspended`: SDKs sign
requests and check token expiry with it). Some libraries also stamp the value they build from
the answer with the clock, as bookkeeping of their own: pydantic-ai's model ``request`` stamps
its ``ModelResponse`` with ``pydantic_ai._utils.now_utc()``. That stamp is part of the recorded
answer and of every later request's message history, so recorded on the real clock it differed
on every re-record of an unchanged agent. While recording, these helpers read the agent's clock
(the frozen one, also inside a live call), as the rest of the agent's run does; a replay answers
from the golden and leaves them alone.

=====================================  =========================================
patch point                            stamps
=====================================  =========================================
``pydantic_ai._utils.now_utc``         pydantic-ai messages, responses, parts
=====================================  =========================================

Callers import the helper by name (``from ._utils import now_utc as _now_utc``), so the function
object itself is changed (as :mod:`pytest_clearstone.golden.ids` does): its code is swapped for
a shim, and put back when the recording stops. A library not imported yet is left alone.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable

from .targets import PatchStack

#: ``(module, function)``: helpers returning ``datetime.now(tz=UTC)``
PATCH_POINTS: tuple[tuple[str, str], ...] = (("pydantic_ai._utils", "now_utc"),)

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_GLOBAL = "_clearstone_now_utc"


def _shim(*args: object, **kwargs: object) -> _dt.datetime:
    # its code replaces a helper's; the global is set in the helper's module
    return _clearstone_now_utc()  # type: ignore[name-defined,no-any-return]  # noqa: F821


def patch_library_clocks(stack: PatchStack, now_ns: Callable[[], int]) -> None:
    """Make every imported patch point return the time ``now_ns()`` reads (the agent's clock,
    in nanoseconds since the epoch) until ``stack`` is undone."""
    for module_name, name in PATCH_POINTS:
        module = sys.modules.get(module_name)
        function = getattr(module, name, None) if module is not None else None
        code = getattr(function, "__code__", None)
        if code is None or code.co_freevars:
            continue  # not imported, or not a plain Python function
        stack.setattr(
            module, _GLOBAL, lambda: _EPOCH + _dt.timedelta(microseconds=now_ns() // 1000)
        )
        stack.setattr(function, "__code__", _shim.__code__)
