"""Recording live calls of mock targets as typed spans (the record side of replay)."""

from __future__ import annotations

import functools
from typing import Any

from ..calls import CallShape
from ..observability.span import Span
from ..observability.tracer import Tracer, _current_span, _SpanBlock
from .context import DeterministicExecutionContext
from .patching import PatchStack, Target, live_kind
from .responses import ReplayCall, Transform

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

        if kind == "sync":

            def stub(*args: Any, **kwargs: Any) -> Any:
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:
                        rec._close(span, block, call, None, exc, target.path)
                        raise
                    rec._close(span, block, call, result, None, target.path)
                    return result

        elif kind == "async":

            async def stub(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc,unused-ignore]
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                    try:
                        result = await fn(*args, **kwargs)
                    except BaseException as exc:
                        rec._close(span, block, call, None, exc, target.path)
                        raise
                    rec._close(span, block, call, result, None, target.path)
                    return result

        elif kind == "gen":

            def stub(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc,unused-ignore]
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                    try:
                        chunks = list(fn(*args, **kwargs))
                    except BaseException as exc:
                        rec._close(span, block, call, None, exc, target.path)
                        raise
                    rec._close(span, block, call, chunks, None, target.path)
                yield from chunks

        else:

            async def stub(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc,unused-ignore]
                with suspended():
                    span, block, call = rec._open(target, span_type, shape, args, kwargs)
                    try:
                        chunks = [c async for c in fn(*args, **kwargs)]
                    except BaseException as exc:
                        rec._close(span, block, call, None, exc, target.path)
                        raise
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


class _NullContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def _null() -> _NullContext:
    return _NullContext()
