"""Crash safety: a process killed (SIGKILL) while saving a checkpoint or writing spans.

A helper process (plain Python, single-threaded) runs the trials: for each, it forks a child
that saves a checkpoint (or writes and flushes spans) in a loop, kills it with SIGKILL after a
random delay, and snapshots what is on disk. The tests check invariants only, which hold
whenever the kill lands: the golden file is always one complete version (the old one or one the
killed child wrote, byte for byte, never torn), temporary files are never listed as checkpoints,
the database passes its integrity check and holds every span that was committed, and a span
stored as ended carries its whole output. How often each case happened is printed, not asserted:
it depends on the timing of a shared machine.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.debugging import Checkpoint
from pytest_clearstone.tracing.store import TraceStore

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork and SIGKILL")

MAKE = textwrap.dedent(
    """
    import datetime as dt
    from pytest_clearstone.debugging import Checkpoint
    from pytest_clearstone.tracing.span import Recorded, Span
    from pytest_clearstone.tracing.trace import Trace

    def make(n):
        span = Span(trace_id="a" * 32, span_id="b" * 16, parent_span_id=None, name="root",
                    start_time_ns=1, end_time_ns=2)
        state = {"n": n, "memory": [f"item {i} of version {n}" for i in range(20)]}
        return Checkpoint(
            checkpoint_id="ckpt_" + "c" * 32, state=Recorded.of(state), agent_class_name=None,
            agent_module=None, trace=Trace("a" * 32, [span]), span_id="b" * 16,
            timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), metadata={"n": n},
        )
    """
)

SERVER = textwrap.dedent(
    """
    import json, os, random, shutil, signal, sys, time
    from pathlib import Path
    from pytest_clearstone.debugging import CheckpointManager
    from pytest_clearstone.observability import TracerProvider

    mode, root, trials, seed = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    snaps = root / "snaps"
    snaps.mkdir(parents=True)

    def saver(t):
        manager = CheckpointManager(root / "ckpts")
        n = t * 1_000_000
        while True:
            n += 1
            manager.save_checkpoint(make(n), "golden.ckpt", signing_key=None)

    def spanner(t):
        provider = TracerProvider(root / "traces.db")
        tracer = provider.get_tracer("crash")
        # a log per process: a write cut by the kill (at a page boundary) is then its file's
        # last line, never joined to the next process's first
        log = os.open(root / f"committed-{t}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        i = 0
        while True:
            i += 1
            ids = []
            for _ in range(rng.randint(1, 5)):
                with tracer.span(f"trial {t} span {i}", attributes={"t": t}) as span:
                    span.set_output({"text": "x" * 50})
                ids.append(f"{span.trace_id} {span.span_id}")
            provider.flush()  # returns once the spans are committed
            os.write(log, "".join(f"{s}\\n" for s in ids).encode())

    if mode == "ckpt":
        CheckpointManager(root / "ckpts").save_checkpoint(make(0), "golden.ckpt", signing_key=None)
    for t in range(trials):
        pid = os.fork()
        if pid == 0:
            try:
                (saver if mode == "ckpt" else spanner)(t + 1)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.04 if mode == "ckpt" else 0.15))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if mode == "ckpt":
            shutil.copy(root / "ckpts" / "golden.ckpt", snaps / f"{t}.ckpt")
            listed = [p.name for p in CheckpointManager(root / "ckpts").list_checkpoints()]
            files = sorted(os.listdir(root / "ckpts"))
            (snaps / f"{t}.json").write_text(json.dumps({"listed": listed, "files": files}))
    """
)


def _run(tmp_path: Path, mode: str, trials: int) -> int:
    """Run the trials; returns the seed of the kill delays (for the failure messages)."""
    script = tmp_path / "server.py"
    script.write_text(MAKE + SERVER)
    seed = int.from_bytes(os.urandom(4), "big")
    proc = subprocess.run(
        [sys.executable, str(script), mode, str(tmp_path), str(trials), str(seed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"seed {seed}:\n{proc.stderr}"
    return seed


def _make() -> Any:
    namespace: dict[str, Any] = {}
    exec(MAKE, namespace)
    return namespace["make"]


def test_a_checkpoint_save_killed_100_times_leaves_a_complete_file(tmp_path: Path) -> None:
    seed = _run(tmp_path, "ckpt", 100)
    make = _make()
    previous = 0  # the version saved before the first trial
    kept = leftovers = 0
    for t in range(100):
        where = f"trial {t} (seed {seed})"
        snap = tmp_path / "snaps" / f"{t}.ckpt"
        loaded = Checkpoint.read(snap, signing_key=None)  # parses: never torn
        n = loaded.metadata["n"]
        assert snap.read_text(encoding="utf-8") == make(n).dumps(signing_key=None), where
        # the old complete version, or a complete version this trial's child wrote
        assert n == previous or n // 1_000_000 == t + 1, f"{where}: version {n}"
        kept += n == previous
        previous = n
        listing = json.loads((tmp_path / "snaps" / f"{t}.json").read_text())
        assert listing["listed"] == ["golden.ckpt"], where
        leftovers = sum(name.endswith(".tmp") for name in listing["files"])  # they accumulate
    others = [name for name in os.listdir(tmp_path / "ckpts") if name != "golden.ckpt"]
    assert all(name.startswith(".golden.ckpt.") for name in others), f"seed {seed}: {others}"
    print(
        f"\n100 kills: the previous file kept {kept} times, a new complete file "
        f"{100 - kept} times, "
        f"{leftovers} temporary files left by interrupted saves (never listed)"
    )


def test_span_writers_killed_20_times_lose_no_committed_span(tmp_path: Path) -> None:
    seed = _run(tmp_path, "spans", 20)
    committed = [
        line
        for log in tmp_path.glob("committed-*.log")
        for line in log.read_text().split("\n")[:-1]  # a torn last line is not counted
        if line
    ]
    con = sqlite3.connect(tmp_path / "traces.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"seed {seed}"
    finally:
        con.close()
    store = TraceStore(tmp_path / "traces.db")
    try:
        for line in committed:  # committed (flush() returned): stored, ended, whole
            trace_id, span_id = line.split()
            span = store.get_trace(trace_id).get_span(span_id)
            assert span.end_time_ns is not None, f"seed {seed}: {line}"
            assert span.output == {"text": "x" * 50}, f"seed {seed}: {line}"
        stored = ended = 0
        for summary in store.list_traces(limit=1_000_000):
            for span in store.get_trace(summary.trace_id).spans:
                stored += 1
                if span.end_time_ns is not None:  # written at its end: never half a span
                    ended += 1
                    assert span.output == {"text": "x" * 50}, f"seed {seed}: {span.span_id}"
    finally:
        store.close()
    print(
        f"\n20 kills: {len(committed)} committed spans, all present; {stored} stored, "
        f"{ended} of them ended"
    )
