"""Reading checkpoints and trace stores for inspection (the ``python -m pytest_clearstone``
command line): loading without unpickling, the span tree, a state summary, checkpoint diffs.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import codec
from .errors import (
    CheckpointCorruptError,
    CheckpointNotFoundError,
    DecodeError,
    TraceStoreError,
)

_REPR_WIDTH = 60


def _importable(path: str, cache: dict[str, bool]) -> bool:
    """Whether ``module:QualName`` (a codec ``cls``) can be imported here."""
    if path not in cache:
        module, _, qualname = path.partition(":")
        try:
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            cache[path] = isinstance(obj, type)
        except Exception:
            cache[path] = False
    return cache[path]


def _defuse(tree: Any, cache: dict[str, bool]) -> Any:
    """Replace what cannot or must not be decoded by placeholders: pickled values (nothing is
    unpickled) and enums or dataclasses whose class cannot be imported here."""
    if type(tree) is list:
        return [_defuse(x, cache) for x in tree]
    if type(tree) is not dict:
        return tree
    tag = tree.get(codec.TAG)
    if tag == "pickle":
        digest = hashlib.sha256(str(tree.get("v", "")).encode()).hexdigest()[:8]
        kind = str(tree.get("type", "value"))
        return codec.StoredRepr(kind, f"<pickled {kind} sha256:{digest}>")
    if tag in ("enum", "dataclass") and not _importable(str(tree.get("cls")), cache):
        cls = str(tree.get("cls"))
        return codec.StoredRepr(cls, f"<{tag} {cls} (not importable here)>")
    return {k: _defuse(v, cache) for k, v in tree.items()}


def load_checkpoint(path: Path, *, allow_pickle: bool = False) -> Any:
    """Read a ``.ckpt`` file for inspection. Pickled values become placeholders unless
    ``allow_pickle`` (unpickling runs code from the file), as do enums and dataclasses whose
    class is not importable here, so a checkpoint from another project can still be shown."""
    from .golden.checkpoint import Checkpoint

    if not path.exists():
        raise CheckpointNotFoundError([path])
    if allow_pickle or path.is_dir():
        return Checkpoint.read(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise CheckpointCorruptError(path, "the file is empty")
    try:
        tree = codec.loads(raw.decode("utf-8"), decode_tags=False)
        doc = codec.decode(_defuse(tree, {}), allow_pickle=False)
    except UnicodeDecodeError as exc:
        raise CheckpointCorruptError(path, f"not UTF-8 text ({exc.reason})") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and DecodeError included
        problem = f"a stored value cannot be decoded: {exc}" if isinstance(exc, DecodeError) else (
            f"truncated or not JSON ({exc})")  # fmt: skip
        raise CheckpointCorruptError(path, problem) from None
    return Checkpoint.from_document(doc, path)


def open_store(db: str) -> Any:
    """A :class:`TraceStore` for an existing database file (never creates one)."""
    from .tracing import TraceStore

    path = Path(db)
    if not path.is_file():
        what = "it is a directory" if path.is_dir() else "no such file"
        raise TraceStoreError(f"cannot open the trace store {db!r}: {what}")
    return TraceStore(db)


def short_repr(value: Any, width: int = _REPR_WIDTH) -> str:
    """``repr(value)`` on one line, cut to ``width`` characters."""
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not stop the inspection
        text = f"<unrepresentable: {type(exc).__name__}>"
    if "\n" in text:  # a multi-line __repr__; string values have their newlines escaped
        text = " ".join(line.strip() for line in text.splitlines())
    return clip(text, width)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending with ``...`` when cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


def walk_tree(spans: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """``(depth, span)`` in tree order: each span followed by its children, in start order."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Any]] = {}
    for span in spans:
        parent = span.parent_span_id if span.parent_span_id in ids else None
        children.setdefault(parent, []).append(span)
    stack = [(0, s) for s in reversed(children.get(None, []))]
    seen: set[str] = set()
    while stack:
        depth, span = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        yield depth, span
        stack.extend((depth + 1, c) for c in reversed(children.get(span.span_id, [])))


def _summary(value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": type(value).__name__, "repr": short_repr(value)}
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        entry["len"] = len(value)
    return entry


def state_summary(state: Any) -> dict[str, dict[str, Any]]:
    """Top-level keys of a state (or ``<state>`` for a non-dict) with type, length and repr."""
    if isinstance(state, dict):
        return {str(k): _summary(v) for k, v in state.items()}
    return {"<state>": _summary(state)}


def show_document(ckpt: Any, path: Path) -> dict[str, Any]:
    """The facts ``show --json`` prints."""
    span = ckpt.span
    return {
        "path": str(path),
        "checkpoint_id": ckpt.checkpoint_id,
        "agent": ckpt.agent_class_path,
        "trace_id": ckpt.trace.trace_id,
        "span_id": ckpt.span_id,
        "span_name": span.name,
        "timestamp": ckpt.timestamp.isoformat(),
        "format_version": ckpt.format_version,
        "contains_pickle": ckpt.contains_pickle,
        "metadata": ckpt.metadata,
        "golden_function": (ckpt.outcome or {}).get("function"),
        "spans": [
            {
                "depth": depth,
                "span_id": s.span_id,
                "parent_span_id": s.parent_span_id,
                "name": s.name,
                "span_type": s.span_type,
                "duration_ms": s.duration_ms,
                "status": s.status,
                "status_message": s.status_message,
            }
            for depth, s in walk_tree(ckpt.trace.spans)
        ],
        "state": state_summary(ckpt.agent_state),
    }


def _values_by_type(ckpt: Any, what: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for span in ckpt.trace.spans:
        recorded = span.recorded_input if what == "input" else span.recorded_output
        if span.span_type and recorded is not None:
            found.setdefault(span.span_type, []).append(recorded.value)
    return found


def diff_lines(a: Any, b: Any) -> list[tuple[str, list[str]]]:
    """Sections ``(title, lines)`` of what differs between checkpoints ``a`` and ``b``."""
    from .diff import StateDelta

    sections: list[tuple[str, list[str]]] = []
    moved = [f"{what}: {x!r} -> {y!r}" for what, x, y in (
        ("span", a.span.name, b.span.name), ("agent", a.agent_class_path, b.agent_class_path))
        if x != y]  # fmt: skip
    if moved:
        sections.append(("checkpoint", moved))
    delta = a.diff(b)
    if delta:
        sections.append(("state", delta.lines))
    if a.outcome and b.outcome:
        delta = StateDelta(a.outcome, b.outcome)
        if delta:
            sections.append(("golden outcome", delta.lines))
    delta = StateDelta(a.metadata, b.metadata)
    if delta:
        sections.append(("metadata", delta.lines))

    def shape(ckpt: Any) -> list[str]:
        return [f"{'  ' * d}{s.name}" + (f" [{s.span_type}]" if s.span_type else "")
                + f" {s.status}" for d, s in walk_tree(ckpt.trace.spans)]  # fmt: skip

    before, after = shape(a), shape(b)
    if before != after:
        lines = [line for line in difflib.unified_diff(before, after, lineterm="", n=1)
                 if not line.startswith(("---", "+++", "@@"))]  # fmt: skip
        sections.append(("spans", lines))
    for what in ("input", "output"):
        values_a, values_b = _values_by_type(a, what), _values_by_type(b, what)
        for span_type in sorted(set(values_a) | set(values_b)):
            left, right = values_a.get(span_type, []), values_b.get(span_type, [])
            delta = StateDelta(left, right)
            if delta:
                title = f"{what}s of [{span_type}] spans ({len(left)} -> {len(right)})"
                sections.append((title, delta.lines))
    return sections
