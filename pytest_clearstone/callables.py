"""Wrapping a callable of any of four kinds — written once.

The tracer's ``traced`` decorator, the recorder and the replay stand-ins all put code around a
call of a function that may be plain, a coroutine function, a generator function or an async
generator function. :func:`kind_of` decides which (seeing through decorators with
:func:`inspect.unwrap`); :func:`wrap` builds the wrapper of that kind around an :class:`Around`,
whose four methods are the only thing the three users write:

- ``begin(args, kwargs)``: before the call; returns a token, or :data:`PASS` to call the
  original untouched (no recording, no span);
- ``source(token, fn, args, kwargs)``: make the call — ``fn(*args, **kwargs)`` for a live call,
  the recorded answer for a stand-in (a value, a list of chunks, an awaitable);
- ``step(token, advance)``: run one step of the call (making it, one ``send`` of a coroutine,
  one ``next`` of a generator) in the call's environment, e.g. the real clock or its span as the
  current span;
- ``end(token, outcome, error)``: after it, with the result (for generators the list of chunks
  yielded so far) or the exception; returns what the caller gets (usually ``outcome``).

A generator is wrapped lazily: chunks are handed on as they come, and a consumer that stops
early ends the call with the chunks it took.

An ``Around`` whose ``begin`` returns a callable token (or :data:`PASS`), whose ``source`` only
calls that token with ``(args, kwargs)``, whose ``step`` only advances and whose ``end`` only
returns the outcome may say so with a true ``transparent`` attribute: a plain function's wrapper
then calls the token directly (a replay stand-in answers every call of a golden that way).

:func:`held_functions` finds the functions an object that is not itself a function holds (a
LangChain tool's ``func``): the calls of such an object are those functions'.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import sys
import weakref
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from functools import partial
from types import MethodType, ModuleType
from typing import Any, Protocol, TypeVar


class Kind(enum.Enum):
    """What calling a function gives: a value, a coroutine, a generator or an async generator."""

    SYNC = "sync"
    ASYNC = "async"
    GEN = "gen"
    ASYNCGEN = "asyncgen"


def kind_of(fn: Callable[..., Any]) -> Kind:
    """The kind of ``fn``, looking through ``functools.wraps`` decorators to the function that
    does the work (an SDK's ``async def`` wrapped in a plain decorator is a coroutine function).

    A bound method's kind is its function's, remembered per function (a golden suite runs the
    same agent method in every test, each time through a new bound method)."""
    func = getattr(fn, "__func__", None)
    if func is None or type(fn) is not MethodType:
        return _kind(fn)
    try:
        found = _method_kinds.get(func)
    except TypeError:  # not hashable or weakly referenceable
        return _kind(fn)
    if found is None:
        found = _method_kinds[func] = _kind(func)
    return found


_method_kinds: weakref.WeakKeyDictionary[Any, Kind] = weakref.WeakKeyDictionary()


def _kind(fn: Callable[..., Any]) -> Kind:
    if inspect.isasyncgenfunction(fn):
        return Kind.ASYNCGEN
    if inspect.isgeneratorfunction(fn):
        return Kind.GEN
    if inspect.iscoroutinefunction(fn):
        return Kind.ASYNC
    inner: Any = fn
    with contextlib.suppress(ValueError):  # a __wrapped__ cycle: decide on fn itself
        inner = inspect.unwrap(fn)
    # only a coroutine function is seen through: a plain wrapper around a generator function
    # makes something else of it (``contextlib.contextmanager``: a context manager)
    return Kind.ASYNC if inspect.iscoroutinefunction(inner) else Kind.SYNC


_F = TypeVar("_F", bound=Callable[..., Any])

#: returned by :meth:`Around.begin` to call the original function untouched
PASS: Any = object()


class Around(Protocol):
    """What a wrapper made by :func:`wrap` does around each call (see the module docstring)."""

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...

    def source(
        self, token: Any, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...

    def step(self, token: Any, advance: Callable[[], Any]) -> Any: ...

    def end(self, token: Any, outcome: Any, error: BaseException | None) -> Any: ...


def wrap(fn: Callable[..., Any], around: Around, kind: Kind | None = None) -> Any:
    """A function with ``fn``'s name, signature and kind that runs ``around`` around each call
    of ``fn`` (``kind`` defaults to :func:`kind_of`)."""
    kind = kind_of(fn) if kind is None else kind
    wrapper: Any
    if kind is Kind.SYNC and getattr(around, "transparent", False):
        wrapper = _transparent_sync_wrapper(fn, around)
    elif kind is Kind.SYNC:
        wrapper = _sync_wrapper(fn, around)
    elif kind is Kind.ASYNC:
        wrapper = _async_wrapper(fn, around)
    elif kind is Kind.GEN:
        wrapper = _gen_wrapper(fn, around)
    else:
        wrapper = _asyncgen_wrapper(fn, around)
    try:
        wrapper = functools.wraps(fn)(wrapper)
    except (AttributeError, TypeError):  # builtins without __dict__ etc.
        wrapper.__wrapped__ = fn
    return wrapper


def named_after(wrapper: _F, original: Callable[..., Any]) -> _F:
    """``wrapper`` named and documented as ``original``, with ``__wrapped__`` pointing at it:
    what ``functools.wraps`` does that matters for a patch made per test or per original, for
    a fraction of its cost."""
    wrapper.__name__ = wrapper.__qualname__ = original.__name__
    wrapper.__doc__ = original.__doc__
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    return wrapper


def as_descriptor(fn: Any, descriptor: str) -> Any:
    """``fn`` wrapped again as a ``"staticmethod"`` or ``"classmethod"`` where the original
    was one (anything else: ``fn`` itself)."""
    if descriptor == "staticmethod":
        return staticmethod(fn)
    if descriptor == "classmethod":
        return classmethod(fn)
    return fn


def _sync_wrapper(fn: Callable[..., Any], around: Around) -> Callable[..., Any]:
    begin, source, step, end = around.begin, around.source, around.step, around.end

    def call(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        token = begin(args, kwargs)
        if token is PASS:
            return fn(*args, **kwargs)
        try:
            result = step(token, partial(source, token, fn, args, kwargs))
        except BaseException as exc:
            end(token, None, exc)
            raise
        return end(token, result, None)

    return call


def _transparent_sync_wrapper(fn: Callable[..., Any], around: Around) -> Callable[..., Any]:
    begin = around.begin

    def call(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        token = begin(args, kwargs)
        if token is PASS:
            return fn(*args, **kwargs)
        return token(args, kwargs)

    return call


def _async_wrapper(fn: Callable[..., Any], around: Around) -> Callable[..., Any]:
    begin, source, step, end = around.begin, around.source, around.step, around.end

    async def call(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        token = begin(args, kwargs)
        if token is PASS:
            return await fn(*args, **kwargs)
        try:
            awaitable = step(token, partial(source, token, fn, args, kwargs))
            result = await drive(awaitable, partial(step, token))
        except BaseException as exc:
            end(token, None, exc)
            raise
        return end(token, result, None)

    return call


def _gen_wrapper(fn: Callable[..., Any], around: Around) -> Callable[..., Any]:
    begin, source, step, end = around.begin, around.source, around.step, around.end

    def call(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        __tracebackhide__ = True
        token = begin(args, kwargs)
        if token is PASS:
            return (yield from fn(*args, **kwargs))
        chunks: list[Any] = []
        iterator: Iterator[Any] | None = None
        try:
            iterator = iter(step(token, partial(source, token, fn, args, kwargs)))
            advance: Callable[[], Any] = iterator.__next__
            next_chunk = advance
            while True:
                try:
                    chunk = step(token, advance)
                except StopIteration as stop:
                    result = stop.value
                    break
                chunks.append(chunk)
                # as `yield from` would: a value the consumer gives by send() is sent on, an
                # exception it gives by throw() thrown in (a recorded list of chunks takes
                # neither: it is only advanced, or the exception raised here)
                try:
                    sent = yield chunk
                except GeneratorExit:
                    raise
                except BaseException as thrown:
                    throw = getattr(iterator, "throw", None)
                    if throw is None:
                        raise
                    advance = partial(throw, thrown)
                else:
                    advance = next_chunk
                    if sent is not None and hasattr(iterator, "send"):
                        advance = partial(iterator.send, sent)
        except GeneratorExit:  # the consumer stopped early: not an error
            _close(iterator, step, token)
            end(token, chunks, None)
            raise
        except BaseException as exc:
            _close(iterator, step, token)
            end(token, chunks, exc)
            raise
        end(token, chunks, None)
        return result

    return call


def _asyncgen_wrapper(fn: Callable[..., Any], around: Around) -> Callable[..., Any]:
    begin, source, step, end = around.begin, around.source, around.step, around.end

    async def call(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        __tracebackhide__ = True
        token = begin(args, kwargs)
        if token is PASS:
            async for chunk in fn(*args, **kwargs):
                yield chunk
            return
        chunks: list[Any] = []
        iterator: Any = None
        try:
            produced = step(token, partial(source, token, fn, args, kwargs))
            iterator = produced.__aiter__() if hasattr(produced, "__aiter__") else None
            if iterator is None:  # a stand-in's recorded list of chunks
                await pass_control()
                for chunk in produced:
                    chunks.append(chunk)
                    yield chunk
            else:
                advance = next_chunk = iterator.__anext__
                while True:
                    try:
                        chunk = await drive(advance(), partial(step, token))
                    except StopAsyncIteration:
                        break
                    chunks.append(chunk)
                    # as for a generator: asend() and athrow() are passed on
                    try:
                        sent = yield chunk
                    except GeneratorExit:
                        raise
                    except BaseException as thrown:
                        athrow = getattr(iterator, "athrow", None)
                        if athrow is None:
                            raise
                        advance = partial(athrow, thrown)
                    else:
                        advance = next_chunk
                        if sent is not None and hasattr(iterator, "asend"):
                            advance = partial(iterator.asend, sent)
        except GeneratorExit:
            if iterator is not None:
                await drive(iterator.aclose(), partial(step, token))
            end(token, chunks, None)
            raise
        except BaseException as exc:
            end(token, chunks, exc)
            raise
        end(token, chunks, None)

    return call


def _close(iterator: Any, step: Callable[[Any, Callable[[], Any]], Any], token: Any) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        step(token, close)


class _Pass:
    """Hands what one step of a driven coroutine yielded (a future, or ``None``) to the event
    loop, outside the step's environment."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item

    def __await__(self) -> Generator[Any, Any, Any]:
        __tracebackhide__ = True  # (a failure shows the agent's frames, not the driver's)
        return (yield self.item)


async def drive(awaitable: Any, step: Callable[[Callable[[], Any]], Any]) -> Any:
    """Await ``awaitable`` running each of its steps through ``step``.

    While it waits, the event loop runs other tasks outside the step's environment (for the
    recorder: they keep seeing the frozen clock while the live call runs on the real one).
    A value that is not awaitable (a stand-in's recorded answer) is returned after letting the
    loop run other tasks once, as a live call would.
    """
    __tracebackhide__ = True
    if not inspect.isawaitable(awaitable):
        await pass_control()
        return awaitable
    coro = awaitable if inspect.iscoroutine(awaitable) else awaitable.__await__()
    send: Any = None
    error: BaseException | None = None
    while True:
        try:
            if error is None:
                item = step(partial(coro.send, send))
            else:
                item = step(partial(coro.throw, error))
        except StopIteration as stop:
            return stop.value
        try:
            send, error = await _Pass(item), None
        except BaseException as exc:  # e.g. cancellation: deliver it to the driven coroutine
            send, error = None, exc


async def pass_control() -> None:
    """Let the event loop run other tasks once, as a live call that awaits I/O would: tasks
    gathered by the agent then interleave on replay as they did when recorded."""
    asyncio = sys.modules.get("asyncio")  # not imported up front: it costs ~20 ms to import
    if asyncio is None:  # so no asyncio loop can be running
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # another event loop library: leave the scheduling to it
        return
    await asyncio.sleep(0)


def held_functions(obj: Any) -> list[tuple[str, Callable[..., Any]]]:
    """``[(attribute, function)]`` for the Python functions ``obj`` holds in its own attributes
    (not its dunders: a decorator's ``__wrapped__``)."""
    own = getattr(obj, "__dict__", None)
    if not isinstance(own, dict) or isinstance(obj, (type, ModuleType)):
        return []
    return [
        (name, value)
        for name, value in own.items()
        if inspect.isfunction(value) and not (name.startswith("__") and name.endswith("__"))
    ]
