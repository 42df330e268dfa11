"""The tracer provider: owns the trace store and the batch of spans waiting to be written."""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import weakref
from collections import deque
from typing import Any

from .span import Span
from .store import TraceStore
from .tracer import Tracer

_BATCH_SIZE = 512


class TracerProvider:
    """Hands out tracers that record spans into one SQLite trace store.

    Spans are queued and written in batches (off the per-span hot path); any read through
    :attr:`trace_store` flushes first, so it sees every span opened so far. There is no
    background thread: :meth:`shutdown` writes what is queued and returns at once. Spans that end
    after ``shutdown()`` are still written, immediately.
    """

    def __init__(
        self, db_path: str | os.PathLike[str] = "traces.db", *, batch_size: int = _BATCH_SIZE
    ) -> None:
        self._store = TraceStore(db_path)
        self._store._before_read = self.flush
        self._pending: deque[Span] = deque()
        self._flush_lock = threading.Lock()
        self._batch_size = max(1, int(batch_size))
        self._seq = itertools.count(1)
        self._is_shutdown = False
        self._tracers: dict[tuple[str, str | None], Tracer] = {}
        _live_providers.add(self)

    @property
    def db_path(self) -> str:
        return self._store.db_path

    @property
    def trace_store(self) -> TraceStore:
        """The :class:`TraceStore` this provider writes to (reads flush pending spans first)."""
        return self._store

    def get_tracer(self, name: str, version: str | None = None) -> Tracer:
        """A :class:`Tracer` for the component ``name`` (same object for the same name/version)."""
        key = (name, version)
        tracer = self._tracers.get(key)
        if tracer is None:
            tracer = self._tracers[key] = Tracer(self, name, version)
        return tracer

    def _next_seq(self) -> int:
        return next(self._seq)

    def _on_start(self, span: Span) -> None:
        self._enqueue(span)

    def _on_end(self, span: Span) -> None:
        self._enqueue(span)

    def _enqueue(self, span: Span) -> None:
        pending = self._pending
        pending.append(span)  # deque.append is atomic: no lock on the hot path
        if len(pending) >= self._batch_size or self._is_shutdown:
            self.flush()

    def flush(self) -> None:
        """Write every queued span now."""
        with self._flush_lock:
            pending = self._pending
            # drain by popleft, so a span appended by another thread meanwhile is never lost
            batch = [pending.popleft() for _ in range(len(pending))]
            if batch:
                # a span opened and ended in one batch is written once, in its final state
                self._store.write_spans(dict.fromkeys(batch))

    def shutdown(self) -> None:
        """Flush and close the database connection. Idempotent; never sleeps."""
        self.flush()
        self._is_shutdown = True
        self._store.close()

    @property
    def is_shutdown(self) -> bool:
        return self._is_shutdown

    def __repr__(self) -> str:
        return f"<TracerProvider {self.db_path!r}>"


_live_providers: weakref.WeakSet[Any] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - runs at interpreter exit
    for provider in list(_live_providers):
        try:
            provider.flush()
        except Exception:
            pass
