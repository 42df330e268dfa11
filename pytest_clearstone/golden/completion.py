"""The order concurrent async calls completed in when recorded, reproduced on replay.

An agent that takes the answers of parallel calls as they finish (``asyncio.as_completed``,
LangGraph's ``astream`` over parallel async nodes, tasks appending to a shared list) depends on
the order they completed in. Recorded, a slower call finishes after a faster one started later;
replayed, every answer is at hand at once, so the calls would complete in the order they started.

So a replayed async call that, when recorded, overlapped a call of another branch of execution
(see :mod:`.threads`) and ended after it, is answered only once that call has been answered: it
yields to the event loop until then. Likewise it completes only once the calls of other branches
that started while it ran when recorded have started: what those branches did before them (a
LangGraph sub-agent's next checkpoint and task ids, drawn from the seeded stream the concurrent
asyncio tasks share) comes before what this call's task goes on to do, as when recorded. And
it completes only once the last call of each other branch whose replay waits, and that ended
before it started when recorded, has been answered: made meanwhile (by a task a semaphore let in
when a third branch's call was answered), it would otherwise complete first. Each
span of a golden holds its start and end times, from which :func:`completion_order` works out,
for each recorded call, the calls it waits for.

It never hangs: a call whose predecessor does not come (the agent changed, or makes it only
after this one's answer) stops waiting once the replay has made no progress — no call answered
or completed — for :data:`IDLE_PASSES` passes of the event loop, and the time the predecessors
took, when recorded, to end after it started has passed (the agent may sleep before making them:
a rate limiter's stagger, a back-off), and is answered then. So a call waits no longer than it
ran when recorded.

A call cut off when recorded (cancelled from outside: ``asyncio.timeout``, ``wait_for``) waits on
replay to be cancelled again; a call of another branch that ended after that cancellation when
recorded waits for it, past its patience while it waits (that ends by its own). It waits for
nothing itself. Calls that return a stream (their span ends when the stream does) and calls of
unknown branch keep their order as before; so does a replay on another event loop library than
asyncio.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Awaitable, Iterable
from typing import Any

from ..tracing.span import Span
from .cancellations import is_cancelled

__all__ = [
    "IDLE_PASSES",
    "SETTLE_PASSES",
    "CompletionOrder",
    "completion_order",
    "on_asyncio_loop",
]

#: passes of the event loop without progress after which a waiting call is answered anyway
#: (once its patience has run out)
IDLE_PASSES = 16

#: passes of the event loop a waiting call lets go by once the calls it waits for have been
#: answered, before it completes: their tasks go on with what follows the answer (LangChain's
#: callbacks return, a LangGraph node returns and the graph streams its update: four passes),
#: as they did when recorded, where the later call's answer came long after. Each call of a
#: chain of calls waiting for one another adds them to the replay, one after the other.
SETTLE_PASSES = 8

#: seconds between the checks of a call waiting, past its idle passes, for its patience to run out
_POLL = 0.005

#: the stored class of a recorded stream (its span ends when the stream does, not the call)
_STREAM = f"{__package__}.streams:RecordedStream"


class CompletionOrder:
    """The recorded completion order of the concurrent calls of one replay, and which of them
    have been answered so far.

    ``after``: for each recorded call (by its position in the golden) that waits, the positions
    of the calls it waits for; ``awaited``: the positions of the calls some call waits for;
    ``patience``: for a call that waits, how many seconds after it started the last of those
    ended (or started) when recorded (none: it waits only for its idle passes); ``starts``: for
    each recorded call that waits for other calls to start, their positions.
    """

    __slots__ = (
        "_after",
        "_answered",
        "_awaited",
        "_cutting",
        "_patience",
        "_started",
        "_starts",
        "progress",
    )

    def __init__(
        self,
        after: dict[int, tuple[int, ...]],
        awaited: set[int],
        patience: dict[int, float] | None = None,
        starts: dict[int, tuple[int, ...]] | None = None,
    ) -> None:
        self._after = after
        self._awaited = awaited
        self._patience = patience or {}
        self._starts = starts or {}
        self._answered: set[int] = set()
        #: the calls made so far (each is answered when it is made, or waits)
        self._started: set[int] = set()
        #: the calls cut off when recorded whose replay waits now to be cancelled again
        self._cutting: set[int] = set()
        #: calls answered and completed so far: what a waiting call sees moving
        self.progress = 0

    def waits_for(self, position: int) -> tuple[int, ...]:
        """The positions of the calls the recorded call at ``position`` waits for."""
        return self._after.get(position, ())

    def waits_for_start(self, position: int) -> tuple[int, ...]:
        """The positions of the calls the recorded call at ``position`` waits to be made."""
        return self._starts.get(position, ())

    def answered(
        self, position: int, value: Any, error: BaseException | None, is_async: bool
    ) -> Any:
        """What the stand-in of the recorded call at ``position`` returns, answered with
        ``value`` (or raising ``error``): an async call (``is_async``) that waits for others, or
        that others wait for, gets an awaitable completing in the recorded order; any other
        gets its answer now."""
        __tracebackhide__ = True
        self.progress += 1
        self._started.add(position)
        after = self._after.get(position)
        starts = self._starts.get(position)
        waits = after is not None or starts is not None or position in self._awaited
        if waits and is_async and on_asyncio_loop():
            return self._in_order(position, after or (), value, error, starts or ())
        self._answered.add(position)
        if error is not None:
            raise error
        return value

    def cut_off(self, position: int, waiting: Awaitable[Any]) -> Awaitable[Any]:
        """What the stand-in of the recorded call at ``position``, cancelled from outside when
        recorded, returns: ``waiting`` (its replay, waiting to be cancelled again), with the
        call noted as made now, so that a call waiting for it to start goes on, and as
        answered once it ends (cancelled again, or not)."""
        self.progress += 1
        self._started.add(position)
        return self._until_cut_off(position, waiting)

    async def _until_cut_off(self, position: int, waiting: Awaitable[Any]) -> Any:
        __tracebackhide__ = True
        # (cancelled before its first step, it never waits, and is never answered: a call
        # waiting for it goes on once its own patience has run out)
        self._cutting.add(position)
        try:
            return await waiting
        finally:
            self._cutting.discard(position)
            self._answered.add(position)
            self.progress += 1

    async def _in_order(
        self,
        position: int,
        after: tuple[int, ...],
        value: Any,
        error: BaseException | None,
        starts: tuple[int, ...] = (),
    ) -> Any:
        """Let the event loop run other tasks once, as an answer at hand does, then until the
        calls of ``after`` have been answered and those of ``starts`` made (or the replay makes
        no progress, and the call's patience has run out), then, when they were, and ``after``
        names calls, :data:`SETTLE_PASSES` more; then complete."""
        __tracebackhide__ = True
        import asyncio

        answered, started = self._answered, self._started
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._patience.get(position, 0.0)
            await asyncio.sleep(0)
            seen, idle, first, made = self.progress, 0, 0, 0
            while True:
                # (the first of them not answered yet: each pass looks on from there)
                while first < len(after) and after[first] in answered:
                    first += 1
                while made < len(starts) and starts[made] in started:
                    made += 1
                if first == len(after) and made == len(starts):
                    break
                if idle < IDLE_PASSES:
                    await asyncio.sleep(0)
                else:  # idle: a predecessor's task may be sleeping (real time) before its call
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        # (past it, still for a call cut off when recorded that waits to be
                        # cancelled again: that ends by its own patience)
                        if not self._cutting.intersection(after[first:]):
                            break
                        remaining = _POLL
                    await asyncio.sleep(min(remaining, _POLL))
                if self.progress == seen:
                    idle += 1
                else:
                    seen, idle = self.progress, 0
            if first == len(after):
                for _ in range(SETTLE_PASSES if after else 0):
                    await asyncio.sleep(0)
                    self.progress += 1  # (a call waiting for this one is not idle)
        finally:  # (also when cancelled while waiting: a call waiting for this one goes on)
            answered.add(position)
            self.progress += 1
        if error is not None:
            raise error
        return value


def on_asyncio_loop() -> bool:
    """Whether an asyncio event loop runs here (not another library's): where a replay
    answers concurrent async calls in their recorded completion order."""
    asyncio = sys.modules.get("asyncio")
    # the non-raising lookup (get_running_loop() raises where no loop runs)
    return asyncio is not None and asyncio._get_running_loop() is not None


def completion_order(
    calls: Iterable[tuple[int, str, str | None]], spans: Iterable[Span]
) -> CompletionOrder | None:
    """The completion order of recorded ``calls`` (``(position, branch, span id)`` each, as a
    replay answers them) from their ``spans`` (the golden's): each call waits for the calls of
    other branches that ran while it did and ended before it, for as long as the last of them
    ended after it started, and for the calls of other branches that started while it ran (for
    as long as the last of them started after it). ``None`` when no call waits (the calls of one
    branch only: one after the other)."""
    known = [(position, branch, span_id) for position, branch, span_id in calls if branch]
    if len({branch for _, branch, _ in known}) < 2 or len(known) < 2:
        return None
    by_id = {span.span_id: span for span in spans}
    timed: list[tuple[int, int, int, str]] = []  # (end, position, start, branch)
    begun: list[tuple[int, int, str]] = []  # (start, position, branch) of every timed call
    cut: set[int] = set()  # the calls cut off when recorded (their ends: their cancellations)
    for position, branch, span_id in known:
        span = by_id.get(span_id) if span_id is not None else None
        if span is None or position < 0:
            continue
        begun.append((span.start_time_ns, position, branch))
        if span.end_time_ns is None:
            continue
        if span.error is not None and is_cancelled(span.error):
            cut.add(position)
        elif not _completes(span):
            continue
        timed.append((span.end_time_ns, position, span.start_time_ns, branch))
    timed.sort()
    begun.sort()
    ends = [end for end, _, _, _ in timed]
    beginnings = [start for start, _, _ in begun]
    after: dict[int, tuple[int, ...]] = {}
    starts: dict[int, tuple[int, ...]] = {}
    patience: dict[int, float] = {}
    #: per branch, the ends and positions of its calls so far (in the order they ended), and
    #: the place among them of its first call whose replay waits (a branch delayed from there)
    done: dict[str, tuple[list[int], list[int]]] = {}
    delayed: dict[str, int] = {}
    for index, (finish, position, start, branch) in enumerate(timed):
        branch_ends, branch_positions = done.setdefault(branch, ([], []))
        branch_ends.append(finish)
        branch_positions.append(position)
        if position in cut:  # waited for (until cancelled again), waiting for none itself
            continue
        # ended before this one did (sorted by their ends), after it started (they ran at the
        # same time: found by bisection, so calls one after another cost no scan), in another
        # branch of execution
        first = bisect.bisect_right(ends, start, 0, index)
        earlier = [(end, p) for end, p, _, b in timed[first:index] if b != branch]
        # and the last call of each other delayed branch that ended before this one started,
        # when its replay may still wait: this call, made meanwhile (a semaphore's slot freed by
        # a third branch), would complete before it
        waited = [p for _, p in earlier]
        for other, since in delayed.items():
            # (not a task this one's branch started: it awaited it, as a gather does)
            if other != branch and not other.startswith(branch + "/"):
                other_ends, other_positions = done[other]
                last = bisect.bisect_right(other_ends, start) - 1
                if last >= since:
                    waited.append(other_positions[last])
        if waited:
            after[position] = tuple(waited)
        if earlier:
            patience[position] = (earlier[-1][0] - start) / 1e9  # (the last to end)
        # started while this one ran, in another branch (what that branch did before comes
        # before what this call's branch does after it)
        low = bisect.bisect_right(beginnings, start)
        high = bisect.bisect_left(beginnings, finish, low)
        later = [(s, p) for s, p, b in begun[low:high] if b != branch]
        if later:
            starts[position] = tuple(p for _, p in later)
            late = (later[-1][0] - start) / 1e9  # (the last to start)
            patience[position] = max(patience.get(position, 0.0), late)
        if branch not in delayed and (position in after or position in starts):
            delayed[branch] = len(branch_ends) - 1
    if not (after or starts):
        return None
    awaited = {p for waited in after.values() for p in waited}
    return CompletionOrder(after, awaited, patience, starts)


def _completes(span: Span) -> bool:
    """Whether a call's span ends when the call returns: not for a stream (it ends when the
    stream does), nor for a call cancelled while it ran (a future given up on; asyncio's
    cancellation is told apart before: its span ends when the call was cut off)."""
    error = span.error
    if error is not None and error.get("type") == "CancelledError":
        return False
    output = span.recorded_output
    encoded = None if output is None else output.encoded_if_known(None)
    return not (type(encoded) is dict and encoded.get("cls") == _STREAM)
