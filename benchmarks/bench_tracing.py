"""Tracing benchmarks: span hot path, persisted spans, shutdown, memory for 1,000,000 spans.

Baselines are measured in the same run: the OpenTelemetry SDK (``TracerProvider`` +
``BatchSpanProcessor`` + ``InMemorySpanExporter``, the same 3-nested-spans shape with 2 attributes
each), fixed budgets for shutdown and memory, and a bare ``with`` + contextvar + clock floor.

    python benchmarks/run.py tracing
"""

from __future__ import annotations

import contextvars
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _harness import Result, best_of

from pytest_clearstone.observability import TracerProvider

ITERATIONS = 3_000  # 3 spans each
SPANS_PER_ITERATION = 3
MEMORY_SPANS = 1_000_000
SHUTDOWN_BUDGET_MS = 50.0
MEMORY_BUDGET_MB = 50.0


def _clearstone_loop(tracer: object, n: int) -> None:
    span = tracer.span  # type: ignore[attr-defined]
    for i in range(n):
        with (
            span("agent", attributes={"i": i, "kind": "root"}),
            span("llm_call", span_type="llm", attributes={"model": "m", "tokens": i}),
            span("tool_call", span_type="tool", attributes={"tool": "t", "n": 1}),
        ):
            pass


def _clearstone_hot_path_us(db: Path) -> float:
    """Per-span wall time of the with-blocks as the caller sees them, while the provider's writer
    thread stores the batches (its queue is capped at 32k entries; past that the caller writes)."""
    provider = TracerProvider(db)
    tracer = provider.get_tracer("bench")
    _clearstone_loop(tracer, 200)  # warm up: open the database, create the table
    provider.flush()
    start = time.perf_counter()
    _clearstone_loop(tracer, ITERATIONS)
    elapsed = time.perf_counter() - start
    provider.shutdown()
    return elapsed / (ITERATIONS * SPANS_PER_ITERATION) * 1e6


def _clearstone_persisted_us(db: Path) -> float:
    """Per-span wall time from the first span until ``flush()`` returns (all on disk)."""
    provider = TracerProvider(db)
    tracer = provider.get_tracer("bench")
    _clearstone_loop(tracer, 200)
    provider.flush()
    start = time.perf_counter()
    _clearstone_loop(tracer, ITERATIONS)
    provider.flush()
    elapsed = time.perf_counter() - start
    provider.shutdown()
    return elapsed / (ITERATIONS * SPANS_PER_ITERATION) * 1e6


def _shutdown_ms(db: Path, *, burst: bool = False) -> float:
    """``shutdown()`` of a provider that recorded 3,000 spans.

    Normal case: the writer kept up (as it does when spans come at an agent's pace) and the last
    300 spans are still queued, so shutdown writes them, stops the writer and closes the file.
    ``burst``: shutdown right after recording all 3,000 spans in a tight loop, so it also writes
    the writer's backlog (information only).
    """
    provider = TracerProvider(db)
    tracer = provider.get_tracer("bench")
    if burst:
        _clearstone_loop(tracer, 1_000)
    else:
        _clearstone_loop(tracer, 900)
        provider.flush()
        _clearstone_loop(tracer, 100)
    start = time.perf_counter()
    provider.shutdown()
    return (time.perf_counter() - start) * 1e3


def _otel_us() -> float | None:
    try:
        from opentelemetry.sdk.trace import TracerProvider as OTelProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    except ImportError:
        return None
    provider = OTelProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("bench")
    span = tracer.start_as_current_span

    def loop(n: int) -> None:
        for i in range(n):
            with (
                span("agent", attributes={"i": i, "kind": "root"}),
                span("llm_call", attributes={"model": "m", "tokens": i}),
                span("tool_call", attributes={"tool": "t", "n": 1}),
            ):
                pass

    loop(200)
    provider.force_flush()
    exporter.clear()
    start = time.perf_counter()
    loop(ITERATIONS)
    elapsed = time.perf_counter() - start
    provider.shutdown()
    return elapsed / (ITERATIONS * SPANS_PER_ITERATION) * 1e6


_floor_var: contextvars.ContextVar[object] = contextvars.ContextVar("floor", default=None)


class _FloorBlock:
    __slots__ = ("start", "token")

    def __enter__(self) -> _FloorBlock:
        self.start = time.perf_counter_ns()
        self.token = _floor_var.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _floor_var.reset(self.token)
        self.start = time.perf_counter_ns() - self.start


def _floor_us() -> float:
    n = ITERATIONS * SPANS_PER_ITERATION
    start = time.perf_counter()
    for _ in range(n):
        with _FloorBlock():
            pass
    return (time.perf_counter() - start) / n * 1e6


_MEMORY_CHILD = textwrap.dedent(
    """
    import sys

    def rss_kb(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
        raise SystemExit("no " + field)

    from pytest_clearstone.observability import TracerProvider

    provider = TracerProvider(sys.argv[1])
    tracer = provider.get_tracer("bench")
    span = tracer.span
    with span("warm-up"):
        pass
    provider.flush()
    before = rss_kb("VmRSS:")
    for i in range(int(sys.argv[2]) // 3):
        with (
            span("agent", attributes={"i": i, "kind": "root"}),
            span("llm_call", span_type="llm", attributes={"model": "m", "tokens": i}),
            span("tool_call", span_type="tool", attributes={"tool": "t", "n": 1}),
        ):
            pass
    provider.shutdown()
    print((rss_kb("VmHWM:") - before) / 1024)
    """
)


def _memory_growth_mb(db: Path) -> float:
    """Peak RSS growth of a fresh interpreter recording ``MEMORY_SPANS`` spans to a file."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(db), str(MEMORY_SPANS)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def run() -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))

        def db() -> Path:
            return Path(tmp) / f"bench{next(counter)}.db"

        hot = best_of(lambda: _clearstone_hot_path_us(db()))
        persisted = best_of(lambda: _clearstone_persisted_us(db()))
        shutdown = best_of(lambda: _shutdown_ms(db()))
        shutdown_burst = best_of(lambda: _shutdown_ms(db(), burst=True))
        floor = best_of(_floor_us)
        try:
            import opentelemetry.sdk.trace  # noqa: F401
        except ImportError:
            otel = None
        else:
            otel = best_of(lambda: _otel_us() or 0.0)

        if otel is None:
            print(
                "note: opentelemetry-sdk is not installed; OpenTelemetry rows skipped", flush=True
            )
        else:
            results.append(
                Result(
                    "span hot path (3 nested, 2 attrs), per span",
                    hot,
                    "OTel SDK batch + in-memory exporter",
                    otel,
                    "us",
                    target=0.25,
                )
            )
            results.append(
                Result(
                    "span persisted to file db until flush(), per span",
                    persisted,
                    "OTel SDK batch + in-memory exporter",
                    otel,
                    "us",
                    target=1.0,
                )
            )
        results.append(
            Result(
                "shutdown(), 300 of 3,000 spans still queued",
                shutdown,
                "budget",
                SHUTDOWN_BUDGET_MS,
                "ms",
                target=1.0,
            )
        )
        results.append(
            Result(
                "shutdown() right after a 3,000-span burst (info)",
                shutdown_burst,
                "budget",
                SHUTDOWN_BUDGET_MS,
                "ms",
            )
        )
        results.append(
            Result(
                "span hot path, per span (information)",
                hot,
                "floor: with + contextvar + perf_counter_ns",
                floor,
                "us",
            )
        )
        mem_db = db()
        memory = _memory_growth_mb(mem_db)
        size_mb = mem_db.stat().st_size / 2**20 if mem_db.exists() else 0.0
        print(f"note: the 1,000,000-span database file is {size_mb:.0f} MB", flush=True)
        results.append(
            Result(
                f"peak RSS growth recording {MEMORY_SPANS:,} spans",
                memory,
                "budget",
                MEMORY_BUDGET_MB,
                "MB",
                target=1.0,
            )
        )
    return results


if __name__ == "__main__":
    for r in run():
        print(r.line())
