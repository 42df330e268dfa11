"""Streams a mock target returns: recorded as the items the agent read, replayed from them.

A call that returns a stream has not produced its answer when it returns: the answer comes as
the agent iterates. Three kinds are recognised, without importing their libraries:

- an SDK stream of the Stainless client libraries (``openai.Stream``/``AsyncStream``,
  ``anthropic.Stream``/``AsyncStream``: a class with ``__stream__``, a ``response`` and an
  ``_iterator``; and anthropic's ``JSONLDecoder``/``AsyncJSONLDecoder``, what
  ``messages.batches.results(...)`` answers: a class with ``__decode__``, an ``http_response``
  and an ``_iterator``). The agent keeps the SDK's own object; its iterator is tapped, so each
  chunk, event or line the agent reads is recorded (a pydantic model, stored readably by the
  codec). On replay the same SDK class is rebuilt around the recorded items and the recorded
  HTTP response (status and headers): ``for``/``async for``, ``with``/``async with``,
  ``close()``, ``response.headers`` work as they did. A subclass of one of those classes is one
  too (found through its MRO: openai's ``AgentSessionEventStream``); one with its own
  ``__stream__``, which reads its base's events with ``super()`` to collect a final result as
  they pass, is made one of a subclass whose base gives those events (:func:`_fed_class`): the
  events recorded are its base's, and on replay its own ``__stream__`` runs on them again.
- a generator or async generator object a (plain-looking) target returns: handed on through a
  generator of the same kind that records the items; replayed as a generator over them. Other
  iterators (a database cursor, a file) are values with an interface of their own and are not
  taken for streams.
- an ``httpx``/``httpx2`` ``Response`` whose body has not been read (``send(..., stream=True)``:
  ``client.stream(...)``, an SDK's ``stream=True`` under a mocked ``send``): its body stream is
  tapped, and the response is recorded with the body the agent read (decompressed, as a read
  response's), once it read it to its end or closed it; replayed as a read response.

The call's span stays open while the stream is read and is closed, with a
:class:`RecordedStream` as its output, when the stream ends, is closed, or the test ends
(:meth:`StreamTap.finish`): a stream the agent reads only partly records the items it read, and
replays those; read further on replay, it raises the replay's divergence rather than end early
(:attr:`RecordedStream.complete`). A stream that raises while it is read (a dropped
connection, an error event) records the items read before, and the span the error: the replay
gives the same items, then raises the same error. One the agent's timeout cancelled while read
records the cancellation: the replay gives the items, then waits to be cancelled again.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..callables import drive
from ..codec.http import HTTP_MODULES, sent_request
from ..codec.naming import class_path, import_type
from ..errors import DecodeError
from .cancellations import is_cancellation

#: ``step(advance)``: run one step of the live stream in the call's environment (real clock,
#: the call's span current)
Step = Callable[[Callable[[], Any]], Any]


@dataclass
class RecordedStream:
    """What a call that returned a stream gave: the items the agent read, in order.

    ``stream_class`` is the SDK stream's class (``module:QualName``), or ``""`` for a plain
    iterator; ``response`` the SDK stream's HTTP response (its body is the stream, not stored);
    ``complete`` whether the agent read the stream to its end.
    """

    items: list[Any] = field(default_factory=list)
    is_async: bool = False
    stream_class: str = ""
    response: Any = None
    complete: bool = False

    def replayed(
        self,
        end: Callable[[int], BaseException] | None = None,
        wait: Callable[[], Awaitable[Any]] | None = None,
    ) -> Any:
        """A fresh stream over the recorded items: the SDK's class where it was one, else a
        generator (async where the original was). ``end(items)``: the error the stream raises
        when read past its recorded items (the recorded error the stream raised, made anew; or,
        the recording having read it only partly, the replay's divergence); ``None``: it ends
        there. ``wait``: awaited first, by an async stream the agent's timeout cancelled when
        recorded: it waits to be cancelled again."""
        items = list(self.items)
        response = self.response
        if self.stream_class:
            cls: Any = import_type(self.stream_class, "a stream class")
            root = _sdk_root(cls)
            if root is None:  # (a golden edited by hand, or the SDK's classes changed)
                raise DecodeError(
                    f"{self.stream_class!r} is not an SDK stream class (none of its bases is "
                    f"{', '.join(_SDK_STREAMS)}): re-record the golden"
                )
            own = _own_stream_method(cls, root)
            kind: Any = cls if own is None else _fed_class(cls, root, own)
            stream = kind.__new__(kind)
            attribute, others = _SDK_STREAMS[root.__name__]
            vars(stream).update(dict.fromkeys(others), **{attribute: response})
            replayed = (
                _replay_async(items, response, end, wait)
                if self.is_async
                else _replay_sync(items, response, end)
            )
            if own is None:
                stream._iterator = replayed
            else:  # the subclass's own method runs on the recorded events, as live
                stream._fed_events = replayed
                stream._iterator = getattr(stream, own)()
            return stream
        if self.is_async:
            return _replay_async(items, None, end, wait)
        return _replay_sync(items, None, end)


def _replay_sync(
    items: list[Any], response: Any, end: Callable[[int], BaseException] | None
) -> Iterator[Any]:
    __tracebackhide__ = True
    try:
        yield from items
        if end is not None:
            raise end(len(items))
    finally:
        if response is not None:
            response.close()


async def _replay_async(
    items: list[Any],
    response: Any,
    end: Callable[[int], BaseException] | None,
    wait: Callable[[], Awaitable[Any]] | None,
) -> AsyncIterator[Any]:
    __tracebackhide__ = True
    try:
        for item in items:
            yield item
        if wait is not None:
            await wait()
        if end is not None:
            raise end(len(items))
    finally:
        if response is not None:
            await response.aclose()


#: the Stainless SDKs' stream classes by name: the attribute holding the HTTP response, and
#: the others the SDK sets when it makes one (``None`` in a replayed stream, which reads none)
_SDK_STREAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Stream": ("response", ("_cast_to", "_client", "_options")),
    "AsyncStream": ("response", ("_cast_to", "_client", "_options")),
    "JSONLDecoder": ("http_response", ("_raw_iterator", "_line_type")),
    "AsyncJSONLDecoder": ("http_response", ("_raw_iterator", "_line_type")),
}


def _sdk_root(t: type) -> type | None:
    """The Stainless SDK stream class ``t`` is or derives from (found through its MRO, so that a
    subclass the SDK adds is one too: openai's ``AgentSessionEventStream``), or ``None``."""
    for base in t.__mro__:
        if base.__name__ in _SDK_STREAMS and (
            "__stream__" in vars(base) or "__decode__" in vars(base)
        ):
            return base
    return None


def _own_stream_method(t: type, root: type) -> str | None:
    """The name of the method making the stream's items (``__stream__``, ``__decode__``)
    where the subclass ``t`` of the SDK's ``root`` class has its own, which reads the
    ``root``'s with ``super()`` (to collect a final result as the events pass); else ``None``."""
    method = "__stream__" if "__stream__" in vars(root) else "__decode__"
    return None if getattr(t, method) is vars(root)[method] else method


#: ``(subclass, root)`` -> the class a stream of the subclass is made one of while recorded or
#: replayed (:func:`_fed_class`)
_FED: dict[tuple[type, type], type] = {}


def _fed_class(t: type, root: type, method: str) -> type:
    """The subclass of ``t`` whose ``root`` method (what ``t``'s own ``method`` reads with
    ``super()``) gives the instance's ``_fed_events``: the live ones, tapped, while recorded;
    the recorded ones on replay. Named as ``t``, whose methods it runs unchanged."""
    fed = _FED.get((t, root))
    if fed is None:
        feed = type(root.__name__, (root,), {method: lambda self: self._fed_events})
        fed = type(t.__name__, (t, feed), {"__module__": t.__module__})
        fed.__qualname__ = t.__qualname__
        fed = _FED.setdefault((t, root), fed)
    return fed


def is_sdk_stream(value: Any) -> bool:
    """Whether ``value`` is a Stainless SDK stream (openai's or anthropic's ``Stream`` /
    ``AsyncStream``, anthropic's ``JSONLDecoder`` / ``AsyncJSONLDecoder``, or a subclass of
    one: openai's ``AgentSessionEventStream``, anthropic's ``BedrockStream``)."""
    root = _sdk_root(type(value))
    return root is not None and _SDK_STREAMS[root.__name__][0] in getattr(value, "__dict__", ())


def bound_state(value: Any) -> list[str]:
    """The attributes the SDK set on ``value``, a subclass of its stream class, after making
    it (from the call's arguments: openai's session ``output_type`` and ``tool_handlers``) that
    a stream made anew of its class, as a replay makes one, would not have (the same class of
    value with the same attributes counts as the same); ``[]`` for the SDK's own stream class,
    or another value."""
    t: Any = type(value)
    root = _sdk_root(t)
    if root is None or root is t:
        return []
    attribute, others = _SDK_STREAMS[root.__name__]
    made = {attribute, *others, "_iterator", "_decoder"}
    fresh = t.__new__(t)
    return [
        name
        for name, live in vars(value).items()
        if name not in made and not _same_state(live, getattr(fresh, name, _MISSING))
    ]


_MISSING = object()


def _same_state(live: Any, fresh: Any) -> bool:
    if live is fresh:
        return True
    if type(live) is not type(fresh):
        return False
    try:
        if live == fresh:
            return True
    except Exception:
        return False
    own = getattr(live, "__dict__", None)
    return own is not None and own == getattr(fresh, "__dict__", None)


#: ``done(record, error)``: the stream ended (``error``: what it raised while read, if it did);
#: ``record`` is the call's answer as recorded: a :class:`RecordedStream`, or the response
#: whose body was read (:func:`_read_response`)
Done = Callable[[Any, "BaseException | None"], None]


class StreamTap:
    """Records the items of one stream as the agent reads them, and the error it raises while
    read, if it does; :meth:`finish` hands them to ``done`` once (at the stream's end, its
    closing, or the test's end, whichever comes first)."""

    __slots__ = ("done", "error", "finished", "record", "step")

    def __init__(self, record: RecordedStream, step: Step, done: Done):
        self.record = record
        self.step = step
        self.done = done
        self.finished = False
        self.error: BaseException | None = None

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.done(self.record, self.error)

    def sync(self, inner: Iterator[Any]) -> Iterator[Any]:
        items, step = self.record.items, self.step
        try:
            while True:
                try:
                    item = step(inner.__next__)
                except StopIteration:
                    self.record.complete = True
                    return
                except Exception as exc:  # (closing it, or a cancellation, is no error of it)
                    self.error = exc
                    raise
                items.append(item)
                yield item
        finally:
            close = getattr(inner, "close", None)
            if close is not None:
                step(close)
            self.finish()

    async def asynchronous(self, inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
        items, step = self.record.items, self.step
        try:
            while True:
                try:
                    item = await drive(inner.__anext__(), step)
                except StopAsyncIteration:
                    self.record.complete = True
                    return
                except BaseException as exc:  # an asyncio cancellation too (the agent's timeout)
                    if isinstance(exc, Exception) or is_cancellation(exc):
                        self.error = exc
                    raise
                items.append(item)
                yield item
        finally:
            aclose = getattr(inner, "aclose", None)
            if aclose is not None:
                await drive(aclose(), step)
            self.finish()


def _without_body(response: Any) -> Any:
    """The stream's HTTP response with its status, headers and request but no body: the body
    is the stream, recorded as the items the agent read (a transport that answered from memory
    would otherwise store all of it)."""
    try:
        request = response.request
    except RuntimeError:  # built without a request
        request = None
    try:
        return type(response)(
            response.status_code, headers=response.headers, request=sent_request(request)
        )
    except Exception:  # not an httpx-like response: keep it as it is
        return response


def is_unread_response(value: Any) -> bool:
    """Whether ``value`` is an ``httpx``/``httpx2`` ``Response`` whose body is still to be
    read from its stream (sent with ``stream=True``)."""
    t = type(value)
    return (
        t.__module__ in HTTP_MODULES
        and t.__qualname__ == "Response"
        and "_content" not in vars(value)
        and not value.is_closed
    )


def _tap_body(response: Any, step: Step, done: Done) -> StreamTap:
    """Tap the body stream of the unread ``response``: ``done`` gets the response with the
    body the agent read (:func:`_read_response`) when it was read to its end or closed, or at
    the test's end."""
    library = sys.modules[type(response).__module__]
    inner = response.stream
    is_async = isinstance(inner, library.AsyncByteStream)
    stream_tap = StreamTap(
        RecordedStream(is_async=is_async),
        step,
        lambda record, error: done(_read_response(response, record), error),
    )

    def close() -> None:
        try:
            inner.close()
        finally:
            stream_tap.finish()

    async def aclose() -> None:
        try:
            await inner.aclose()
        finally:
            stream_tap.finish()

    if is_async:
        methods = {
            "__aiter__": lambda self: stream_tap.asynchronous(inner.__aiter__()),
            "aclose": lambda self: aclose(),
        }
        base = library.AsyncByteStream
    else:
        methods = {
            "__iter__": lambda self: stream_tap.sync(iter(inner)),
            "close": lambda self: close(),
        }
        base = library.SyncByteStream
    # (a subclass of the library's stream class: the response checks what its stream is)
    response.stream = type("RecordedBodyStream", (base,), methods)()
    return stream_tap


def _read_response(response: Any, record: RecordedStream) -> Any:
    """The streamed ``response`` as it is recorded: a response of its class with the body the
    agent read from its stream (``record``'s items, the raw bytes: decompressed here as the
    headers say), its headers, request, history and extensions; or ``response`` itself, stored
    unread, when the agent read none of it, or what it read cannot be decoded (a compressed
    body read partly)."""
    if not record.items:
        return response
    try:
        read = type(response)(
            response.status_code,
            headers=response.headers,
            content=b"".join(record.items),
            request=response.request,
            extensions=response.extensions,
        )
    except Exception:
        return response
    read.headers = response.headers  # (without the Content-Length the constructor adds)
    read.history = response.history
    read.next_request = response.next_request
    return read


def is_stream(value: Any) -> bool:
    """Whether a call's answer is a stream :func:`tap` records (cheap: checked on every
    recorded call)."""
    return (
        inspect.isgenerator(value)
        or inspect.isasyncgen(value)
        or is_sdk_stream(value)
        or is_unread_response(value)
    )


def tap(value: Any, step: Step, done: Done) -> tuple[Any, StreamTap | None]:
    """If ``value`` is a stream: what the agent gets instead (the same SDK object, its iterator
    tapped; or a recording generator) and the tap; else ``(value, None)``."""
    if is_sdk_stream(value):
        t = type(value)
        root: Any = _sdk_root(t)
        own = _own_stream_method(t, root)
        # a subclass with its own method: the root's items are recorded (the events as sent),
        # what the subclass's method reads, through the class it is made one of
        inner = value._iterator if own is None else getattr(root, own)(value)
        is_async = hasattr(inner, "__anext__")
        record = RecordedStream(
            is_async=is_async,
            stream_class=class_path(t),
            response=_without_body(getattr(value, _SDK_STREAMS[root.__name__][0])),
        )
        stream_tap = StreamTap(record, step, done)
        tapped = stream_tap.asynchronous(inner) if is_async else stream_tap.sync(inner)
        if own is None:
            value._iterator = tapped
        else:
            value.__class__ = _fed_class(t, root, own)
            value._fed_events = tapped
            value._iterator = getattr(value, own)()
        return value, stream_tap
    if inspect.isasyncgen(value):
        stream_tap = StreamTap(RecordedStream(is_async=True), step, done)
        return stream_tap.asynchronous(value), stream_tap
    if inspect.isgenerator(value):
        stream_tap = StreamTap(RecordedStream(), step, done)
        return stream_tap.sync(value), stream_tap
    if is_unread_response(value):
        return value, _tap_body(value, step, done)
    return value, None
