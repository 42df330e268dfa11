"""The tracer provider: owns the trace store and the batch of spans waiting to be written."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import sys
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from .span import Span
from .store import TraceStore
from .tracer import Tracer

_BATCH_SIZE = 512  # queue entries (a span is queued when it opens and when it ends)
# Beyond this many queued entries (about 16,000 spans, ~10 MB) the recording thread writes the
# queue itself: memory stays bounded when spans come faster than the writer can store them.
_MAX_PENDING = 32_768


class _Writer:
    """The background thread that writes full batches; it waits on an event, never sleeps.

    It holds the provider only weakly, so a provider that is dropped without ``shutdown()``
    is still collected (its thread then ends).
    """

    __slots__ = ("provider", "stopping", "thread", "wake")

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = weakref.ref(provider)
        self.wake = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(
            target=self._run, name="clearstone-trace-writer", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        wake = self.wake
        while True:
            wake.wait()
            wake.clear()
            provider = self.provider()
            if provider is None or self.stopping:
                return
            # on failure the batch went back to the queue; the next flush() raises
            with contextlib.suppress(Exception):
                provider.flush()
            del provider

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()
        if self.thread is not threading.current_thread():
            self.thread.join()


class TracerProvider:
    """Hands out tracers that record spans into one SQLite trace store.

    Spans are queued in memory and written in batches by a writer thread, off the per-span hot
    path; any read through :attr:`trace_store` flushes first, so it sees every span opened so
    far, and :meth:`flush` writes everything queued before it returns. The writer waits on an
    event rather than a timer, so :meth:`shutdown` writes what is queued and returns at once.
    Spans that end after ``shutdown()`` are still written, immediately, by the thread that ends
    them. A write that fails is never dropped: its spans go back to the queue and the error is
    raised by the next :meth:`flush` (or by the recording thread once the queue is full).
    """

    def __init__(
        self, db_path: str | os.PathLike[str] = "traces.db", *, batch_size: int = _BATCH_SIZE
    ) -> None:
        # neither the store nor the tracers hold the provider back: without a reference cycle,
        # dropping it frees it at once (and a ":memory:" store's connection with it)
        provider = weakref.ref(self)

        def flush_first() -> None:
            live = provider()
            if live is not None:
                live.flush()

        self._store = TraceStore(db_path, before_read=flush_first)
        self._pending: deque[Span] = deque()
        self._flush_lock = threading.Lock()
        self._batch_size = max(1, int(batch_size))
        self._threshold = self._batch_size  # 1 after shutdown: every span is written at once
        #: in a process pool's worker (see :meth:`write_through`): how many spans are open
        self._open_spans: int | None = None
        #: made in a spawned child before it knows what it runs: see at its first span
        self._pool_worker_unknown = False
        self._max_pending = max(_MAX_PENDING, 2 * self._batch_size)
        #: the next span sequence number (spans of one provider are ordered by it)
        self.next_seq: Callable[[], int] = itertools.count(1).__next__
        self._is_shutdown = False
        self._writer: _Writer | None = None
        self._writer_pid = 0
        self._tracers: weakref.WeakValueDictionary[tuple[str, str | None], Tracer] = (
            weakref.WeakValueDictionary()
        )
        _live_providers.add(self)
        _flush_at_multiprocessing_child_exit(self)

    @property
    def db_path(self) -> str:
        """The database file (or ``":memory:"``)."""
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

    def submit(self, span: Span) -> None:
        """Queue the span's current state for writing (tracers call it when a span opens and
        when it ends; a full batch wakes the writer thread)."""
        pending = self._pending
        pending.append(span)  # deque.append is atomic: no lock on the hot path
        if len(pending) >= self._threshold:
            self._batch_ready(span)

    def _batch_ready(self, span: Span) -> None:
        if self._pool_worker_unknown:  # (the child has started: it knows by now)
            self._pool_worker_unknown = False
            if _is_pool_worker():
                self.write_through()
            elif not self._is_shutdown:
                self._threshold = self._batch_size
        if self._open_spans is not None:  # (a pool's worker: called for every span)
            self._open_spans += 1 if span.end_time_ns is None else -1
            if self._open_spans <= 0:  # its last open span ended (a task's, usually)
                self._open_spans = 0
                self.flush()
                return
            if len(self._pending) < self._batch_size and not self._is_shutdown:
                return
        if self._is_shutdown or len(self._pending) >= self._max_pending:
            self.flush()  # the writer is behind (or gone): write in this thread
            return
        writer = self._writer
        if writer is None or self._writer_pid != os.getpid():
            with self._flush_lock:
                writer = self._writer
                if writer is None or self._writer_pid != os.getpid():
                    writer = self._writer = _Writer(self)
                    self._writer_pid = os.getpid()
        if not writer.wake.is_set():
            writer.wake.set()

    def flush(self) -> None:
        """Write every queued span now; returns when they are in the database."""
        with self._flush_lock:
            pending = self._pending
            # drain by popleft, so a span appended by another thread meanwhile is never lost
            batch = [pending.popleft() for _ in range(len(pending))]
            if batch:
                try:
                    # a span opened and ended in one batch is written once, in its final state
                    self._store.write_spans(dict.fromkeys(batch))
                except BaseException:
                    pending.extendleft(reversed(batch))
                    raise

    def write_through(self) -> None:
        """Write the spans queued each time no span is left open, in the thread that ends the
        last one: in a process pool's worker, which the pool may kill (``terminate()``, which
        ``with Pool()`` ends with) as soon as it has every task's result, and so before a
        batch or the process's end would have written them."""
        self._pool_worker_unknown = False
        if self._open_spans is None:
            self._open_spans = 0
            self._threshold = 1

    def shutdown(self) -> None:
        """Write what is queued, stop the writer thread and close the database connection.

        Idempotent; never sleeps. A span that ends later is still written (immediately). A
        write that fails is raised, and its spans let go: the caller has the error, so they are
        not told again when the process ends.
        """
        self._threshold = 1
        self._is_shutdown = True
        writer, self._writer = self._writer, None
        if writer is not None and self._writer_pid == os.getpid():
            writer.stop()
        try:
            self.flush()
        except Exception:
            self.discard_pending()
            raise
        self._store.close()

    @property
    def is_shutdown(self) -> bool:
        """Whether :meth:`shutdown` was called."""
        return self._is_shutdown

    def _before_fork(self) -> None:
        self._flush_lock.acquire()  # no batch half-written at the fork
        self._store._before_fork()

    def _after_fork_in_parent(self) -> None:
        self._store._after_fork_in_parent()
        self._flush_lock.release()

    def _after_fork_in_child(self) -> None:
        # the parent's locks may have been held at fork time, and its queued spans are its own
        self._flush_lock = threading.Lock()
        self._pending = deque()
        self._writer = None
        self._store._after_fork_in_child()

    def discard_pending(self) -> int:
        """Let go of the spans still queued (once a write that failed was reported: nothing
        else tells of them again); how many there were."""
        pending = self._pending
        spans = [pending.popleft() for _ in range(len(pending))]
        return len(dict.fromkeys(spans))

    def flush_or_report(self) -> None:
        """:meth:`flush` where nobody is left to raise to (the process ends, the provider is
        dropped): a write that fails is told on stderr, with how many spans it lost (once:
        they are let go)."""
        try:
            self.flush()
        except Exception as exc:
            lost = self.discard_pending()
            with contextlib.suppress(Exception):  # (no stderr left at interpreter exit)
                sys.stderr.write(
                    f"pytest-clearstone: {lost} span(s) were not written to the trace store "
                    f"{self.db_path!r}: {exc}\n"
                )

    def __del__(self) -> None:
        # a provider dropped without shutdown() still writes what it queued; freed as the
        # interpreter ends (a reference cycle), the modules' names may be None by then: no
        # module is named here
        try:
            if self._pending and not self._is_shutdown:
                self.flush_or_report()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"<TracerProvider {self.db_path!r}>"


_live_providers: weakref.WeakSet[Any] = weakref.WeakSet()


_forking: list[Any] = []  # the providers prepared for the fork under way


def _prepare_fork() -> None:
    if not _multiprocessing_hooked:
        _hook_multiprocessing_exit()
    _forking[:] = list(_live_providers)
    for provider in _forking:
        provider._before_fork()


def _resume_parent() -> None:
    for provider in _forking:
        provider._after_fork_in_parent()
    _forking.clear()


def _reinit_after_fork() -> None:  # pragma: no cover - runs in forked children
    for provider in _forking:
        provider._after_fork_in_child()
    _forking.clear()


os.register_at_fork(
    before=_prepare_fork, after_in_parent=_resume_parent, after_in_child=_reinit_after_fork
)


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - runs at interpreter exit
    for provider in list(_live_providers):
        with contextlib.suppress(Exception):
            provider.flush_or_report()


_multiprocessing_hooked: list[bool] = []  # whether _hook_multiprocessing_exit ran


def _hook_multiprocessing_exit() -> None:
    """Flush in the children multiprocessing starts (a ``Process``, a process pool's worker):
    they end with ``os._exit`` (a forked or forkserver child), so :func:`_flush_at_exit` never
    runs there. Multiprocessing runs its finalizers instead, and clears them in a new child
    first: the finalizer is registered from its after-fork hooks, which run after that."""
    mp_util: Any = sys.modules.get("multiprocessing.util")
    if mp_util is not None:  # (a fork that is not multiprocessing's needs none of this)
        _multiprocessing_hooked.append(True)
        mp_util.register_after_fork(_flush_at_exit, _finalize_in_child)


def _flush_at_multiprocessing_child_exit(provider: TracerProvider) -> None:
    """Hook a provider made in a multiprocessing child, or in the module it imports before it
    starts (a forkserver or spawn child imports the target's module afresh, after its fork): no
    fork hook saw it, and a forkserver child ends with ``os._exit``."""
    mp_util: Any = sys.modules.get("multiprocessing.util")
    if mp_util is None:
        return
    if not _multiprocessing_hooked:  # for a child starting now: its after-fork hooks
        _hook_multiprocessing_exit()
    mp_process: Any = sys.modules["multiprocessing.process"]
    if mp_process.parent_process() is not None:  # (started)
        _register_finalizer(mp_util)
        if _is_pool_worker():
            provider.write_through()
    elif getattr(mp_process.current_process(), "_inheriting", False):
        # a spawned child importing its main module, before it starts (and runs no after-fork
        # hook then): whether it is a pool's worker is seen at its first span
        provider._pool_worker_unknown = True
        provider._threshold = 1


def _finalize_in_child(_: object) -> None:  # pragma: no cover - runs in forked children
    _register_finalizer(sys.modules["multiprocessing.util"])
    if _is_pool_worker():
        for provider in list(_live_providers):
            provider.write_through()


def _is_pool_worker() -> bool:
    """Whether this process is a worker of a ``multiprocessing`` pool (its process runs the
    pool's ``worker`` function), which the pool terminates when it is done with it."""
    mp_pool: Any = sys.modules.get("multiprocessing.pool")
    if mp_pool is None:
        return False
    current = sys.modules["multiprocessing.process"].current_process()
    return getattr(current, "_target", None) is getattr(mp_pool, "worker", False)


_finalizer_pid: list[int] = []  # the process whose multiprocessing finalizers flush providers


def _register_finalizer(mp_util: Any) -> None:
    """Register :func:`_flush_at_exit` with multiprocessing's finalizers, once per process."""
    pid = os.getpid()
    if _finalizer_pid != [pid]:
        _finalizer_pid[:] = [pid]
        mp_util.Finalize(None, _flush_at_exit, exitpriority=0)
