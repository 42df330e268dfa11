"""kind_of: the kind of a callable, seeing through decorators only where the call's result is
the inner function's; wrap keeps each kind."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest

from pytest_clearstone.callables import PASS, Kind, kind_of, wrap


def _plain_decorator(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # returns what fn returns (a coroutine)
        return fn(*args, **kwargs)

    return wrapper


@_plain_decorator
async def _sdk_style_create(x: int) -> int:
    return x + 1


@contextlib.contextmanager
def _managed() -> Iterator[int]:
    yield 1


@contextlib.asynccontextmanager
async def _amanaged() -> AsyncIterator[int]:
    yield 1


def _gen() -> Iterator[int]:
    yield 1


async def _agen() -> AsyncIterator[int]:
    yield 1


def test_kinds() -> None:
    assert kind_of(len) is Kind.SYNC
    assert kind_of(_gen) is Kind.GEN
    assert kind_of(_agen) is Kind.ASYNCGEN
    # an SDK's plain decorator around async def: a coroutine function
    assert kind_of(_sdk_style_create) is Kind.ASYNC
    # a context manager made from a generator is not a generator: its call returns a manager
    assert kind_of(_managed) is Kind.SYNC
    assert kind_of(_amanaged) is Kind.SYNC


class _Counting:
    def __init__(self) -> None:
        self.ended: list[Any] = []

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return None if args != ("skip",) else PASS

    def source(self, token: Any, fn: Any, args: Any, kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def step(self, token: Any, advance: Any) -> Any:
        return advance()

    def end(self, token: Any, outcome: Any, error: BaseException | None) -> Any:
        self.ended.append(outcome)
        return outcome


def test_wrap_keeps_the_kind_and_sees_the_outcome() -> None:
    around = _Counting()
    assert asyncio.run(wrap(_sdk_style_create, around)(1)) == 2
    assert list(wrap(_gen, around)()) == [1]
    with wrap(_managed, around)() as value:  # a context manager stays one
        assert value == 1
    assert around.ended[:2] == [2, [1]]
    assert wrap(lambda x: x, around)("skip") == "skip"  # PASS: the original, untouched
    assert len(around.ended) == 3


class _Transparent(_Counting):
    """Says its source only calls its token, and its step and end add nothing: a plain
    function's wrapper calls the token and skips them."""

    transparent = True

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args == ("skip",):
            return PASS
        return lambda args, kwargs: 3 * args[0]  # (not the original's answer: seen called)

    def source(self, token: Any, fn: Any, args: Any, kwargs: Any) -> Any:
        raise AssertionError("source called for a plain function")

    def step(self, token: Any, advance: Any) -> Any:
        raise AssertionError("step called for a plain function")

    def end(self, token: Any, outcome: Any, error: BaseException | None) -> Any:
        self.ended.append(outcome)  # other kinds still end their calls
        return outcome


def test_a_transparent_around_calls_the_token_of_a_plain_function_directly() -> None:
    around = _Transparent()

    def double(x: int) -> int:
        return 2 * x

    wrapped = wrap(double, around)
    assert wrapped(4) == 12 and wrapped("skip") == "skipskip"  # PASS: the original
    assert wrapped.__wrapped__ is double and wrapped.__name__ == "double"
    assert around.ended == []
    with pytest.raises(AssertionError, match="step called"):  # other kinds step as before
        list(wrap(_gen, around)())


def test_named_after_gives_a_wrapper_the_original_s_name_doc_and_wrapped() -> None:
    from pytest_clearstone.callables import named_after

    def original() -> None:
        """The original's doc."""

    def wrapper() -> None:
        pass

    assert named_after(wrapper, original) is wrapper
    assert (wrapper.__name__, wrapper.__qualname__) == ("original", "original")
    assert wrapper.__doc__ == "The original's doc."
    assert wrapper.__wrapped__ is original  # type: ignore[attr-defined]


class _Stepping(_Counting):
    """Notes each step's start and finish and each end, as the recorder's environment would."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def step(self, token: Any, advance: Any) -> Any:
        self.events.append("step")
        try:
            return advance()
        finally:
            self.events.append("stepped")

    def end(self, token: Any, outcome: Any, error: BaseException | None) -> Any:
        self.events.append(f"end {outcome}")
        return outcome


def test_a_generator_its_consumer_stops_early_is_closed_in_a_step_before_the_call_ends() -> None:
    # (its cleanup runs in the call's environment, as its chunks did: the recorder's real clock)
    events: list[str] = []

    def chunks() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            events.append("cleanup")

    stream = wrap(chunks, _Stepping(events))()
    assert next(stream) == 1
    events.clear()
    stream.close()
    assert events == ["step", "cleanup", "stepped", "end [1]"]


class _Answering(_Counting):
    """Answers each call with a recorded value (not awaitable), as a replay stand-in does."""

    def source(self, token: Any, fn: Any, args: Any, kwargs: Any) -> Any:
        return ["chunk"] if fn.__name__ == "_agen" else "answer"


def test_an_answered_async_call_lets_other_tasks_run_as_a_live_call_would() -> None:
    # tasks gathered by the agent interleave on replay as they did when recorded
    async def call() -> str:
        raise AssertionError("the original is not called")

    wrapped_call, wrapped_stream = wrap(call, _Answering()), wrap(_agen, _Answering())

    async def agent(name: str, events: list[str], streamed: bool) -> None:
        events.append(f"{name} calls")
        if streamed:
            assert [chunk async for chunk in wrapped_stream()] == ["chunk"]
        else:
            assert await wrapped_call() == "answer"
        events.append(f"{name} answered")

    async def main(streamed: bool) -> list[str]:
        events: list[str] = []
        await asyncio.gather(agent("a", events, streamed), agent("b", events, streamed))
        return events

    for streamed in (False, True):
        assert asyncio.run(main(streamed)) == ["a calls", "b calls", "a answered", "b answered"]


def test_a_cancelled_async_call_is_cancelled_inside_the_call_and_ended_with_it() -> None:
    events: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            events.append("cancelled inside")
            raise

    around = _Stepping(events)
    around.end = lambda token, outcome, error: events.append(f"end {type(error).__name__}")  # type: ignore[method-assign]

    async def main() -> None:
        task = asyncio.ensure_future(wrap(slow, around)())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert events[-3:] == ["cancelled inside", "stepped", "end CancelledError"]


def test_an_async_generator_its_consumer_stops_early_is_closed_in_a_step() -> None:
    events: list[str] = []

    async def chunks() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            events.append("cleanup")

    async def main() -> None:
        stream = wrap(chunks, _Stepping(events))()
        assert await stream.__anext__() == 1
        events.clear()
        await stream.aclose()

    asyncio.run(main())
    assert events == ["step", "cleanup", "stepped", "end [1]"]


def test_a_generator_called_untouched_gives_its_return_value_to_yield_from() -> None:
    # (PASS: a stand-in kept by user code after its patch ended calls the original)
    def chunks(mode: str) -> Generator[int, None, str]:
        yield 1
        return "done"

    wrapped = wrap(chunks, _Counting())

    def consumer() -> Iterator[Any]:
        result = yield from wrapped("skip")
        yield result

    assert list(consumer()) == [1, "done"]


def test_a_callable_whose_wrapped_chain_loops_is_of_its_own_kind_and_wraps() -> None:
    # (a decorator that set __wrapped__ to the function itself: no inner function to find)
    def looped(x: int) -> int:
        return x + 1

    looped.__wrapped__ = looped  # type: ignore[attr-defined]
    assert kind_of(looped) is Kind.SYNC
    assert wrap(looped, _Counting())(1) == 2


class _Chunks(_Counting):
    """Answers a generator's call with a recorded list of chunks, as a replay stand-in does."""

    def source(self, token: Any, fn: Any, args: Any, kwargs: Any) -> Any:
        return ["first", "second"]


def test_a_value_sent_into_a_generator_answered_with_recorded_chunks_gives_the_next() -> None:
    # (the live generator took the value when recorded; the recorded chunks come as they came)
    around = _Chunks()
    stream = wrap(_gen, around)()
    assert next(stream) == "first"
    assert stream.send("more") == "second"
    with pytest.raises(StopIteration):
        stream.send("more")
    assert around.ended == [["first", "second"]]


def test_an_answered_async_call_runs_under_another_event_loop_library() -> None:
    # (trio: no asyncio loop runs, and its scheduling is left to it)
    trio = pytest.importorskip("trio")

    async def call() -> str:
        raise AssertionError("the original is not called")

    assert trio.run(wrap(call, _Answering())) == "answer"
