"""Recording live calls of mock targets as typed spans (the record side of replay)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Generator
from typing import Any

from ..arguments import CallShape
from ..tracing.span import Span
from ..tracing.tracer import Tracer, _current_span, _SpanBlock
from .context import DeterministicExecutionContext
from .responses import ReplayCall, Transform
from .targets import PatchStack, Target, live_kind

TARGET_ATTRIBUTE = "clearstone.target"


def _identity(value: Any, where: str, target: str) -> Any:
    return value


class Recorder:
    """Patches targets so each live call runs for real and is recorded as a span.

    The call runs outside the deterministic context (``context.suspended()``): real clock, real
    randomness, nothing consumed from the seeded streams. Each span has the target's span type,
    the call's arguments by name as input, the return value (or the exception) as output and the
    target path in the ``clearstone.target`` attribute.
    """

    def __init__(
        self,
        tracer: Tracer,
        context: DeterministicExecutionContext | None = None,
        *,
        transform: Transform | None = None,
    ) -> None:
        self.tracer = tracer
        self.context = context
        self.transform = transform or _identity
        self.calls: list[ReplayCall] = []
        self._counts: dict[str, int] = {}

    def patch(self, target: Target, span_type: str, stack: PatchStack) -> None:
        """Replace ``target`` (until ``stack`` is undone) with a recording wrapper."""
        stack.setattr(target.owner, target.name, self._wrapper(target, span_type))

    def _open(self, target: Target, span_type: str, shape: CallShape, args: Any, kwargs: Any
              ) -> tuple[Span, _SpanBlock, ReplayCall]:  # fmt: skip
        span = self.tracer._new_span(
            target.path, span_type, {TARGET_ATTRIBUTE: target.path}, _current_span.get()
        )
        arguments = shape.bind(args, kwargs)
        span.set_input(self.transform(arguments, "input", target.path))
        number = self._counts[target.path] = self._counts.get(target.path, 0) + 1
        call = ReplayCall(target.path, number, arguments, span.span_id)
        self.calls.append(call)
        block = _SpanBlock(self.tracer, span)
        block.__enter__()
        return span, block, call

    def _close(self, span: Span, block: _SpanBlock, call: ReplayCall, result: Any,
               exc: BaseException | None, target: str) -> None:  # fmt: skip
        if exc is None:
            span.set_output(self.transform(result, "output", target))
            call.result = result
            block.__exit__(None, None, None)
        else:
            call.error = exc
            # a recorded exception goes through the redaction too (its message may quote a key)
            span.record_exception(exc)
            span._error = self.transform(span.error, "error", target)
            span.set_status("ERROR", self.transform(span.status_message, "error", target))
            block.__exit__(None, None, None)

    def _wrapper(self, target: Target, span_type: str) -> Any:
        fn = target.function
        shape = CallShape(fn, skip_first=target.is_method)
        kind = live_kind(target)
        rec = self
        suspended = self.context.suspended if self.context is not None else _null

        # A call made inside another recorded call (same task) is not recorded: replay answers
        # the outer call without running its body, so the inner one never happens there.
        nested = _in_recorded_call.get

        if kind == "sync":

            def stub(*args: Any, **kwargs: Any) -> Any:
                if nested():
                    return fn(*args, **kwargs)
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                    token = _in_recorded_call.set(True)
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:
                        rec._close(span, block, call, None, exc, target.path)
                        raise
                    finally:
                        _in_recorded_call.reset(token)
                    rec._close(span, block, call, result, None, target.path)
                    return result

        elif kind == "async":

            async def stub(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc,unused-ignore]
                if nested():
                    return await fn(*args, **kwargs)
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                token = _in_recorded_call.set(True)
                try:
                    result = await _run_live(fn(*args, **kwargs), suspended)
                except BaseException as exc:
                    with suspended():
                        rec._close(span, block, call, None, exc, target.path)
                    raise
                finally:
                    _in_recorded_call.reset(token)
                with suspended():
                    rec._close(span, block, call, result, None, target.path)
                return result

        elif kind == "gen":

            def stub(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc,unused-ignore]
                if nested():
                    yield from fn(*args, **kwargs)
                    return
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                    token = _in_recorded_call.set(True)
                    try:
                        chunks = list(fn(*args, **kwargs))
                    except BaseException as exc:
                        rec._close(span, block, call, None, exc, target.path)
                        raise
                    finally:
                        _in_recorded_call.reset(token)
                    rec._close(span, block, call, chunks, None, target.path)
                yield from chunks

        else:

            async def stub(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc,unused-ignore]
                if nested():
                    async for chunk in fn(*args, **kwargs):
                        yield chunk
                    return
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                token = _in_recorded_call.set(True)
                chunks = []
                try:
                    agen = fn(*args, **kwargs)
                    while True:
                        try:
                            chunks.append(await _run_live(agen.__anext__(), suspended))
                        except StopAsyncIteration:
                            break
                except BaseException as exc:
                    with suspended():
                        rec._close(span, block, call, None, exc, target.path)
                    raise
                finally:
                    _in_recorded_call.reset(token)
                with suspended():
                    rec._close(span, block, call, chunks, None, target.path)
                for chunk in chunks:
                    yield chunk

        wrapped: Any = functools.wraps(fn)(stub)
        wrapped.__clearstone_target__ = target.path
        if target.kind == "staticmethod":
            return staticmethod(wrapped)
        if target.kind == "classmethod":
            return classmethod(wrapped)
        return wrapped


_in_recorded_call: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clearstone_in_recorded_call", default=False
)


class _Pass:
    """Hands what one step of a live coroutine yielded (a future, or ``None``) to the event
    loop, outside the suspension of the deterministic context."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield self.item)


async def _run_live(coro: Any, suspended: Any) -> Any:
    """Await ``coro`` with only its own steps under the real clock and random state.

    While it waits, the event loop runs the agent's other tasks, and they keep seeing the frozen
    clock and the seeded streams, as they do on replay.
    """
    send: Any = None
    error: BaseException | None = None
    while True:
        with suspended():
            try:
                item = coro.send(send) if error is None else coro.throw(error)
            except StopIteration as stop:
                return stop.value
        try:
            send, error = await _Pass(item), None
        except BaseException as exc:  # e.g. cancellation: deliver it to the live coroutine
            send, error = None, exc


class _NullContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def _null() -> _NullContext:
    return _NullContext()
