"""Reading checkpoints and trace stores for inspection (the ``python -m pytest_clearstone``
command line): loading without unpickling, the span tree, a state summary, checkpoint diffs.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import codec
from .codec.views import (
    comparable_fields,
    decoded_view,
    pickle_placeholder,
    safe_decode,
)
from .diff import StateDelta, clip_windows, line_breaks_changed
from .errors import (
    MOVE_AWAY,
    CheckpointCorruptError,
    CheckpointNotFoundError,
    ClearstoneError,
    DecodeError,
    PickleImportError,
    decode_fix,
)
from .golden.files import not_json, read_golden, too_deep_to_read
from .golden.ordering import spans_in_call_order
from .printable import printable

_REPR_WIDTH = 60
_FOLDERS_SEARCHED = 1000  # for a checkpoint to name in a directory given as one
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _check_signature(tree: Any, path: Path) -> None:
    """With a signing key configured, pickles are decoded only from a validly signed file (as
    :meth:`Checkpoint.read` does), checked before anything is unpickled."""
    from .errors import UntrustedCheckpointError
    from .golden import signing

    key = signing.resolve_key(signing.FROM_ENV)
    if key is None or not signing.has_pickle(tree):
        return
    if not (
        isinstance(tree, dict)
        and signing.SIGNATURE_FIELD in tree
        and signing.verify_document(tree, key)
    ):
        raise UntrustedCheckpointError(
            path,
            f"it contains pickled values and is not validly signed for the configured key "
            f"({signing.ENV_VAR}); without --allow-pickle they are shown as placeholders",
        )


def load_checkpoint(
    path: str | Path, *, allow_pickle: bool = False, raw: bytes | None = None
) -> Any:
    """Read a ``.ckpt`` file (or its content ``raw``, ``path`` naming it) for inspection.

    Nothing runs: pickled values become placeholders unless ``allow_pickle``, and values of
    enums, dataclasses, models and other classes whose module is not imported become
    :class:`StoredFields` of their stored fields (no module a file names is imported), so a
    checkpoint from another project can be shown and compared."""
    from .codec.tags import SIZE_FIELD
    from .golden.checkpoint import Checkpoint, error_paths, refuse_duplicate_keys

    path = Path(path)
    if raw is None:
        if path.is_dir():  # (a golden path's fix, to move it away, would move a folder of goldens)
            raise CheckpointCorruptError(
                path, "it is a directory (a checkpoint is a file)", _a_checkpoint_in(path)
            )
        try:
            raw = read_golden(path)
        except CheckpointCorruptError as exc:
            if exc.fix == MOVE_AWAY:  # (a file where a folder of the path is: a path mistyped,
                # not a golden's place for a recording to clear)
                raise CheckpointNotFoundError([path], exc.problem) from None
            if not _special_file(path):
                raise
            raise CheckpointCorruptError(  # (a pipe is not read: it could block)
                path,
                exc.problem,
                "Save what it gives to a file and inspect that (an older commit's golden: "
                "git show REV:PATH > old.ckpt)",
            ) from None
    if not raw.strip():
        raise CheckpointCorruptError(path, "the file is empty")
    tree: Any = None
    try:
        tree = codec.loads(raw.decode("utf-8"), decode_tags=False)
        if not (isinstance(tree, dict) and tree.get(SIZE_FIELD) == len(raw)):  # (edited)
            refuse_duplicate_keys(raw, path)
        error_paths(tree, path)  # the trace's shape, refused as replay refuses it
        if allow_pickle:
            _check_signature(tree, path)
        doc = decoded_view(tree, allow_pickle, False)
    except CheckpointCorruptError:
        raise
    except UnicodeDecodeError as exc:
        raise CheckpointCorruptError(path, f"not UTF-8 text ({exc.reason})") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and DecodeError included
        if isinstance(exc, PickleImportError) and not exc.imported:
            raise ClearstoneError(
                f"{path}: {exc}; the file is sound: the pickled value's own code could not "
                f"rebuild it here, outside its application. Run without --allow-pickle to show "
                f"pickled values as placeholders"
            ) from None
        if isinstance(exc, PickleImportError):  # (the file is sound: the code is not here)
            raise ClearstoneError(
                f"{path}: {exc}; make the modules its pickles refer to importable (run from the "
                f"project's directory, or add it to PYTHONPATH), or run without --allow-pickle "
                f"to show pickled values as placeholders"
            ) from None
        if isinstance(exc, DecodeError):
            from .golden.signing import decode_problem

            problem = f"a stored value cannot be decoded: {decode_problem(tree, exc)}"
            raise CheckpointCorruptError(path, problem, decode_fix(exc)) from None
        if isinstance(exc, RecursionError):  # (whole JSON, nested past every reader's limit)
            raise CheckpointCorruptError(path, too_deep_to_read()) from None
        raise not_json(path, raw, str(exc)) from None
    checkpoint = Checkpoint.from_document(doc, path)  # (its outcome checked)
    for span in checkpoint.trace.spans:  # show computes with them
        for field, ns in (("start_time_ns", span.start_time_ns), ("end_time_ns", span.end_time_ns)):
            if ns is not None and not _INT64_MIN <= ns <= _INT64_MAX:
                raise CheckpointCorruptError(
                    path,
                    f"span {span.span_id!r} has a {field} beyond 64 bits ({clip(str(ns), 24)})",
                )
    return checkpoint


def _a_checkpoint_in(directory: Path) -> str:
    """The fix for a directory given as a checkpoint: a ``.ckpt`` file in it to give instead
    (the first one found, looking through a bounded number of folders)."""
    for seen, (root, folders, files) in enumerate(os.walk(directory)):
        folders.sort()
        found = sorted(name for name in files if name.endswith(".ckpt"))
        if found:
            return f"Give a .ckpt file in it, such as {os.path.join(root, found[0])}"
        if seen == _FOLDERS_SEARCHED:
            return "Give the path of a .ckpt file in it"
    return "It holds no .ckpt file: give the path of a checkpoint"


def _special_file(path: Path) -> bool:
    """Whether ``path`` is a FIFO, a device or a socket: neither a regular file nor a
    directory."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def open_store(db: str | Path, *, allow_pickle: bool = False) -> Any:
    """A read-only :class:`TraceStore` on an existing database file: never creates, migrates
    or changes it; span attributes are decoded with :func:`safe_decode`."""
    from .tracing import TraceStore

    return TraceStore(
        db, read_only=True, decode=functools.partial(safe_decode, allow_pickle=allow_pickle)
    )


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


TARGET_ATTRIBUTE = "clearstone.target"  # set by the recorder on each recorded call


def recorded_calls(spans: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(key, span)`` of each recorded call in call order (start order, the calls of parallel
    branches branch by branch: :mod:`~pytest_clearstone.golden.ordering`), keyed ``target #n``
    (the n-th call of that target): spans of mocked targets, and typed spans holding a recorded
    value."""
    counts: dict[str, int] = {}
    calls = []
    for span in spans_in_call_order(spans):
        target = (
            span.attributes.get(TARGET_ATTRIBUTE) if isinstance(span.attributes, dict) else None
        )
        recorded = span.recorded_input is not None or span.recorded_output is not None
        if not isinstance(target, str) and not (span.span_type and (recorded or span.error)):
            continue
        name = target if isinstance(target, str) else span.name
        counts[name] = counts.get(name, 0) + 1
        calls.append((f"{name} #{counts[name]}", span))
    return calls


def call_parts(span: Any) -> dict[str, Any]:
    """The compared parts of a recorded call: ``input``, ``output``, ``error``."""
    parts: dict[str, Any] = {}
    if span.recorded_input is not None:
        parts["input"] = span.recorded_input.value
    if span.error is not None or span.status == "ERROR":
        parts["error"] = span.status_message or span.error
    elif span.recorded_output is not None:
        parts["output"] = span.recorded_output.value
    return parts


def arguments_text(value: Any, width: int) -> str:
    """Recorded arguments (a dict by parameter name) as ``name=repr, ...`` on one line, a
    method's ``self`` (an SDK resource's reference, a chat model's settings: long, and rarely
    what changed) last."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        names = sorted(value, key=lambda name: name == "self")  # (a stable sort)
        text = ", ".join(f"{k}={short_repr(value[k], 10**6)}" for k in names)
        return clip(printable(text), width)
    return clip(printable(short_repr(value, 10**6)), width)


# -- the canonical text form (git textconv) ----------------------------------------------------
def _stable(tree: Any) -> Any:
    """A codec tree with pickles shown as placeholders (their bytes are not readable)."""
    if type(tree) is list:
        return [_stable(x) for x in tree]
    if type(tree) is not dict:
        return tree
    if tree.get(codec.TAG) == "pickle":
        return repr(pickle_placeholder(tree))
    return {k: _stable(v) for k, v in tree.items()}


def _json_lines(value: Any, indent: str) -> list[str]:
    text = json.dumps(_stable(value), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return [indent + printable(line) for line in text.splitlines()]


#: what reading a file that is not a checkpoint raises (a field of the wrong type, say)
UNREADABLE = (
    ClearstoneError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)


def canonical_lines(raw: bytes, path: Path) -> list[str]:
    """A stable text form of a ``.ckpt`` file: no ids, timestamps or durations, keys sorted,
    values in full; spans as a tree (siblings in call order), recorded calls keyed ``target
    #n``. Values are shown as stored: nothing is decoded, so nothing is unpickled or imported.
    A file that is not a readable checkpoint (one ``show`` refuses) is returned as it is
    (escaped), so a ``git diff`` of a broken file still shows something."""
    try:
        load_checkpoint(path, raw=raw)  # readable? (read as show reads it: nothing runs)
        return _canonical_form(codec.loads(raw.decode("utf-8"), decode_tags=False))
    except UNREADABLE:
        pass
    text = raw.decode("utf-8", "replace")
    return [printable(line) for line in text.splitlines()]


def _canonical_form(doc: dict[str, Any]) -> list[str]:
    from .tracing.trace import Trace

    stored = doc["trace"]["spans"]  # each span's values as stored, by position
    # decoded=True: the stored trees are taken as they are, not decoded (attributes included)
    trace = Trace.from_dict(doc["trace"], decoded=True)
    agent: dict[str, Any] = doc["agent"] if isinstance(doc.get("agent"), dict) else {}
    agent_class = f"{printable(agent.get('module'))}.{printable(agent.get('class'))}"
    if agent.get("module") is None and agent.get("class") is None:  # (a function's golden)
        agent_class = "(none)"  # (as show says it)
    lines = [
        f"format: {printable(doc.get('format'))} version {printable(doc.get('format_version'))}",
        f"agent: {agent_class}",
        "metadata:",
        *_json_lines(doc.get("metadata"), "  "),
        "state:",
        *_json_lines(agent.get("state"), "  "),
    ]
    checkpoint_span = doc.get("span_id")
    lines.append("spans:")
    for depth, span in walk_tree(spans_in_call_order(trace.spans)):
        kind = f" [{span.span_type}]" if span.span_type else ""
        status = span.status + (f" {span.status_message}" if span.status_message else "")
        mark = "  <- checkpoint" if span.span_id == checkpoint_span else ""
        lines.append(printable(f"{'  ' * (depth + 1)}{span.name}{kind} {status}") + mark)
    for key, span in recorded_calls(trace.spans):
        lines.append(printable(f"call {key}" + (f" [{span.span_type}]" if span.span_type else "")))
        fields = stored[span.seq]
        for part, value in (
            ("input", (fields.get("input") or {}).get("v")),
            ("output", (fields.get("output") or {}).get("v")),
            ("error", fields.get("error")),
        ):
            if value is not None:
                lines.append(f"  {part}:")
                lines.extend(_json_lines(value, "    "))
        attributes = {k: v for k, v in span.attributes.items() if k != TARGET_ATTRIBUTE}
        if attributes:
            lines.append("  attributes:")
            lines.extend(_json_lines(attributes, "    "))
    if doc.get("outcome") is not None:
        lines.append("outcome:")
        lines.extend(_json_lines(doc.get("outcome"), "  "))
    return lines


# -- diffs ---------------------------------------------------------------------------------------
def value_lines(before: Any, after: Any, *, width: int, verbose: bool) -> list[str]:
    """What changed from ``before`` to ``after``, a line per changed path; strings with line
    breaks or wider than ``width`` are diffed line by line; ``verbose`` shows values in full.
    Values of client libraries are compared by their stored fields (:func:`comparable_fields`)."""
    before, after = comparable_fields(before), comparable_fields(after)
    delta = StateDelta(before, after, verbosity=2 if verbose else None)  # (-v: every change)
    if not delta:
        return []
    lines: list[str] = []
    long_strings = set()
    in_full = {}  # (-v) a changed value's line with both values whole
    for path, kind, old, new in delta.changes:
        if kind not in ("values_changed", "type_changes"):
            continue
        in_full[path] = f"{path}: {old!r} -> {new!r}"
        if kind == "type_changes" or not (isinstance(old, str) and isinstance(new, str)):
            continue
        if "\n" in old or "\n" in new or max(len(repr(old)), len(repr(new))) > width:
            long_strings.add(path)
            breaks = line_breaks_changed(old, new)  # (the lines' diff leaves them out)
            lines.append(f"{path}: (text, line by line{'; ' + breaks if breaks else ''})")
            context = 10**6 if verbose else 1
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
            hunk = [line for line in diff if not line.startswith(("---", "+++"))]
            lines.extend("  " + line for line in (hunk if verbose else _clipped(hunk, width)))
    for line in delta.lines:
        path = line.partition(": ")[0]
        if path in long_strings:
            continue
        lines.append(in_full.get(path, line) if verbose else line)
    return lines


def _clipped(hunk: list[str], width: int) -> list[str]:
    """The lines of a unified diff cut to ``width``: a removed line and the added line that
    takes its place (the k-th of a run of ``-`` lines and of the ``+`` lines after it) around
    each place where they differ, so that a change far into a long line shows
    (:func:`clip_windows`: a pair of cuts per place, the places past the shown ones counted on
    a line of their own after the run)."""
    out: list[str] = []
    i = 0
    while i < len(hunk):
        j = i
        while j < len(hunk) and hunk[j].startswith("-"):
            j += 1
        k = j
        while k < len(hunk) and hunk[k].startswith("+"):
            k += 1
        if j == i:  # not a run of removed lines
            out.append(clip(hunk[i], width))
            i += 1
            continue
        paired = min(j - i, k - j)
        removed, added, counted = [], [], []
        for n in range(paired):
            for old, new in clip_windows(hunk[i + n][1:], hunk[j + n][1:], width - 1):
                if old == new:  # the count of the places not shown
                    counted.append(" " + old)
                else:
                    removed.append("-" + old)
                    added.append("+" + new)
        removed += [clip(line, width) for line in hunk[i + paired : j]]
        added += [clip(line, width) for line in hunk[j + paired : k]]
        out += removed + added + counted
        i = k
    return out


def _shape_line(depth: int, span: Any) -> str:
    kind = f" [{span.span_type}]" if span.span_type else ""
    return f"{'  ' * depth}{span.name}{kind} {span.status}"


def span_tree_lines(a: Any, b: Any) -> list[str]:
    """The span trees of ``a`` and ``b`` (names, types, statuses; siblings in call order) as
    ``-``/``+`` lines; a run of unchanged spans is shown as ``... N unchanged``. Empty when the
    trees are equal."""
    before = [_shape_line(d, s) for d, s in walk_tree(spans_in_call_order(a.trace.spans))]
    after = [_shape_line(d, s) for d, s in walk_tree(spans_in_call_order(b.trace.spans))]
    if before == after:
        return []
    lines = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines.append(f" ... {i2 - i1} unchanged")
            continue
        lines.extend("-" + line for line in before[i1:i2])
        lines.extend("+" + line for line in after[j1:j2])
    return lines


#: the parts of a recorded call a diff compares (:func:`call_parts`)
_PARTS = ("input", "output", "error")


def _runs_text(outcome: dict[str, Any], width: int) -> str:
    """A golden outcome's runs on one line: ``function() -> result`` each."""
    runs = [outcome, *outcome.get("then", ())]
    text = ", ".join(
        f"{run.get('function')}()"
        + (f" -> {short_repr(run['result'], 10**6)}" if "result" in run else "")
        for run in runs
    )
    return clip(text, width)


def diff_lines(
    a: Any,
    b: Any,
    *,
    width: int = 100,
    verbose: bool = False,
    signatures: tuple[str, str] = ("", ""),
) -> list[tuple[str, list[str]]]:
    """Sections ``(title, lines)`` of what differs between checkpoints ``a`` and ``b``: the
    checkpoint (its span, agent class and the files' ``signatures``, as
    :attr:`TrustInfo.signature` says them), state, golden outcome, metadata, span tree, then
    one section per recorded call whose input, output or error changed, titled ``target #n``."""
    sections: list[tuple[str, list[str]]] = []
    moved = [
        f"{what}: {x!r} -> {y!r}"
        for what, x, y in (
            ("span", a.span.name, b.span.name),
            ("agent", a.agent_class_path, b.agent_class_path),
            ("signature", *signatures),
        )
        if x != y
    ]
    if moved:
        sections.append(("checkpoint", moved))
    options: dict[str, Any] = {"width": width, "verbose": verbose}
    for title, left, right in (
        ("state", a.agent_state, b.agent_state),
        ("golden outcome", a.outcome, b.outcome),
        ("metadata", a.metadata, b.metadata),
    ):
        if title == "golden outcome" and not (left and right):
            if left or right:  # (one file has it: one replay compares a result, the other not)
                which, outcome = ("added", right) if right else ("removed", left)
                sections.append((title, [f"{which}: {_runs_text(outcome, width)}"]))
            continue
        lines = value_lines(left, right, **options)
        if lines:
            sections.append((title, lines))
    spans = span_tree_lines(a, b)
    if spans:
        sections.append(("spans", spans))
    calls_a, calls_b = dict(recorded_calls(a.trace.spans)), dict(recorded_calls(b.trace.spans))
    for key in [*calls_a, *(k for k in calls_b if k not in calls_a)]:
        left, right = calls_a.get(key), calls_b.get(key)
        if left is None or right is None:
            which, span = ("added", right) if left is None else ("removed", left)
            parts = call_parts(span)
            summary = arguments_text(parts.get("input"), width) if "input" in parts else ""
            sections.append((key, [f"{which}" + (f": {summary}" if summary else "")]))
            continue
        lines = []
        parts_a, parts_b = call_parts(left), call_parts(right)
        compared = [(part, parts_a.get(part), parts_b.get(part)) for part in _PARTS]
        if (
            isinstance(left.error, dict)
            and isinstance(right.error, dict)
            and parts_a.get("error") == parts_b.get("error")
        ):  # (what the same message leaves out: the error's attributes, a 429's body and
            # headers the agent may read; a changed message shows the call changed, shortly)
            compared.append(
                ("error.attributes", left.error.get("attributes"), right.error.get("attributes"))
            )
        for part, value_a, value_b in compared:
            if part in parts_a or part in parts_b or value_a != value_b:
                changed = value_lines(value_a, value_b, **options)
                lines.extend(
                    f"{part}{line[4:]}" if line.startswith("root") else line for line in changed
                )
        if lines:
            sections.append((key, lines))
    return sections
