"""Read the files written by the original clearstone-sdk (0.1.x) into pytest-clearstone objects.

clearstone-sdk keeps spans in a SQLite file (``traces.db``, one ``spans`` table) and checkpoints in
``.ckpt`` files holding one line of JSON: ``metadata``, ``current_span``, ``upstream_spans`` and
``agent_state_pickle_b64``, a base64 pickle of the whole agent state. Span inputs and outputs are
wrapped three times: the column (or span-dict field) is a *snapshot* ``{"captured": true, "data":
"<json text>"}``; ``data`` is ``{"__type__": "json", "value": ...}`` or ``{"__type__": "pickle",
"value": "<base64 pickle>"}``.

Pickles are untrusted input (unpickling runs code named by the file): every function here refuses
them unless called with ``allow_pickle=True``, raising
:class:`~pytest_clearstone.errors.UntrustedCheckpointError` that names the file and the opt-in.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import (
    CheckpointCorruptError,
    CheckpointError,
    CheckpointNotFoundError,
    SecretLeakError,
    TraceNotFoundError,
    TraceStoreError,
    traces_command,
)
from ..golden.checkpoint import Checkpoint, written_by_plugin
from ..golden.document import FORMAT_NAME
from ..golden.secrets import find_leak, seen_secrets
from ..tracing.span import Recorded, Span
from ..tracing.store import is_our_spans_table
from ..tracing.trace import Trace
from ._sdk_spans import KIND_ATTRIBUTE, Bad, epoch_ns_to_datetime, make_span, unpickle

# what to do when a converted golden would hold a secret value in sight
_LEAK_FIX = (
    "The clearstone-sdk files hold it (they were recorded without pytest-clearstone's "
    "redaction), and import-clearstone wrote nothing: record the test again with pytest "
    "--clearstone-record instead of importing it, or remove the value from the clearstone-sdk "
    "files; if it is not a secret, run the import without that variable set"
)

__all__ = ["KIND_ATTRIBUTE", "import_files", "read_checkpoint", "read_trace", "read_traces"]

_COLUMNS = (
    "span_id, trace_id, parent_span_id, name, kind, start_time_ns, end_time_ns, status, "
    "attributes_json, input_snapshot_json, output_snapshot_json, error_message, "
    "instrumentation_name, instrumentation_version"
)
_SQLITE_MAGIC = b"SQLite format 3\x00"


# -- traces.db ---------------------------------------------------------------------------------
def _connect(db_path: Path) -> sqlite3.Connection:
    if not db_path.is_file():
        raise TraceStoreError(f"no clearstone-sdk trace store at {db_path}")
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
    except sqlite3.Error as exc:
        if conn is not None:  # (left to the garbage collector, Python 3.13 warns of it)
            conn.close()
        raise TraceStoreError(f"cannot open {db_path} as a SQLite database: {exc}") from None
    return conn


def _rows(db_path: Path, trace_id: str | None) -> list[tuple[Any, ...]]:
    conn = _connect(db_path)
    try:
        sql = f"SELECT {_COLUMNS} FROM spans"
        params: tuple[Any, ...] = ()
        if trace_id is not None:
            sql += " WHERE trace_id = ?"
            params = (trace_id,)
        return conn.execute(sql + " ORDER BY rowid", params).fetchall()
    except sqlite3.Error as exc:
        problem = f"reading its 'spans' table failed: {exc}"
    finally:
        conn.close()
    if _is_our_store(db_path):
        problem = (
            "it is a trace store of pytest-clearstone, with nothing to convert; list its traces "
            f"with: {traces_command(str(db_path))}"
        )
    raise TraceStoreError(f"{db_path} is not a clearstone-sdk trace store ({problem})")


def _spans_from_rows(db_path: Path, rows: list[tuple[Any, ...]], allow_pickle: bool) -> list[Span]:
    spans = []
    names = [c.strip() for c in _COLUMNS.split(",")]
    for seq, row in enumerate(rows):
        fields = dict(zip(names, row, strict=True))
        fields["attributes"] = fields.pop("attributes_json")
        fields["input"] = fields.pop("input_snapshot_json")
        fields["output"] = fields.pop("output_snapshot_json")
        try:
            spans.append(make_span(fields, db_path, allow_pickle, seq))
        except Bad as exc:
            raise TraceStoreError(f"{db_path}: {exc}") from None
        except (TypeError, ValueError, KeyError, OverflowError, RecursionError) as exc:
            raise TraceStoreError(f"{db_path}: a span row is malformed ({exc!r})") from None
    return spans


def read_traces(db_path: str | Path, *, allow_pickle: bool = False) -> list[Trace]:
    """Every trace in a clearstone-sdk ``traces.db``, oldest first.

    Span types come from the ``span_type`` attribute, else the name's prefix before the first
    dot (``llm.generate`` -> ``llm``), else the lowercased span kind (``internal``). Spans are
    ordered by start time. A pickled input or output raises
    :class:`~pytest_clearstone.errors.UntrustedCheckpointError` unless ``allow_pickle=True``;
    a file that is not such a store raises :class:`~pytest_clearstone.errors.TraceStoreError`.
    """
    path = Path(db_path)
    spans = _spans_from_rows(path, _rows(path, None), allow_pickle)
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    traces = [Trace(trace_id, group) for trace_id, group in by_trace.items()]
    return sorted(traces, key=lambda t: t.spans[0].start_time_ns)


def read_trace(db_path: str | Path, trace_id: str, *, allow_pickle: bool = False) -> Trace:
    """The trace ``trace_id`` from a clearstone-sdk ``traces.db`` (see :func:`read_traces`).

    Raises :class:`~pytest_clearstone.errors.TraceNotFoundError` when it is not there.
    """
    path = Path(db_path)
    spans = _spans_from_rows(path, _rows(path, trace_id), allow_pickle)
    if not spans:
        raise TraceNotFoundError(trace_id, str(path))
    return Trace(trace_id, spans)


# -- .ckpt -------------------------------------------------------------------------------------
#: what to do about a clearstone-sdk file that cannot be converted (not "re-record it")
_SDK_FIX = "Give import-clearstone the .ckpt files and traces.db as clearstone-sdk wrote them"


def _corrupt(path: Path, problem: str, fix: str = _SDK_FIX) -> CheckpointCorruptError:
    return CheckpointCorruptError(path, problem, fix)


def _document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointNotFoundError([path]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"cannot read it ({exc})") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _corrupt(path, f"truncated or not JSON ({exc})") from None
    except RecursionError:
        raise _corrupt(path, "its JSON is nested too deeply to read") from None
    if isinstance(doc, dict) and doc.get("format") == FORMAT_NAME:
        raise _corrupt(
            path, "it is already a pytest-clearstone checkpoint; load it with CheckpointManager", ""
        )
    required = ("metadata", "current_span", "agent_state_pickle_b64")
    if not isinstance(doc, dict) or any(k not in doc for k in required):
        raise _corrupt(
            path,
            "not a clearstone-sdk checkpoint (expected the keys metadata, current_span, "
            "upstream_spans and agent_state_pickle_b64)",
        )
    return doc


def _span_from_dict(d: Any, path: Path, allow_pickle: bool, seq: int) -> Span:
    if not isinstance(d, dict):
        raise Bad(f"a span is a {type(d).__name__}, not an object")
    fields = dict(d)
    fields["input"] = d.get("input_snapshot")
    fields["output"] = d.get("output_snapshot")
    return make_span(fields, path, allow_pickle, seq)


def read_checkpoint(
    path: str | Path,
    *,
    allow_pickle: bool = False,
    trace_store_path: str | Path | None = None,
) -> Checkpoint:
    """Read a clearstone-sdk ``.ckpt`` file into a pytest-clearstone
    :class:`~pytest_clearstone.debugging.Checkpoint`.

    The agent state is one pickle: without ``allow_pickle=True`` this raises
    :class:`~pytest_clearstone.errors.UntrustedCheckpointError` naming the file. The agent class
    comes from ``agent_class_path``, the timestamp from ``timestamp_ns`` (UTC). With
    ``trace_store_path`` (the run's ``traces.db``) the checkpoint's trace is the whole trace from
    that store, recorded outputs included, so it can be replayed; without it, only the
    checkpoint's own span and its ancestors, which hold no responses to replay.
    """
    store = None if trace_store_path is None else Path(trace_store_path)

    def lookup(trace_id: str) -> Trace | None:
        if store is None:
            return None
        return read_trace(store, trace_id, allow_pickle=allow_pickle)

    return _convert_checkpoint(Path(path), allow_pickle, lookup)


def _convert_checkpoint(
    path: Path, allow_pickle: bool, lookup: Callable[[str], Trace | None]
) -> Checkpoint:
    doc = _document(path)
    meta = doc["metadata"]
    try:
        state = unpickle(doc["agent_state_pickle_b64"], path, "the agent state", allow_pickle)
        spans = [
            _span_from_dict(d, path, allow_pickle, i)
            for i, d in enumerate([*(doc.get("upstream_spans") or []), doc["current_span"]])
        ]
        trace_id, span_id = str(meta["trace_id"]), str(meta["span_id"])
        module, _, class_name = str(meta["agent_class_path"]).rpartition(".")
        timestamp = epoch_ns_to_datetime(int(meta["timestamp_ns"]))
    except Bad as exc:
        raise _corrupt(path, str(exc)) from None
    except KeyError as exc:
        raise _corrupt(path, f"the field {exc.args[0]!r} is missing") from None
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise _corrupt(path, f"a field has the wrong type or is out of range ({exc})") from None
    except RecursionError:
        raise _corrupt(path, "a value is nested too deeply to read") from None
    trace = Trace(trace_id, spans)
    stored = lookup(trace_id)
    if stored is not None:
        extra = [s for s in spans if s.span_id not in stored]
        trace = Trace(trace_id, [*stored.spans, *extra]) if extra else stored
    if span_id not in trace:
        raise _corrupt(path, f"its span {span_id!r} is not among its spans")
    return Checkpoint(
        checkpoint_id=str(meta.get("checkpoint_id") or f"ckpt_{trace_id}"),
        state=Recorded(decoded=state),
        agent_class_name=class_name or None,
        agent_module=module or None,
        trace=trace,
        span_id=span_id,
        timestamp=timestamp,
        metadata={
            "imported_from": "clearstone-sdk",
            "clearstone_version": meta.get("clearstone_version"),
            "python_version": meta.get("python_version"),
            "source_file": path.name,
            "trace_source": "checkpoint only" if stored is None else "traces.db",
        },
    )


# -- converting files --------------------------------------------------------------------------
def _file_kind(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise _corrupt(path, f"cannot read it ({exc.strerror})") from None
    if head == _SQLITE_MAGIC:
        return "db"
    if head.lstrip().startswith(b"{"):
        return "ckpt"
    raise _corrupt(
        path, "it is neither a clearstone-sdk traces.db (SQLite) nor a .ckpt file (JSON)"
    )


def _is_ours(path: Path) -> bool:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False  # reported when it is converted
    return isinstance(doc, dict) and doc.get("format") == FORMAT_NAME


def _spans_columns(path: Path) -> set[str] | None:
    """The columns of the ``spans`` table of the SQLite file ``path`` (empty: it has none),
    read-only; ``None`` when it cannot be read (that is reported when it is converted)."""
    try:
        conn = _connect(path)
    except TraceStoreError:
        return None
    try:
        return {row[1] for row in conn.execute("PRAGMA table_info(spans)")}
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _is_our_store(path: Path) -> bool:
    """Whether ``path`` is a trace store of pytest-clearstone."""
    return is_our_spans_table(_spans_columns(path) or set())


def _may_be_sdk_store(path: Path) -> bool:
    """Whether a ``.db`` file found in a directory is to be converted: one with a ``spans``
    table that is not pytest-clearstone's, or one that cannot be read (reported then); another
    program's SQLite file (an application's, a virtualenv's) is passed over."""
    columns = _spans_columns(path)
    return columns is None or (bool(columns) and not is_our_spans_table(columns))


def _discover(src: Path, dest_dir: Path) -> tuple[list[Path], list[Path]]:
    """The trace stores and checkpoint files to convert from ``src``."""
    if src.is_dir():
        dest = dest_dir.resolve()
        # a DEST_DIR inside src (not src itself, nor a folder holding it) is an earlier import's
        # output, skipped whole; elsewhere our own files are told by their content
        outputs = dest if src.resolve() in dest.parents else None

        def wanted(p: Path) -> bool:
            return p.is_file() and (outputs is None or outputs not in p.resolve().parents)

        # our own trace stores (the plugin's .clearstone/traces.db), other programs' SQLite
        # files and our own checkpoints (e.g. from an earlier import into a folder inside src)
        # are skipped
        dbs = sorted(p for p in src.rglob("*.db") if wanted(p) and _may_be_sdk_store(p))
        ckpts = sorted(p for p in src.rglob("*.ckpt") if wanted(p) and not _is_ours(p))
        if not dbs and not ckpts:
            raise CheckpointNotFoundError(
                [src], hint="The directory holds no clearstone-sdk traces.db or .ckpt file"
            )
        return dbs, ckpts
    if not src.exists():
        raise CheckpointNotFoundError(
            [src], hint="Give a clearstone-sdk traces.db, a .ckpt file or a directory of them"
        )
    if _file_kind(src) == "db":
        return [src], []
    # a lone checkpoint: use its run's traces.db when it sits next to it or one level up
    near = [src.parent / "traces.db", src.parent.parent / "traces.db"]
    return [p for p in near if p.is_file()][:1], [src]


def _safe_id(text: str) -> str:
    if text and all(c.isalnum() or c in "-_" for c in text):
        return text
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _trace_checkpoint(trace: Trace, db: Path) -> Checkpoint:
    """A checkpoint without agent state at the root of a trace that has no clearstone-sdk one."""
    root = trace.root_span or trace.spans[0]
    return Checkpoint(
        checkpoint_id=f"ckpt_{_safe_id(trace.trace_id)}",
        state=Recorded(decoded=None),
        agent_class_name=None,
        agent_module=None,
        trace=trace,
        span_id=root.span_id,
        timestamp=epoch_ns_to_datetime(root.start_time_ns),
        metadata={
            "imported_from": "clearstone-sdk",
            "source_file": db.name,
            "trace_source": "traces.db",
            "note": "a trace without a clearstone-sdk checkpoint: no agent state",
        },
    )


def import_files(src: Path, dest_dir: Path, *, allow_pickle: bool = False) -> list[Path]:
    """Convert clearstone-sdk files into pytest-clearstone ``.ckpt`` files in ``dest_dir``.

    ``src`` is a clearstone-sdk ``traces.db``, a ``.ckpt`` file, or a directory searched
    recursively for both (skipping ``dest_dir`` and pytest-clearstone's own checkpoints and trace
    stores). Each clearstone-sdk checkpoint becomes one of ours, its trace taken whole from the
    ``traces.db`` that holds it (for a lone ``.ckpt``: a ``traces.db`` beside it or one directory
    up), so the recorded responses can be replayed. Each trace in a ``traces.db`` that no
    converted checkpoint covers becomes a checkpoint without agent state at its root span, usable
    with ``replay.run(agent.method, ...)``. Files are named ``{trace_id}_{checkpoint_id}.ckpt``
    and written atomically (``dest_dir`` is created);
    returns their paths.

    Pickled values (always the agent state; sometimes span outputs) are refused with
    :class:`~pytest_clearstone.errors.UntrustedCheckpointError` unless ``allow_pickle=True``.
    Bad input raises :class:`~pytest_clearstone.errors.CheckpointNotFoundError`,
    :class:`~pytest_clearstone.errors.CheckpointCorruptError` or
    :class:`~pytest_clearstone.errors.TraceStoreError`, naming the file.
    """
    src, dest_dir = Path(src), Path(dest_dir)
    if dest_dir.exists() and not dest_dir.is_dir():  # (refused before anything is read)
        raise CheckpointError(
            f"cannot write the converted checkpoints to {dest_dir}: {dest_dir} is a file, not a "
            f"directory; give import-clearstone a directory (new or existing) as DEST_DIR"
        )
    dbs, ckpt_files = _discover(src, dest_dir)
    stored: dict[str, Trace] = {}
    origin: dict[str, Path] = {}
    for db in dbs:
        for trace in read_traces(db, allow_pickle=allow_pickle):
            stored.setdefault(trace.trace_id, trace)
            origin.setdefault(trace.trace_id, db)
    checkpoints = [_convert_checkpoint(p, allow_pickle, stored.get) for p in ckpt_files]
    covered = {c.trace.trace_id for c in checkpoints}
    checkpoints += [
        _trace_checkpoint(t, origin[tid]) for tid, t in stored.items() if tid not in covered
    ]
    targets = [
        dest_dir / f"{_safe_id(c.trace.trace_id)}_{_safe_id(c.checkpoint_id)}.ckpt"
        for c in checkpoints
    ]
    sources = {p.resolve() for p in ckpt_files}
    for target in targets:  # (refused before anything is written)
        if written_by_plugin(target):
            raise CheckpointError(
                f"converting into {target} would replace a golden recorded by the pytest plugin "
                f"(re-recorded since it was imported); keep it: move it elsewhere first, or give "
                f"import-clearstone another DEST_DIR"
            )
        if target.resolve() in sources:
            raise CheckpointError(
                f"converting {target} would replace it: it is a clearstone-sdk file being "
                f"converted, and the converted file has its name; give import-clearstone "
                f"another DEST_DIR"
            )
    # the files were recorded without the plugin's redaction: the converted goldens (meant for
    # git) are searched for the secret values in sight, all before anything is written
    secrets = seen_secrets()
    for checkpoint, target in zip(checkpoints, targets, strict=True):
        leak = find_leak(checkpoint.dumps(allow_pickle=allow_pickle), secrets)
        if leak is not None:
            raise SecretLeakError(target, leak.location, leak.what, fix=_LEAK_FIX)
    return [
        checkpoint.write(target, allow_pickle=allow_pickle)
        for checkpoint, target in zip(checkpoints, targets, strict=True)
    ]
