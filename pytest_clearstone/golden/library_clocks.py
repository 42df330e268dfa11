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
  replay. The attempt is timed on the agent's clock (no time passes on a frozen one). It is
  stamped with ``datetime.now()`` when it starts (``AttemptStart.timestamp``), which a
  ``FallbackModel.request`` (or a function around the run) mocked and so live read on the real
  clock: every re-record wrote another time into the answer (or the ``FallbackExceptionGroup``'s
  ``attempts``). That module reads the agent's clock too. So do the modules where pydantic-ai
  (releases after 2.68) times a model request with ``time.perf_counter_ns()`` into its answer, the
  ``ModelResponse``'s ``duration`` (and a stream's time to its first chunk, with
  ``perf_counter()``): a live request took another time on each re-record of an unchanged
  agent, written into the answer and into the message history an agent keeps.
- A sync live call puts the whole process on the real clock while it runs, and LangGraph reads
  the clock in the threads of its pool: it stamps each node run it starts with ``time.time()``
  (the ``execution_info``'s ``node_first_attempt_time`` in the config a node passes to the
  model), and each event it streams as a node ends (``stream_mode="debug"``'s ``timestamp``,
  with ``datetime.now()``), each checkpoint and each item a node puts in an ``InMemoryStore``.
  A node that started or ended while another node's call was live got a real time, and its
  replay diverged. These LangGraph modules read the agent's clock.

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
``pydantic_ai._model_request_attempts.datetime``       a failed attempt's ``timestamp``
``pydantic_ai.models.time`` (and three more modules)   a response's ``duration``, time to 1st chunk
``pydantic_ai._utils.group_by_temporal``               the groups of a streamed output
``langgraph.pregel._retry.time``                       a node run's ``node_first_attempt_time``
``langgraph.pregel._loop.datetime``                    ``stream_mode="debug"`` event times
``langgraph.pregel._checkpoint.datetime``              a checkpoint's ``ts`` (``created_at``)
``langgraph.store.memory.datetime``                    an ``InMemoryStore`` item's times
``langgraph.stream._convert.time``, ``_mux.time``      the times of the v2 stream's events
=====================================================  =====================================

Callers import ``now_utc`` by name (``from ._utils import now_utc as _now_utc``), so the
function object itself is changed (as :mod:`pytest_clearstone.golden.ids` does): its code is
swapped for a shim; ``elapsed`` is a method, replaced on its class; LangGraph's modules and
pydantic-ai's timers read the clock through their ``time`` or ``datetime`` global, each given a
stand-in;
``group_by_temporal`` is looked up on its module (``_utils.group_by_temporal(...)``), and
replaced there. All are put back on exit. A library not imported when the test starts is left
alone.
"""

from __future__ import annotations

import datetime as _dt
import sys
import time
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
    if "pydantic_ai" not in sys.modules and "langgraph" not in sys.modules:
        return  # (neither library imported: nothing to patch, per test)

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
    _give_stand_in(stack, _TIME_READERS, "time", time, lambda: _AgentTime(now_ns))
    _give_stand_in(stack, _TIMER_READERS, "time", time, lambda: _AgentTimer(now_ns))
    _give_stand_in(stack, _DATETIME_READERS, "datetime", _dt.datetime, lambda: _AgentDatetime(now))


def _give_stand_in(
    stack: PatchStack,
    names: tuple[str, ...],
    attribute: str,
    real: object,
    make: Callable[[], object],
) -> None:
    """Each module of ``names`` imported whose global ``attribute`` is ``real`` (the ``time``
    module, the ``datetime`` class) gets one stand-in, made by ``make`` when first needed."""
    stand_in: object | None = None
    for name in names:
        module = sys.modules.get(name)
        if module is not None and getattr(module, attribute, None) is real:
            stand_in = stand_in or make()
            stack.setattr(module, attribute, stand_in)


#: modules that read the clock as ``time.time()`` (``import time``), and as ``datetime.now()``
#: (``from datetime import datetime``): LangGraph's, in the threads of its pool, and where
#: pydantic-ai stamps a failed attempt
_TIME_READERS = ("langgraph.pregel._retry", "langgraph.stream._convert", "langgraph.stream._mux")
#: pydantic-ai's modules that time a model request with ``time.perf_counter_ns()`` (the
#: response's ``duration``) and its stream's first chunk with ``perf_counter()``, and nothing else
_TIMER_READERS = (
    "pydantic_ai.models",
    "pydantic_ai.models._continuation",
    "pydantic_ai.models.instrumented",
    "pydantic_ai._agent_graph",
)
_DATETIME_READERS = (
    "pydantic_ai._model_request_attempts",
    "langgraph.pregel._loop",
    "langgraph.pregel._checkpoint",
    "langgraph.store.memory",
)


class _AgentTime:
    """The ``time`` module as a library module sees it: ``time()`` reads the agent's clock, the
    rest is the module's (``monotonic`` stays real, as everywhere)."""

    def __init__(self, now_ns: Callable[[], int]) -> None:
        self._now_ns = now_ns

    def time(self) -> float:
        return self._now_ns() / 1_000_000_000

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _AgentTimer(_AgentTime):
    """The ``time`` module of a library module that times requests: ``perf_counter()`` and
    ``perf_counter_ns()`` read the agent's clock as well (no time passes on a frozen one)."""

    def perf_counter(self) -> float:
        return self.time()

    def perf_counter_ns(self) -> int:
        return self._now_ns()


class _AgentDatetime:
    """The ``datetime`` class as a library module sees it: ``now()`` reads the agent's clock, the
    rest is the class's."""

    def __init__(self, now: Callable[[], _dt.datetime]) -> None:
        self._now = now

    def now(self, tz: _dt.tzinfo | None = None) -> _dt.datetime:
        moment = self._now()  # (in UTC)
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)

    def __getattr__(self, name: str) -> Any:
        return getattr(_dt.datetime, name)
