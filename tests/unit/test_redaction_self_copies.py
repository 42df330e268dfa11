"""An object whose ``copy.copy`` gives the object itself is redacted into a copy all the same.

LangChain's tracers (``BaseTracer``, ``astream_events``'s callback handler) define ``__copy__``
(and ``__deepcopy__``) to return ``self``. The redaction walk copied a changed object with
``copy.copy`` and set the redacted attributes on what it got: the agent's own object. So
redacting a call's arguments rewrote the live handler in ``config["callbacks"]``: its send
stream became a copy bound to a copy of the event loop, and a recorded
``ChatOpenAI.astream_events(version="v2")`` then waited forever for its events.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from pytest_clearstone.redaction import PLACEHOLDER, Redactor

KEY = "sk-live-0123456789abcdefghijABCDEF"


class Tracer:
    """Copies of it are itself, as LangChain's tracers' are."""

    def __init__(self) -> None:
        self.api_key = KEY
        self.queue: deque[Any] = deque([1])  # (walked into a new deque: the holder changes)
        self.name = "tracer"

    def __copy__(self) -> Tracer:
        return self

    def __deepcopy__(self, memo: Any) -> Tracer:
        return self


class Stream:
    def __init__(self) -> None:
        self.queue: deque[Any] = deque()


class Handler(Tracer):
    def __init__(self) -> None:
        super().__init__()
        self.send_stream = Stream()


def test_the_agents_object_is_left_as_it_was_and_the_copy_is_redacted() -> None:
    tracer = Tracer()
    queue = tracer.queue
    out = Redactor()({"callbacks": [tracer]}, "input", "app.llm")
    assert tracer.api_key == KEY and tracer.queue is queue  # the agent's tracer, untouched
    [copied] = out["callbacks"]
    assert copied is not tracer and type(copied) is Tracer
    assert copied.api_key == PLACEHOLDER and copied.name == "tracer"


def test_an_attribute_walked_into_a_copy_is_not_set_on_the_agents_object() -> None:
    handler = Handler()
    stream = handler.send_stream
    Redactor()({"config": {"callbacks": [handler]}}, "input", "app.llm")
    assert handler.send_stream is stream and handler.api_key == KEY


def test_a_cycle_through_such_an_object_closes_on_the_copy() -> None:
    tracer = Tracer()
    tracer.me = tracer  # type: ignore[attr-defined]
    out = Redactor()(tracer, "input", "app.llm")
    assert out is not tracer and out.me is out and out.api_key == PLACEHOLDER
    assert tracer.me is tracer and tracer.api_key == KEY


class Sender:
    """A LangChain memory stream's send end: the loop its reader runs in, and the queue."""

    def __init__(self, loop: Any) -> None:
        self.reader_loop = loop
        self.queue: deque[Any] = deque()
        self.token = KEY


def test_an_event_loop_inside_a_value_is_left_as_it_is_never_copied() -> None:
    """Copied, the loop was garbage-collected unclosed: its finalizer warned ``unclosed event
    loop`` (a ResourceWarning), which failed a recording under ``filterwarnings = error``."""
    import asyncio
    import gc
    import warnings

    loop = asyncio.new_event_loop()
    try:
        sender = Sender(loop)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = Redactor()({"send_stream": sender}, "input", "app.llm")
            copied = out["send_stream"]
            assert copied is not sender and copied.token == PLACEHOLDER
            assert copied.reader_loop is loop
            del out, copied
            gc.collect()
    finally:
        loop.close()
