"""The tracer: opens spans, tracks the current span in a ``contextvars`` variable."""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ..arguments import CallShape, is_method_like
from .span import (
    _PERF0,
    _PLAIN_TYPES,
    _WALL0,
    Span,
    _perf_counter_ns,
    new_span_id,
    new_trace_id,
    now_ns,
    start_span,
)

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
    """Opens and closes a span as a context manager (for spans made by ``Tracer._new_span``)."""

    __slots__ = ("_enqueue", "_span", "_token")

    def __init__(self, tracer: Tracer, span: Span) -> None:
        self._enqueue = tracer._enqueue
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
        _finish(span, exc)
        self._enqueue(span)


def _finish(span: Span, exc: BaseException | None) -> None:
    if exc is not None:
        span.record_exception(exc)
    elif not span._status_set:
        span.status = "OK"
    attrs = span.attributes
    if attrs and not _PLAIN_TYPES.issuperset(map(type, attrs.values())):
        span._freeze_attributes()
    span.end_time_ns = _WALL0 + (_perf_counter_ns() - _PERF0)


class _LiveSpan(Span):
    """The span :meth:`Tracer.span` returns: it is its own context manager (one object per
    span on the hot path). Copied or pickled, it becomes a plain :class:`Span`."""

    __slots__ = ("_enqueue", "_token")

    _enqueue: Callable[[Span], None]
    _token: contextvars.Token[Span | None]

    def __enter__(self) -> Span:
        self._enqueue(self)  # queued open, so a read before it ends sees it
        self._token = _set_current(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            _reset_current(self._token)
        except ValueError:  # exited in another context (e.g. a generator moved threads)
            _set_current(None)
        # _finish() inlined: this is the per-span hot path
        if exc is not None:
            self.record_exception(exc)
        elif not self._status_set:
            self.status = "OK"
        attrs = self.attributes
        if attrs and not _PLAIN_TYPES.issuperset(map(type, attrs.values())):
            self._freeze_attributes()
        self.end_time_ns = _WALL0 + (_perf_counter_ns() - _PERF0)
        self._enqueue(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_plain_span, ({k: getattr(self, k) for k in _SPAN_FIELDS},))


_SPAN_FIELDS = tuple(k for k in Span.__slots__ if k != "__weakref__")


def _plain_span(fields: dict[str, Any]) -> Span:
    span: Span = object.__new__(Span)
    for key, value in fields.items():
        setattr(span, key, value)
    return span


_get_current = _current_span.get
_set_current = _current_span.set
_reset_current = _current_span.reset
_new_object = object.__new__


class Tracer:
    """Creates spans for one instrumented component; get one from
    :meth:`TracerProvider.get_tracer`."""

    def __init__(self, provider: TracerProvider, name: str, version: str | None = None) -> None:
        self._provider = provider
        self._enqueue = provider._enqueue
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
    ) -> _LiveSpan:
        """Open a span for the ``with`` block and yield it.

        Without an open parent span (in this task or thread) the span starts a new trace.
        An exception leaving the block marks the span ``ERROR`` and propagates.
        """
        # span.start_span() inlined (the per-span hot path): keep the two in step
        span: _LiveSpan = _new_object(_LiveSpan)
        parent = _get_current()
        if parent is None:
            span.trace_id = new_trace_id()
            span.parent_span_id = None
        else:
            span.trace_id = parent.trace_id
            span.parent_span_id = parent.span_id
        span.span_id = new_span_id()
        span.name = name
        span.span_type = span_type
        span.attributes = dict(attributes) if attributes else {}
        span.start_time_ns = _WALL0 + (_perf_counter_ns() - _PERF0)
        span.end_time_ns = None
        span.status = "UNSET"
        span.status_message = None
        span._input = None
        span._output = None
        span._error = None
        span.instrumentation_name = self.name
        span.instrumentation_version = self.version
        span.seq = self._next_seq()
        span._status_set = False
        span._attrs_tree = None
        span._enqueue = self._enqueue
        return span

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
