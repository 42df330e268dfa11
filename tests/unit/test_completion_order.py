"""The recorded completion order of concurrent calls (golden/completion.py): which recorded call
waits for which, and the replay's waiting — in the recorded order, and never for ever."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_clearstone.golden.completion import (
    IDLE_PASSES,
    SETTLE_PASSES,
    CompletionOrder,
    completion_order,
)
from pytest_clearstone.golden.streams import RecordedStream
from pytest_clearstone.tracing.span import Recorded, Span


def _span(span_id: str, start: int, end: int, **kwargs: Any) -> Span:
    return Span(
        trace_id="t",
        span_id=span_id,
        parent_span_id="root",
        name="app.acomplete",
        start_time_ns=start,
        end_time_ns=end,
        **kwargs,
    )


def _waits(calls: list[tuple[int, str, str]], spans: list[Span]) -> dict[int, tuple[int, ...]]:
    order = completion_order(calls, spans)
    if order is None:
        return {}
    return {position: order.waits_for(position) for position, _, _ in calls}


def test_a_call_waits_for_the_concurrent_calls_of_other_branches_that_ended_before_it() -> None:
    # a (0..30) ran while b (5..10) and c (12..20) did, in other tasks; d (31..40) after all
    spans = [_span("a", 0, 30), _span("b", 5, 10), _span("c", 12, 20), _span("d", 31, 40)]
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "b"), (2, "0/x#2", "c"), (3, "0", "d")]
    assert _waits(calls, spans) == {0: (1, 2), 1: (), 2: (), 3: ()}


def test_a_call_made_after_a_waiting_call_ended_waits_for_it() -> None:
    # y (2..12) waits for w (0..10) to be answered, w for y to be made; x (13..15) started
    # after both ended, in a third task (a slot w's task freed): it waits for both, the last
    # calls of their delayed branches before it; a later call of the branch that started the
    # tasks (gathering them) waits for none of them
    spans = [_span("w", 0, 10), _span("y", 2, 12), _span("x", 13, 15), _span("z", 16, 17)]
    calls = [(0, "0/a#0", "w"), (1, "0/b#0", "y"), (2, "0/c#0", "x"), (3, "0", "z")]
    assert _waits(calls, spans) == {0: (), 1: (0,), 2: (0, 1), 3: ()}


def test_calls_one_after_the_other_wait_for_nothing() -> None:
    spans = [_span("a", 0, 10), _span("b", 10, 20), _span("c", 25, 30)]
    # one branch: nothing to order
    assert completion_order([(0, "0", "a"), (1, "0", "b"), (2, "0", "c")], spans) is None
    # branches that did not overlap
    assert completion_order([(0, "0/x#0", "a"), (1, "0/x#1", "b")], spans) is None
    # a call of unknown branch (a golden of an earlier version) is left alone
    assert completion_order([(0, "", "a"), (1, "0/x#1", "b")], spans) is None


def test_streams_and_calls_cancelled_while_they_ran_keep_their_order() -> None:
    # a stream's span ends when the stream does, not when the call returned
    stream = _span("s", 0, 30, output=Recorded.of(RecordedStream(items=[1], is_async=True)))
    cancelled = _span("c", 0, 30, error={"type": "CancelledError", "module": "asyncio"})
    plain = _span("p", 5, 10)
    assert completion_order([(0, "0/x#0", "s"), (1, "0/x#1", "p")], [stream, plain]) is None
    assert completion_order([(0, "0/x#0", "c"), (1, "0/x#1", "p")], [cancelled, plain]) is None


def test_a_waiting_call_completes_after_the_call_it_waits_for() -> None:
    order = CompletionOrder({0: (1,)}, {1})
    finished: list[str] = []

    async def call(position: int, answer: str) -> None:
        finished.append(await order.answered(position, answer, None, True))

    async def main() -> None:
        # the call recorded as finishing last starts first, as on replay
        await asyncio.gather(call(0, "a"), call(1, "b"))

    asyncio.run(main())
    assert finished == ["b", "a"]


def test_a_waiting_call_completes_after_what_the_call_it_waited_for_went_on_to_do() -> None:
    """LangGraph's ``astream`` over async ``Send`` branches: the branch whose call was answered
    goes on through a few awaits (its node returns, the graph streams its update) before the
    call that waited for it completes, as when recorded, where the later call's answer came
    long after. It completed one pass after the first call's answer, ahead of them."""
    order = CompletionOrder({0: (1,)}, {1})
    events: list[str] = []

    async def earlier() -> None:
        events.append(await order.answered(1, "b", None, True))
        for _ in range(4):  # what the node and the graph do with the answer
            await asyncio.sleep(0)
        events.append("b streamed")

    async def later() -> None:
        events.append(await order.answered(0, "a", None, True))

    async def main() -> None:
        await asyncio.gather(later(), earlier())

    asyncio.run(main())
    assert events == ["b", "b streamed", "a"]


def test_a_waiting_call_raises_its_recorded_error_in_order() -> None:
    order = CompletionOrder({0: (1,)}, {1})
    finished: list[str] = []

    async def call(position: int, error: BaseException | None) -> None:
        try:
            await order.answered(position, "b", error, True)
        except ValueError:
            finished.append("a raised")
        else:
            finished.append("b")

    async def main() -> None:
        await asyncio.gather(call(0, ValueError("recorded")), call(1, None))

    asyncio.run(main())
    assert finished == ["b", "a raised"]


def _passes_until_done(steps: Any) -> tuple[int, Any]:
    """Drive a waiting call's ``__await__()`` by hand (each send: one pass of the loop): the
    passes it took after the sends already made, and its answer."""
    for passes in range(IDLE_PASSES + 3):
        try:
            steps.send(None)
        except StopIteration as stop:
            return passes, stop.value
    steps.close()
    raise AssertionError("the call is still waiting")


def test_a_call_whose_predecessor_never_comes_is_answered_after_idle_passes() -> None:
    order = CompletionOrder({0: (1,)}, {1})

    async def main() -> tuple[int, Any]:
        awaitable = order.answered(0, "a", None, True)
        steps = awaitable.__await__()  # driven by hand: each send is one pass of the loop
        return _passes_until_done(steps)

    passes, answer = asyncio.run(main())
    assert answer == "a" and passes == IDLE_PASSES + 1  # (the first pass: its own answer's)


def test_a_call_waits_as_long_as_its_predecessor_ended_after_it_started_when_recorded() -> None:
    # a (0..30 s) ran while b (10..20 s) did: b ended 20 s after a started
    spans = [_span("a", 0, 30_000_000_000), _span("b", 10_000_000_000, 20_000_000_000)]
    order = completion_order([(0, "0/x#0", "a"), (1, "0/x#1", "b")], spans)
    assert order is not None
    finished: list[str] = []

    async def call(position: int, answer: str, delay: float) -> None:
        await asyncio.sleep(delay)  # b's task sleeps (loop time) before its call, as recorded
        finished.append(await order.answered(position, answer, None, True))

    async def main() -> None:
        await asyncio.gather(call(0, "a", 0), call(1, "b", 10))

    _run_on_loop_time(main())
    assert finished == ["b", "a"]


class _LoopOfATenthOfASecondPerRead(asyncio.SelectorEventLoop):
    """asyncio's loop on a clock that moves 0.1 s each time it is read: a waiting call's
    patience runs out in loop time, with no real time waited."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def time(self) -> float:
        self.now += 0.1
        return self.now


def _run_on_loop_time(main: Any) -> Any:
    """Run ``main`` on :class:`_LoopOfATenthOfASecondPerRead`: its sleeps and waits in loop
    time, in the order their lengths give, however loaded the machine is."""
    loop = _LoopOfATenthOfASecondPerRead()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


def test_a_call_whose_predecessor_never_comes_waits_its_recorded_patience_in_seconds() -> None:
    # a (0..30 s) ran while b (10..20 s) did: b ended 20 s after a started; b never comes
    spans = [_span("a", 0, 30_000_000_000), _span("b", 10_000_000_000, 20_000_000_000)]
    order = completion_order([(0, "0/x#0", "a"), (1, "0/x#1", "b")], spans)
    assert order is not None

    async def main() -> tuple[Any, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await order.answered(0, "a", None, True)
        return answer, loop.time() - started

    answer, waited = _run_on_loop_time(main())
    assert answer == "a" and 20 <= waited < 25  # (loop time: a few reads past its patience)


def test_a_call_cancelled_while_waiting_counts_as_answered() -> None:
    order = CompletionOrder({0: (1,), 2: (0,)}, {0, 1})

    async def main() -> str:
        waiting = asyncio.ensure_future(order.answered(0, "a", None, True))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # the call waiting for the cancelled one goes on at its first chance
        return await order.answered(2, "c", None, True)  # type: ignore[no-any-return]

    assert asyncio.run(main()) == "c"
    # (two answered, two completed, and the passes c let go by once a was: no idle wait)
    assert order.progress == 4 + SETTLE_PASSES


def test_without_an_asyncio_loop_or_for_a_sync_call_the_answer_is_given_at_once() -> None:
    order = CompletionOrder({0: (1,)}, {1})
    assert order.answered(0, "a", None, True) == "a"  # no loop runs
    with pytest.raises(KeyError):
        order.answered(1, None, KeyError("recorded"), False)

    async def main() -> Any:
        return order.answered(0, "a", None, False)  # a sync target's call, in a loop

    assert asyncio.run(main()) == "a"


def test_a_call_does_not_wait_for_a_call_of_its_own_branch_made_inside_it() -> None:
    # a (0..30) made b (5..10) itself (a tool calling the LLM: one task), while c (12..20) ran
    # in another task: a waits for c only
    spans = [_span("a", 0, 30), _span("b", 5, 10), _span("c", 12, 20)]
    calls = [(0, "0/x#0", "a"), (1, "0/x#0", "b"), (2, "0/x#1", "c")]
    assert _waits(calls, spans) == {0: (2,), 1: (), 2: ()}


def test_a_call_waiting_for_a_call_answered_at_once_goes_on_when_it_is_answered() -> None:
    # the call waited for is a sync target's (a tool run in a thread: another branch), answered
    # at once: the waiting call counts it answered, and completes after its settling passes,
    # not after waiting out its idle passes for a call that has come
    order = CompletionOrder({0: (1,)}, {1})

    async def main() -> tuple[int, Any]:
        awaitable = order.answered(0, "a", None, True)
        steps = awaitable.__await__()  # driven by hand: each send is one pass of the loop
        steps.send(None)
        assert order.answered(1, "b", None, False) == "b"
        return _passes_until_done(steps)

    passes, answer = asyncio.run(main())
    assert answer == "a" and passes == SETTLE_PASSES


def test_a_call_waited_for_that_waits_for_none_lets_no_settling_passes_go_by() -> None:
    order = CompletionOrder({0: (1,)}, {1})

    async def main() -> tuple[int, Any]:
        return _passes_until_done(order.answered(1, "b", None, True).__await__())

    assert asyncio.run(main()) == (1, "b")  # (no settling passes: it waited for nothing)


@pytest.mark.parametrize(
    ("rounds", "passes"),
    [(IDLE_PASSES * 2, 1), (5, IDLE_PASSES // 2)],
    ids=["each_pass", "never_idle_passes_apart"],
)
def test_a_call_goes_on_waiting_while_other_calls_are_answered(rounds: int, passes: int) -> None:
    # the replay is not idle while other calls are answered (after each pass, or now and then,
    # never IDLE_PASSES passes apart): the call goes on waiting for the call it waits for,
    # however many idle passes there were in all (it counts only those since the replay last
    # moved), and completes after it
    order = CompletionOrder({0: (1,)}, {1})

    async def main() -> list[str]:
        events: list[str] = []
        steps = order.answered(0, "a", None, True).__await__()
        for _ in range(rounds):
            for _ in range(passes):
                steps.send(None)
            order.answered(2, "c", None, False)  # (another branch's call, answered at once)
        events.append(order.answered(1, "b", None, False))
        try:
            while True:
                steps.send(None)
        except StopIteration as stop:
            events.append(stop.value)
        return events

    assert asyncio.run(main()) == ["b", "a"]


def test_calls_of_unknown_branch_or_position_keep_their_order() -> None:
    # a (0..30) ran while b (5..10) did, in another task; a call whose branch or whose place
    # among the recorded calls is not known waits for nothing, nor is waited for
    spans = [_span("a", 0, 30), _span("b", 5, 10)]
    assert _waits([(0, "0/x#0", "a"), (1, "0/x#1", "b")], spans) == {0: (1,), 1: ()}
    assert completion_order([(0, "", "a"), (1, "0/x#1", "b")], spans) is None
    assert completion_order([(-1, "0/x#0", "a"), (1, "0/x#1", "b")], spans) is None


def test_a_call_waiting_for_two_waits_as_long_as_the_last_of_them_ended_when_recorded() -> None:
    # a (0..100 s) ran while b (1..10 s) and c (50..90 s) did: a waits for both, as long as c
    # ended after it started (90 s), not only b (10 s)
    spans = [_span("a", 0, 100_000_000_000), _span("b", 1_000_000_000, 10_000_000_000),
             _span("c", 50_000_000_000, 90_000_000_000)]  # fmt: skip
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "b"), (2, "0/x#2", "c")]
    order = completion_order(calls, spans)
    assert order is not None and order.waits_for(0) == (1, 2)
    finished: list[str] = []

    async def call(position: int, answer: str, delay: float) -> None:
        await asyncio.sleep(delay)  # c's task sleeps (loop time) before its call, as recorded
        finished.append(await order.answered(position, answer, None, True))

    async def main() -> None:
        await asyncio.gather(call(0, "a", 0), call(1, "b", 0), call(2, "c", 50))

    _run_on_loop_time(main())
    assert finished == ["b", "c", "a"]


def test_a_call_waits_for_the_calls_of_other_branches_that_started_while_it_ran() -> None:
    # a (0..30) ran while b (5..40) and c (10..50) started, in other tasks, and ended after it;
    # d (31..60) started after a ended; b waits for a's answer and c's start
    spans = [_span("a", 0, 30), _span("b", 5, 40), _span("c", 10, 50), _span("d", 31, 60)]
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "b"), (2, "0/x#2", "c"), (3, "0/x#0", "d")]
    order = completion_order(calls, spans)
    assert order is not None
    assert {p: order.waits_for_start(p) for p in range(4)} == {0: (1, 2), 1: (2, 3), 2: (3,), 3: ()}
    assert order.waits_for(1) == (0,)


def test_a_call_completes_once_the_calls_it_waits_to_start_have_started() -> None:
    """Two async ``Send`` branches, each a LangGraph sub-agent that draws its next checkpoint
    id from the shared seeded stream after a model call: ``b`` drew its id and made its call
    while ``a``'s call ran, so ``a``'s call completes after ``b``'s has been made."""
    order = CompletionOrder({}, set(), starts={0: (1,)})
    events: list[str] = []

    async def a() -> None:
        events.append(await order.answered(0, "a answered", None, True))

    async def b() -> None:
        for _ in range(5):  # what b's graph does before its call
            await asyncio.sleep(0)
        events.append("b drew its id")
        events.append(order.answered(1, "b answered", None, True))  # (waits for nothing)

    async def main() -> None:
        await asyncio.gather(a(), b())

    asyncio.run(main())
    assert events == ["b drew its id", "b answered", "a answered"]


def test_a_call_waits_for_a_stream_or_a_cancelled_call_that_started_while_it_ran() -> None:
    # a (0..30) ran while a stream s and a call c cancelled while it ran started (5, 10), in
    # other tasks: their spans end when the stream does or never as a return, but they started
    # then, so a waits for them to be made (though for neither to be answered)
    stream = _span("s", 5, 60, output=Recorded.of(RecordedStream(items=[1], is_async=True)))
    cancelled = _span("c", 10, 50, error={"type": "CancelledError", "module": "asyncio"})
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "s"), (2, "0/x#2", "c")]
    order = completion_order(calls, [_span("a", 0, 30), stream, cancelled])
    assert order is not None
    assert order.waits_for_start(0) == (1, 2)
    assert order.waits_for(0) == ()


def test_calls_starting_at_the_same_instant_or_as_it_ended_are_not_waited_to_start() -> None:
    # (a coarse clock gives calls of two tasks one start time: neither started while the other
    # ran, so neither waits for the other, which would have them wait for each other)
    spans = [_span("a", 0, 30), _span("b", 0, 40), _span("c", 30, 50)]
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "b"), (2, "0/x#2", "c")]
    order = completion_order(calls, spans)
    assert order is not None  # (b waits for c, which started while b ran)
    assert [order.waits_for_start(p) for p in range(3)] == [(), (2,), ()]


_S = 1_000_000_000  # (a second, in a span's nanoseconds)


def test_a_call_waits_for_calls_to_start_as_long_as_the_last_started_when_recorded() -> None:
    # a (0..100 s) ran while b and c started (1 s, 50 s), in other tasks, both ending after it:
    # a waits for both calls to be made, as long as c started after it (50 s), not only b (1 s)
    spans = [_span("a", 0, 100 * _S), _span("b", 1 * _S, 200 * _S), _span("c", 50 * _S, 200 * _S)]
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "b"), (2, "0/x#2", "c")]
    order = completion_order(calls, spans)
    assert order is not None and order.waits_for_start(0) == (1, 2)
    events: list[str] = []

    async def call(position: int, answer: str, delay: float) -> None:
        await asyncio.sleep(delay)  # c's task sleeps (loop time) before its call
        events.append(f"{answer} made")
        events.append(await order.answered(position, answer, None, True))

    async def main() -> None:
        await asyncio.gather(call(0, "a", 0), call(1, "b", 0), call(2, "c", 40))

    _run_on_loop_time(main())
    assert events.index("c made") < events.index("a"), events


def test_a_call_waiting_for_calls_to_end_and_to_start_waits_the_longer_of_the_two() -> None:
    # a (10..110 s) ran while d (0..100 s) ended, 90 s after a started, and c started (15 s):
    # a waits for d's answer as long as it waits for d (90 s), not c's start (5 s)
    spans = [_span("a", 10 * _S, 110 * _S), _span("d", 0, 100 * _S), _span("c", 15 * _S, 300 * _S)]
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "d"), (2, "0/x#2", "c")]
    order = completion_order(calls, spans)
    assert order is not None
    assert (order.waits_for(0), order.waits_for_start(0)) == ((1,), (2,))
    finished: list[str] = []

    async def call(position: int, answer: str, delay: float) -> None:
        await asyncio.sleep(delay)  # d's task sleeps (loop time) before its call
        finished.append(await order.answered(position, answer, None, True))

    async def main() -> None:
        await asyncio.gather(call(0, "a", 0), call(1, "d", 60), call(2, "c", 0))

    _run_on_loop_time(main())
    assert finished.index("d") < finished.index("a"), finished


def test_a_call_does_not_wait_for_a_call_of_its_own_branch_made_inside_it_to_start() -> None:
    # a (0..30) made b (5..10) itself (a tool calling the LLM: one task; a replay answers a
    # without running it, so b is never made), while c (12..40) started in another task
    spans = [_span("a", 0, 30), _span("b", 5, 10), _span("c", 12, 40)]
    order = completion_order([(0, "0/x#0", "a"), (1, "0/x#0", "b"), (2, "0/x#1", "c")], spans)
    assert order is not None and order.waits_for_start(0) == (2,)


def test_a_call_cut_off_when_recorded_is_made_when_called_and_answered_when_cancelled() -> None:
    # a waits for c to start; c was cancelled from outside when recorded: its replay waits to be
    # cancelled again (here: by its task's timeout), and a goes on as soon as c is made
    order = CompletionOrder({}, set(), starts={0: (1,)})
    events: list[str] = []

    async def a() -> None:
        events.append(await order.answered(0, "a answered", None, True))

    async def c() -> None:
        try:
            await asyncio.wait_for(order.cut_off(1, asyncio.Event().wait()), 0.001)
        except asyncio.TimeoutError:
            events.append("c cancelled")

    async def main() -> None:
        progress = order.progress
        await asyncio.gather(a(), c())
        events.append(f"progress {order.progress - progress}")

    asyncio.run(main())
    # (a: made and completed; c: made, and answered when cancelled)
    assert events == ["a answered", "c cancelled", "progress 4"]


def test_a_call_that_ended_after_a_call_cut_off_when_recorded_waits_for_its_cancellation() -> None:
    # c (5..20) was cut off by its task's timeout while a (0..30) ran in another task: a waits
    # for c's replay to be cancelled again (and for d, ended before it); c waits for nothing.
    # d (0..10) ended before c was cut off: it waits only for c to start
    spans = [
        _span("a", 0, 30),
        _span("c", 5, 20, error={"type": "CancelledError", "module": "asyncio"}),
        _span("d", 0, 10),
    ]
    calls = [(0, "0/x#0", "a"), (1, "0/x#1", "c"), (2, "0/x#2", "d")]
    order = completion_order(calls, spans)
    assert order is not None
    assert _waits(calls, spans) == {0: (2, 1), 1: (), 2: ()}
    assert order.waits_for_start(2) == (1,) and order.waits_for_start(1) == ()


def test_a_call_waiting_for_a_cut_off_call_waits_past_its_patience_until_it_is_cancelled() -> None:
    # a waits (1 s of patience) for c, cut off when recorded; c's task is cancelled only 5 s
    # later (its timeout): a goes on then, not when its patience has run out
    order = CompletionOrder({0: (1,)}, {1}, patience={0: 1.0})
    events: list[str] = []

    async def a() -> None:
        events.append(await order.answered(0, "a answered", None, True))

    async def main() -> None:
        cut = asyncio.ensure_future(order.cut_off(1, asyncio.Event().wait()))
        waiting = asyncio.ensure_future(a())
        await asyncio.sleep(5)
        cut.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cut
        events.append("c cancelled")
        await waiting

    _run_on_loop_time(main())
    assert events == ["c cancelled", "a answered"]


def test_a_call_waiting_for_a_cut_off_call_cancelled_before_its_first_step_waits_its_patience() -> (
    None
):
    # c's replay never ran (its task cancelled before its first step: never so through a
    # stand-in, whose coroutine runs it at once, in the same step as the call), so it is never
    # answered, nor counted as waiting to be cancelled again: a waits its patience, no more
    order = CompletionOrder({0: (1,)}, {1}, patience={0: 20.0})

    async def main() -> tuple[Any, float]:
        loop = asyncio.get_running_loop()
        cut = asyncio.ensure_future(order.cut_off(1, loop.create_future()))
        cut.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cut
        started = loop.time()
        # (bounded in loop time: a call waiting for ever fails here instead of hanging)
        answer = await asyncio.wait_for(order.answered(0, "a", None, True), 60)
        return answer, loop.time() - started

    answer, waited = _run_on_loop_time(main())
    assert answer == "a" and 20 <= waited < 25  # (loop time: a few reads past its patience)


def test_a_branch_is_delayed_from_its_first_waiting_call_on() -> None:
    # a1 (0..100) waits for b1 (20..120) to be made: its branch is delayed from there, so its
    # a2 (200..220), which waits for nothing itself, is late too; x (225..500), in a third task,
    # waits for a2 (the last call of that branch to end before it started) and b1 as well as for
    # the calls that ended while it ran, although a3 (230..300), a later call of a2's branch,
    # waits itself
    spans = [
        _span("a1", 0, 100),
        _span("b1", 20, 120),
        _span("a2", 200, 220),
        _span("a3", 230, 300),
        _span("b2", 240, 260),
        _span("x", 225, 500),
    ]
    a, b, c = "0/a#0", "0/b#0", "0/c#0"
    calls = [(0, a, "a1"), (1, b, "b1"), (2, a, "a2"), (3, a, "a3"), (4, b, "b2"), (5, c, "x")]
    assert _waits(calls, spans)[5] == (4, 3, 2, 1)


def test_a_call_given_up_on_when_recorded_keeps_its_order() -> None:
    # (concurrent.futures' CancelledError: a future given up on, not a call cut off; its span's
    # end is not when the call returned)
    given_up = _span("c", 0, 30, error={"type": "CancelledError", "module": "concurrent.futures"})
    plain = _span("p", 5, 10)
    assert completion_order([(0, "0/x#0", "c"), (1, "0/x#1", "p")], [given_up, plain]) is None


def test_a_call_waiting_for_a_cut_off_call_to_start_goes_on_once_it_is_made() -> None:
    # a waits (20 s of patience) for c to start; c, cut off when recorded, is made at once and
    # waits to be cancelled again: a goes on as it is made, not when its patience runs out
    order = CompletionOrder({}, set(), patience={0: 20.0}, starts={0: (1,)})

    async def main() -> tuple[Any, float]:
        loop = asyncio.get_running_loop()
        cut = asyncio.ensure_future(order.cut_off(1, asyncio.Event().wait()))
        started = loop.time()
        answer = await asyncio.wait_for(order.answered(0, "a", None, True), 60)
        waited = loop.time() - started
        cut.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cut
        return answer, waited

    answer, waited = _run_on_loop_time(main())
    assert answer == "a" and waited < 5


def test_a_call_waiting_for_a_cut_off_call_goes_on_once_it_is_cancelled_before_its_patience() -> (
    None
):
    # a waits (20 s of patience) for c, cut off when recorded, whose task is cancelled 5 s on:
    # a goes on then, not when its patience has run out
    order = CompletionOrder({0: (1,)}, {1}, patience={0: 20.0})

    async def main() -> float:
        loop = asyncio.get_running_loop()
        cut = asyncio.ensure_future(order.cut_off(1, asyncio.Event().wait()))
        waiting = asyncio.ensure_future(order.answered(0, "a", None, True))
        started = loop.time()
        await asyncio.sleep(5)
        cut.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cut
        assert await asyncio.wait_for(waiting, 60) == "a"
        return loop.time() - started

    assert _run_on_loop_time(main()) < 10
