"""The tracer: opens spans, tracks the current span in a ``contextvars`` variable."""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ..calls import CallShape, is_method_like
from .span import Span, new_span_id, new_trace_id, now_ns, start_span

if TYPE_CHECKING:
    from .provider import TracerProvider

F = TypeVar("F", bound=Callable[..., Any])

_current_span: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "clearstone_current_span", default=None
)


def current_span() -> Span | None:
    """The span open in the current context (task, thread), or ``None``."""
    return _current_span.get()


class _SpanBlock:
    """The context manager returned by :meth:`Tracer.span`."""

    __slots__ = ("_enqueue", "_span", "_token")

    def __init__(self, tracer: Tracer, span: Span) -> None:
        self._enqueue = tracer._provider._enqueue
        self._span = span
        self._token: contextvars.Token[Span | None] | None = None

    def __enter__(self) -> Span:
        span = self._span
        self._enqueue(span)  # queued open, so a read before it ends sees it
        self._token = _set_current(span)
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        if self._token is not None:
            try:
                _reset_current(self._token)
            except ValueError:  # exited in another context (e.g. a generator moved threads)
                _set_current(None)
        if exc is not None:
            span.record_exception(exc)
        elif not span._status_set:
            span.status = "OK"
        if span.attributes:
            span._freeze_attributes()
        span.end_time_ns = now_ns()
        self._enqueue(span)


_get_current = _current_span.get
_set_current = _current_span.set
_reset_current = _current_span.reset


class Tracer:
    """Creates spans for one instrumented component; get one from
    :meth:`TracerProvider.get_tracer`."""

    def __init__(self, provider: TracerProvider, name: str, version: str | None = None) -> None:
        self._provider = provider
        self._next_seq = provider._seq.__next__
        self.name = name
        self.version = version

    def _new_span(
        self,
        name: str,
        span_type: str | None,
        attributes: dict[str, Any] | None,
        parent: Span | None,
    ) -> Span:
        if parent is None:
            trace_id, parent_id = new_trace_id(), None
        else:
            trace_id, parent_id = parent.trace_id, parent.span_id
        return start_span(
            trace_id, new_span_id(), parent_id, name, span_type,
            dict(attributes) if attributes else {}, now_ns(), self.name, self.version,
            self._next_seq(),
        )  # fmt: skip

    def span(
        self,
        name: str,
        *,
        span_type: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> _SpanBlock:
        """Open a span for the ``with`` block and yield it.

        Without an open parent span (in this task or thread) the span starts a new trace.
        An exception leaving the block marks the span ``ERROR`` and propagates.
        """
        parent = _get_current()
        if parent is None:
            trace_id, parent_id = new_trace_id(), None
        else:
            trace_id, parent_id = parent.trace_id, parent.span_id
        span = start_span(
            trace_id, new_span_id(), parent_id, name, span_type,
            dict(attributes) if attributes else {}, now_ns(), self.name, self.version,
            self._next_seq(),
        )  # fmt: skip
        return _SpanBlock(self, span)

    def traced(self, span_type: str | None = None, name: str | None = None) -> Callable[[F], F]:
        """Decorator recording every call of a function as a span.

        The span's input is the call's arguments by name (``self``/``cls`` left out); its output
        is the return value, for generators and async generators the list of yielded chunks. An
        exception is recorded and re-raised. Works on sync, async, generator and async generator
        functions.
        """

        def decorate(fn: F) -> F:
            span_name = name or fn.__qualname__
            shape = CallShape(fn, skip_first=is_method_like(fn))
            tracer = self

            if inspect.isasyncgenfunction(fn):

                @functools.wraps(fn)
                async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                    span = tracer._new_span(span_name, span_type, None, _current_span.get())
                    span.set_input(shape.bind(args, kwargs))
                    block = _SpanBlock(tracer, span)
                    tracer._provider._enqueue(span)
                    chunks: list[Any] = []
                    gen = fn(*args, **kwargs)
                    try:
                        while True:
                            token = _current_span.set(span)
                            try:
                                chunk = await gen.__anext__()
                            except StopAsyncIteration:
                                break
                            finally:
                                _current_span.reset(token)
                            chunks.append(chunk)
                            yield chunk
                    except GeneratorExit:  # the consumer stopped early: not an error
                        span.set_output(chunks)
                        await gen.aclose()
                        block.__exit__(None, None, None)
                        raise
                    except BaseException as exc:
                        span.set_output(chunks)
                        await gen.aclose()
                        block.__exit__(type(exc), exc, exc.__traceback__)
                        raise
                    span.set_output(chunks)
                    block.__exit__(None, None, None)

                return agen_wrapper  # type: ignore[return-value]

            if inspect.isgeneratorfunction(fn):

                @functools.wraps(fn)
                def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
                    span = tracer._new_span(span_name, span_type, None, _current_span.get())
                    span.set_input(shape.bind(args, kwargs))
                    block = _SpanBlock(tracer, span)
                    tracer._provider._enqueue(span)
                    chunks: list[Any] = []
                    gen = fn(*args, **kwargs)
                    try:
                        while True:
                            token = _current_span.set(span)
                            try:
                                chunk = next(gen)
                            except StopIteration:
                                break
                            finally:
                                _current_span.reset(token)
                            chunks.append(chunk)
                            yield chunk
                    except GeneratorExit:  # the consumer stopped early: not an error
                        span.set_output(chunks)
                        gen.close()
                        block.__exit__(None, None, None)
                        raise
                    except BaseException as exc:
                        span.set_output(chunks)
                        gen.close()
                        block.__exit__(type(exc), exc, exc.__traceback__)
                        raise
                    span.set_output(chunks)
                    block.__exit__(None, None, None)

                return gen_wrapper  # type: ignore[return-value]

            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                    with tracer.span(span_name, span_type=span_type) as span:
                        span.set_input(shape.bind(args, kwargs))
                        result = await fn(*args, **kwargs)
                        span.set_output(result)
                        return result

                return async_wrapper  # type: ignore[return-value]

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with tracer.span(span_name, span_type=span_type) as span:
                    span.set_input(shape.bind(args, kwargs))
                    result = fn(*args, **kwargs)
                    span.set_output(result)
                    return result

            return wrapper  # type: ignore[return-value]

        return decorate

    def __repr__(self) -> str:
        return f"<Tracer {self.name!r} version={self.version!r}>"
