"""List the slow spans of a trace store and checkpoint the agent before them (the guide's
"Performance Debugging").

    python slow_spans.py traces.db --threshold-ms 50
    python slow_spans.py traces.db --threshold-ms 50 --run "Q3 churn" --checkpoint-dir .checkpoints

The first lists every span slower than the threshold in the store's recent traces, slowest
first. With ``--run`` it first runs the report agent on a topic, traced into the store, and then
saves a checkpoint before each slow span of that run, to replay the slow step from there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import TraceStoreError
from pytest_clearstone.observability import Span, Trace, TracerProvider, TraceStore

from perf_app.agent import ReportAgent


def find_slow_spans(trace: Trace, threshold_ms: float) -> list[Span]:
    """The finished spans of ``trace`` slower than ``threshold_ms``, slowest first."""
    slow = [s for s in trace.spans if s.duration_ms is not None and s.duration_ms > threshold_ms]
    return sorted(slow, key=lambda s: -(s.duration_ms or 0.0))


def checkpoint_slow_spans(
    agent: Any, trace: Trace, threshold_ms: float, manager: CheckpointManager
) -> list[Path]:
    """Save a checkpoint of ``agent`` at each slow span of ``trace``; return their paths."""
    paths = []
    for span in find_slow_spans(trace, threshold_ms):
        checkpoint = manager.create_checkpoint(agent, trace, span.span_id)
        checkpoint.metadata["purpose"] = f"slow {span.name}: {span.duration_ms:.2f}ms"
        path = manager.save_checkpoint(checkpoint, filename=f"slow_{span.name}_{span.span_id}.ckpt")
        print(f"Created checkpoint before slow operation: {span.name}")
        print(f"  Duration: {span.duration_ms:.2f}ms")
        print(f"  Saved: {path}")
        paths.append(path)
    return paths


def report(store: TraceStore, threshold_ms: float, limit: int = 20) -> list[str]:
    """One line per slow span of the ``limit`` most recent traces."""
    lines = []
    for summary in store.list_traces(limit=limit):
        for span in find_slow_spans(store.get_trace(summary.trace_id), threshold_ms):
            lines.append(f"{summary.trace_id}  {span.duration_ms:10.2f}ms  "
                         f"{span.span_type or '-':<6} {span.name}")  # fmt: skip
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLite trace store")
    parser.add_argument("--threshold-ms", type=float, default=1000.0)
    parser.add_argument("--limit", type=int, default=20, help="how many recent traces")
    parser.add_argument("--run", metavar="TOPIC", help="run the report agent on TOPIC first")
    parser.add_argument("--checkpoint-dir", default=".checkpoints")
    args = parser.parse_args(argv)
    if not args.run and not Path(args.db).is_file():  # (a typo would list no slow span)
        print(
            f"slow_spans.py: no trace store at {args.db}: give the path of an existing one, or "
            "run the report agent into it first with --run TOPIC",
            file=sys.stderr,
        )
        return 2
    try:
        return _run(args)
    except TraceStoreError as exc:  # another program's file, a newer schema: one line
        print(f"slow_spans.py: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    provider = TracerProvider(db_path=args.db)
    if args.run:
        tracer = provider.get_tracer("report_agent")
        agent = ReportAgent(tracer=tracer)
        with tracer.span("report_workflow") as root:
            agent.build_report(args.run)
        provider.shutdown()
        trace = provider.trace_store.get_trace(root.trace_id)
        checkpoint_slow_spans(
            agent, trace, args.threshold_ms, CheckpointManager(args.checkpoint_dir)
        )
    lines = report(provider.trace_store, args.threshold_ms, args.limit)
    print(f"{len(lines)} span(s) slower than {args.threshold_ms:g}ms")
    for line in lines:
        print(line)
    provider.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
