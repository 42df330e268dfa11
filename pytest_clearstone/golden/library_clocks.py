"""Library clocks: the times agent libraries write into the messages they send, read on the
agent's clock (the frozen one) while a test records or replays, so a golden stays the same.

Two kinds of clock reading escape the frozen clock and reach a recorded value:

- A live call runs on the real clock (:meth:`DeterministicExecutionContext.suspended`: SDKs sign
  requests and check token expiry with it), and some libraries stamp the value they build from
  the answer with the clock, as bookkeeping of their own: pydantic-ai's model ``request`` stamps
  its ``ModelResponse`` with ``pydantic_ai._utils.now_utc()``. Recorded on the real clock, the
  answer and every later request's message history differed on each re-record of an unchanged
  agent. The helper reads the agent's clock, also inside a live call.
- ``time.perf_counter`` stays real (asyncio needs it), and pydantic-ai's ``FallbackModel`` times
  each failed attempt with it (``pydantic_ai._model_request_attempts.AttemptStart.elapsed``)
  into the answer's ``failed_attempts``, sent back with the next request: what a live attempt
  took when recording was never what its replay takes, and the next request diverged on every
  replay. The attempt is timed on the agent's clock (no time passes on a frozen one).

And one reading shapes what the agent is given: pydantic-ai debounces a streamed run's output
(``stream_text()``, ``stream_output()``, ``stream_responses()``; ``debounce_by``, 0.1 s by
default) by grouping what arrives within that time on the event loop's real clock. A live stream
spread over seconds came in groups of one word when recorded, its replay (every chunk at once)
in one group, and an agent that keeps what it is given failed every replay. Each item is its own
group while a test records or replays (``debounce_by=None``, which the clock cannot change).

=====================================================  =====================================
patch point                                            time of
=====================================================  =====================================
``pydantic_ai._utils.now_utc``                         pydantic-ai messages, parts, responses
``pydantic_ai._model_request_attempts.AttemptStart``   a failed attempt's ``duration``
``pydantic_ai._utils.group_by_temporal``               the groups of a streamed output
=====================================================  =====================================

Callers import ``now_utc`` by name (``from ._utils import now_utc as _now_utc``), so the function
object itself is changed (as :mod:`pytest_clearstone.golden.ids` does): its code is swapped for a
shim; ``elapsed`` is a method, replaced on its class; ``group_by_temporal`` is looked up on its
module (``_utils.group_by_temporal(...)``), and replaced there. All are put back on exit. A
library not imported when the test starts is left alone.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable
from typing import Any

from ..callables import named_after
from .targets import PatchStack

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_NOW_GLOBAL = "_clearstone_now_utc"


def _shim(*args: object, **kwargs: object) -> _dt.datetime:
    # its code replaces ``now_utc``'s; the global is set in that function's module
    return _clearstone_now_utc()  # type: ignore[name-defined,no-any-return]  # noqa: F821


def patch_library_clocks(stack: PatchStack, now_ns: Callable[[], int]) -> None:
    """Until ``stack`` is undone, the imported patch points read ``now_ns()`` (the agent's clock,
    in nanoseconds since the epoch), and a streamed output is grouped item by item."""

    def now() -> _dt.datetime:
        return _EPOCH + _dt.timedelta(microseconds=now_ns() // 1000)

    utils = sys.modules.get("pydantic_ai._utils")
    function = getattr(utils, "now_utc", None) if utils is not None else None
    code = getattr(function, "__code__", None)
    if code is not None and not code.co_freevars:  # (a plain Python function)
        stack.setattr(utils, _NOW_GLOBAL, now)
        stack.setattr(function, "__code__", _shim.__code__)
    attempts = sys.modules.get("pydantic_ai._model_request_attempts")
    start = getattr(attempts, "AttemptStart", None) if attempts is not None else None
    if isinstance(start, type) and callable(getattr(start, "elapsed", None)):

        def elapsed(self: Any) -> _dt.timedelta:
            began = getattr(self, "timestamp", None)
            if not isinstance(began, _dt.datetime) or began.tzinfo is None:
                return _dt.timedelta(0)
            return max(now() - began, _dt.timedelta(0))

        stack.setattr(start, "elapsed", elapsed)
    grouping = getattr(utils, "group_by_temporal", None) if utils is not None else None
    if callable(grouping):

        def group_by_temporal(aiterable: Any, soft_max_interval: float | None) -> Any:
            return grouping(aiterable, None)

        stack.setattr(utils, "group_by_temporal", named_after(group_by_temporal, grouping))
