"""Coverage-guided fuzzing (atheris) of everything that reads untrusted bytes.

    python fuzz/atheris_loaders.py -runs=200000        # or -max_total_time=300

Each input goes to the checkpoint loader (with pickles refused, as for a file of unknown
origin), the value codec and the trace store reader. An input may load or end in one of the
project's own errors; anything else — another exception, a crash, a pickle that runs — stops
the fuzzer with the input saved as ``crash-*``. Needs ``pip install atheris`` (extra ``fuzz``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from pytest_clearstone import codec
    from pytest_clearstone.errors import ClearstoneError
    from pytest_clearstone.golden.checkpoint import Checkpoint
    from pytest_clearstone.tracing.store import TraceStore

_DIR = Path(tempfile.mkdtemp(prefix="clearstone-atheris-"))
_CKPT = _DIR / "input.ckpt"
_DB = _DIR / "input.db"


def _checkpoint(data: bytes) -> None:
    with contextlib.suppress(ClearstoneError):
        Checkpoint.from_bytes(data, _CKPT, allow_pickle=False, signing_key=None)


def _codec(data: bytes) -> None:
    with contextlib.suppress(ClearstoneError, ValueError):  # ValueError: not JSON / UTF-8
        codec.loads(data, allow_pickle=False)


def _store(data: bytes) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_DB}{suffix}").unlink(missing_ok=True)
    _DB.write_bytes(data)
    store = TraceStore(_DB)
    try:
        for summary in store.list_traces(limit=5):
            store.get_trace(summary.trace_id)
    except ClearstoneError:
        pass
    finally:
        store.close()


def test_one_input(data: bytes) -> None:
    """The atheris entry point: one input through every reader."""
    _checkpoint(data)
    _codec(data)
    if data[:16] == b"SQLite format 3\x00":  # the store only for inputs that look like one
        _store(data)


def _seed_corpus() -> Path:
    """Real inputs to start from: a checkpoint (with tags and a pickle), codec trees, a store."""
    import datetime as dt

    from pytest_clearstone.debugging import CheckpointManager
    from pytest_clearstone.observability import TracerProvider

    corpus = _DIR / "corpus"
    corpus.mkdir(exist_ok=True)
    provider = TracerProvider(_DIR / "seed.db")
    tracer = provider.get_tracer("seed")
    with tracer.span("run") as root, tracer.span("ask", span_type="llm") as span:
        span.set_input({"prompt": "hi", "when": dt.date(2025, 1, 15)})
        span.set_output(("a", b"b", {1: 2}))
    provider.shutdown()

    class Agent:
        def get_state(self) -> dict[str, object]:
            return {"memory": [("user", "hi")], "seen": {1, 2}, "blob": _Opaque()}

    manager = CheckpointManager(_DIR / "ckpts")
    checkpoint = manager.create_checkpoint(
        Agent(), provider.trace_store.get_trace(root.trace_id), span.span_id
    )
    (corpus / "checkpoint").write_bytes(manager.save_checkpoint(checkpoint).read_bytes())
    (corpus / "tree").write_text(codec.dumps(codec.encode(checkpoint.agent_state)))
    (corpus / "store").write_bytes((_DIR / "seed.db").read_bytes())
    return corpus


class _Opaque:
    """Only dill can encode it: the seed checkpoint holds a pickle."""


def main() -> None:
    os.environ.pop("CLEARSTONE_SIGNING_KEY", None)
    sqlite3.connect(":memory:").close()
    argv = list(sys.argv)
    if not any(not arg.startswith("-") for arg in argv[1:]):  # no corpus given: seed one
        argv.append(str(_seed_corpus()))
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
