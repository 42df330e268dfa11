"""The tracer: opens spans, tracks the current span in a ``contextvars`` variable."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ..arguments import binder, is_method_like
from ..callables import Kind, as_descriptor, kind_of, wrap
from .span import Recorded, Span, init_slots, new_span_id, new_trace_id, now_ns

if TYPE_CHECKING:
    from .provider import TracerProvider

F = TypeVar("F", bound=Callable[..., Any])

_current_span: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "clearstone_current_span", default=None
)


def current_span() -> Span | None:
    """The span open in the current context (task, thread), or ``None``."""
    return _current_span.get()


def use_span(span: Span | None) -> contextvars.Token[Span | None]:
    """Make ``span`` the current span of this context; undo with :func:`restore_span`."""
    return _current_span.set(span)


def restore_span(token: contextvars.Token[Span | None], span: Span) -> None:
    """Undo the :func:`use_span` that made ``span`` current and gave ``token``. Exited in
    another context (a generator that moved threads or tasks), ``span`` is no longer current
    there if it was (the span before it is); a span of that context stays current."""
    try:
        _current_span.reset(token)
    except ValueError:
        if _current_span.get() is span:
            before = token.old_value
            _current_span.set(None if before is contextvars.Token.MISSING else before)


class LiveSpan(Span):
    """A span being recorded: :meth:`Tracer.span` returns it. As a context manager it is the
    current span for the block; :meth:`open` and :meth:`close` record it without making it
    current (for calls that run in steps). Copied or pickled, it becomes a plain :class:`Span`.
    """

    __slots__ = ("_submit", "_token")

    _submit: Callable[[Span], None]
    _token: contextvars.Token[Span | None]

    def open(self) -> None:
        """Queue the span as open (a read of the store before it ends sees it)."""
        self._submit(self)

    def close(self, exc: BaseException | None = None) -> None:
        """End the span (:meth:`Span.finish`) and queue it for writing."""
        self.finish(exc)
        self._submit(self)

    def __call__(self, fn: Any) -> Any:
        """``@tracer.span(...)`` written as a decorator (OpenTelemetry's
        ``start_as_current_span`` is one): refused, naming the decorator that is."""
        given = f"span_type={self.span_type!r}, " if self.span_type is not None else ""
        raise TypeError(
            f"tracer.span({self.name!r}) is a context manager (with tracer.span(...) as "
            f"span:), not a decorator: decorate the function with "
            f"@tracer.traced({given}name={self.name!r}), which records each call as a span"
        )

    def __enter__(self) -> LiveSpan:
        self._submit(self)
        self._token = _current_span.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        restore_span(self._token, self)
        self.finish(exc)
        self._submit(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_plain_span, ({k: getattr(self, k) for k in _SPAN_FIELDS},))


_SPAN_FIELDS = tuple(k for k in Span.__slots__ if k != "__weakref__")


def _plain_span(fields: dict[str, Any]) -> Span:
    span: Span = object.__new__(Span)
    for key, value in fields.items():
        setattr(span, key, value)
    return span


_get_current = _current_span.get
_new_object = object.__new__


class Tracer:
    """Creates spans for one instrumented component; get one from
    :meth:`TracerProvider.get_tracer`."""

    def __init__(
        self,
        provider: TracerProvider,
        name: str,
        version: str | None = None,
        *,
        before_write: Callable[[Span], Span] | None = None,
    ) -> None:
        """``before_write``: what each of its spans goes through before it is queued for the
        store, when it opens and when it ends (the plugin's redaction of a test's own spans);
        the span it returns is the one queued."""
        submit = provider.submit
        if before_write is not None:

            def submit_after(span: Span, submit: Callable[[Span], None] = submit) -> None:
                submit(before_write(span))

            submit = submit_after
        self._submit = submit
        self._next_seq = provider.next_seq
        self.name = name
        self.version = version

    def span(
        self,
        name: str,
        *,
        span_type: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> LiveSpan:
        """Open a span for the ``with`` block and yield it.

        Without an open parent span (in this task or thread) the span starts a new trace.
        An exception leaving the block marks the span ``ERROR`` and propagates.
        """
        span: LiveSpan = _new_object(LiveSpan)
        parent = _get_current()
        init_slots(
            span,
            new_trace_id() if parent is None else parent.trace_id,
            new_span_id(),
            None if parent is None else parent.span_id,
            name,
            span_type,
            dict(attributes) if attributes else {},
            now_ns(),
            None,
            "UNSET",
            None,
            None,
            None,
            None,
            self.name,
            self.version,
            self._next_seq(),
        )
        span._submit = self._submit
        return span

    def traced(self, span_type: str | None = "llm", name: str | None = None) -> Callable[[F], F]:
        """Decorator recording every call of a function as a span, of type ``span_type`` (an
        ``llm`` span unless told otherwise), named ``name`` or the function's qualified name.

        The span's input is the call's arguments by name (``self``/``cls`` left out); its output
        is the return value, for generators and async generators the list of yielded chunks. An
        exception is recorded and re-raised. Works on sync, async, generator and async generator
        functions and methods, on callable objects (named after their type, of their
        ``__call__``'s kind) and on ``functools.partial`` objects (named after their function);
        anything else that cannot be called raises ``TypeError`` where it is decorated.
        """
        if callable(span_type):  # @tracer.traced without its parentheses
            applied_to = getattr(span_type, "__qualname__", span_type)
            raise TypeError(
                f"@tracer.traced was applied to {applied_to} directly: write it with parentheses, "
                '@tracer.traced() or @tracer.traced(span_type="tool")'
            )

        def decorate(fn: F) -> F:
            if isinstance(fn, staticmethod):  # (callable, but a function would be bound)
                traced = decorate(fn.__func__)
                return as_descriptor(traced, "staticmethod")  # type: ignore[no-any-return]
            default_name, kind = _name_and_kind(fn)
            around = _TracedCall(self, name or default_name, span_type, fn)
            return wrap(fn, around, kind)  # type: ignore[no-any-return]

        return decorate

    def __repr__(self) -> str:
        return f"<Tracer {self.name!r} version={self.version!r}>"


def _name_and_kind(fn: Callable[..., Any]) -> tuple[str, Kind]:
    """The default span name and the :class:`Kind` of what :meth:`Tracer.traced` decorates: a
    function's (or a partial's function's) qualified name and kind; for a callable object, its
    type's qualified name and its ``__call__``'s kind."""
    if not callable(fn):
        below = isinstance(fn, (classmethod, property))
        raise TypeError(
            "@tracer.traced() applies to a function or method (sync, async, generator or async "
            "generator), an object with __call__ or a functools.partial, not "
            f"{fn!r} (of type {type(fn).__qualname__})"
            + ("; write @tracer.traced() below @classmethod or @property" if below else "")
        )
    called: Any = fn
    while isinstance(called, functools.partial):
        called = called.func
    name = getattr(called, "__qualname__", None)
    if isinstance(name, str):  # a function, method or class
        return name, kind_of(called)
    return type(called).__qualname__, kind_of(called.__call__)


class _TracedCall:
    """What :meth:`Tracer.traced` does around each call (see :mod:`pytest_clearstone.callables`):
    a span per call, current while the function runs, with the arguments and the result."""

    __slots__ = ("binder", "name", "span_type", "tracer")

    def __init__(
        self, tracer: Tracer, name: str, span_type: str | None, fn: Callable[..., Any]
    ) -> None:
        self.tracer = tracer
        self.name = name
        self.span_type = span_type
        self.binder = binder(fn, skip_first=is_method_like(fn))

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LiveSpan:
        span = self.tracer.span(self.name, span_type=self.span_type)
        span.set_recorded_input(Recorded.of_storable(self.binder.bind(args, kwargs)))
        span.open()
        return span

    def source(
        self, span: LiveSpan, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
    ) -> Any:
        return fn(*args, **kwargs)

    def step(self, span: LiveSpan, advance: Callable[[], Any]) -> Any:
        token = _current_span.set(span)
        try:
            return advance()
        finally:
            restore_span(token, span)

    def end(self, span: LiveSpan, outcome: Any, error: BaseException | None) -> Any:
        if error is None or outcome is not None:  # a generator's chunks, also on an error
            span.set_recorded_output(Recorded.of_storable(outcome))
        span.close(error)
        return outcome
