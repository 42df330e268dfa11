"""The inspection command line: ``python -m pytest_clearstone`` (console script
``pytest-clearstone``).

Subcommands: ``show`` a checkpoint, ``diff`` two checkpoints (or one against git ``HEAD``),
list ``traces`` of a trace store, print one ``trace``, ``prune`` old checkpoints or traces,
``import-clearstone`` files of clearstone-sdk. Bad input exits with status 2 and one line on
stderr.

Inspecting is safe whatever the file: nothing is unpickled unless ``--allow-pickle`` is given,
no module a file names is imported, SQLite files are opened read-only and never changed, and
control characters from files are printed escaped. ``prune`` is the one command that writes.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .codec.nesting import room
from .codec.views import safe_decode
from .errors import CheckpointNotFoundError, ClearstoneError, TraceStoreError
from .golden.checkpoint import RECORDED_BY_PLUGIN, checkpoint_writer
from .golden.files import read_golden, without_bom
from .golden.ordering import in_start_order
from .golden.signing import checkpoint_trust, content_trust
from .inspection import (
    UNREADABLE,
    arguments_text,
    call_parts,
    canonical_lines,
    clip,
    diff_lines,
    load_checkpoint,
    open_store,
    recorded_calls,
    short_repr,
    show_document,
    state_summary,
    walk_tree,
)
from .printable import printable
from .store_path import DEFAULT_DB, expanded
from .verbosity import set_show_all

PROG = "pytest-clearstone"
_RED, _GREEN, _YELLOW, _CYAN, _RESET = "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[0m"
# what may still reach the terminal from a line: our own colour codes, and nothing else (a
# file name may hold other SGR codes: "conceal" would hide what follows)
_SGR = re.compile("(" + "|".join(map(re.escape, (_RED, _GREEN, _YELLOW, _CYAN, _RESET))) + ")")


class _UsageError(Exception):
    """Bad command-line arguments (argparse's complaint, kept to one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # (a command's parser: its own help)
        raise _UsageError(f"{message} (see: {self.prog} --help)")


def use_colour(stream: TextIO, when: str = "auto") -> bool:
    """Whether to colour ``stream``, the way pytest decides: ``--color=yes|no``, else
    ``PY_COLORS=1|0``, else no colour with ``NO_COLOR``, colour with ``FORCE_COLOR``, else
    only on a terminal that is not ``TERM=dumb``."""
    if when in ("yes", "no"):
        return when == "yes"
    env = os.environ
    if env.get("PY_COLORS") in ("0", "1"):
        return env["PY_COLORS"] == "1"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return callable(isatty) and bool(isatty()) and env.get("TERM") != "dumb"


class _Out:
    """Writes lines to a stream: colour only when asked, control characters escaped, and a
    reader that went away (``| head``) ends the output silently."""

    def __init__(self, stream: TextIO | None, *, colour: bool = False) -> None:
        # (None: Python's stream when the file descriptor was closed, as by `>&-`; nothing to
        # write to, the exit status stays)
        self.stream: TextIO = io.StringIO() if stream is None else stream
        self.colour = colour
        self.width = max(40, shutil.get_terminal_size((100, 24)).columns)
        self.closed = stream is None

    def paint(self, text: str, colour: str) -> str:
        return f"{colour}{text}{_RESET}" if self.colour else text

    def line(self, text: str = "") -> None:
        # file text is escaped where it is read (printable); this pass keeps anything missed
        # from driving the terminal, our colour codes excepted
        parts = _SGR.split(text)
        self.raw("".join(p if i % 2 else printable(p) for i, p in enumerate(parts)) + "\n")

    def raw(self, text: str) -> None:
        if self.closed:
            return
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:  # a stream that cannot hold it (PYTHONIOENCODING=ascii)
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                self.stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except BrokenPipeError:
            self.close_pipe()

    def flush(self) -> None:
        try:
            if not self.closed:
                self.stream.flush()
        except BrokenPipeError:
            self.close_pipe()

    def close_pipe(self) -> None:
        """The reader left: send the rest (and Python's exit flush) to devnull (the recipe of
        the ``signal`` module's docs), so no error is printed and the exit status stays."""
        self.closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
        except (OSError, ValueError, AttributeError):  # not a real file (tests)
            pass


# -- rendering ---------------------------------------------------------------------------------
def _ms(duration: float | None) -> str:
    return "open" if duration is None else f"{duration:.2f} ms"


def _iso(ns: int) -> str:
    moment = _dt.datetime.fromtimestamp(ns / 1e9, tz=_dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def _span_line(out: _Out, depth: int, span: Any, marker: str = "") -> str:
    kind = f" [{printable(span.span_type)}]" if span.span_type else ""
    status = printable(span.status)
    if span.status == "ERROR":
        message = f" {printable(span.status_message)}" if span.status_message else ""
        status = out.paint("ERROR", _RED) + message
    text = f"{'  ' * depth}{printable(span.name)}{kind}  {_ms(span.duration_ms)}  {status}"
    return text + (out.paint(marker, _CYAN) if marker else "")


# -- show --------------------------------------------------------------------------------------
def cmd_show(args: argparse.Namespace, out: _Out) -> int:
    path = Path(args.checkpoint)
    if args.canonical:
        if not path.is_file():
            load_checkpoint(path)  # the usual error: not found, a directory, a pipe
        for line in canonical_lines(read_golden(path), path):
            out.line(line)
        return 0
    ckpt = load_checkpoint(path, allow_pickle=args.allow_pickle)
    trust = checkpoint_trust(path)
    if args.json:
        doc = show_document(ckpt, path)
        doc.update(signed=trust.signed, signature_valid=trust.signature_valid)
        text = json.dumps(doc, indent=2, default=repr, ensure_ascii=False)
        # JSON escapes C0 characters itself; the others become \u escapes (four hex digits),
        # which keeps it JSON
        out.raw(re.sub(r"[^\x00-\x7e]", _json_escape_control, text) + "\n")
        return 0
    if args.calls:
        return _show_calls(ckpt, out)
    span = ckpt.span
    # (what the file holds, not what its contains_pickle field claims)
    holds_pickle = trust.contains_pickle or ckpt.contains_pickle
    pickle = "yes" if holds_pickle else "no"
    if holds_pickle and not args.allow_pickle:
        pickle = "yes (shown as placeholders; --allow-pickle decodes them)"
    fields = [
        ("checkpoint", f"{printable(ckpt.checkpoint_id)}  ({path})"),
        ("agent", printable(ckpt.agent_class_path or "(none)")),
        ("trace", printable(ckpt.trace.trace_id)),
        ("span", f"{printable(ckpt.span_id)}  {span.name!r}"),
        ("timestamp", ckpt.timestamp.isoformat()),
        ("format", f"version {ckpt.format_version}"),
        ("pickle", pickle),
        ("trust", str(trust)),
    ]
    if ckpt.outcome:
        fields.append(("golden", f"outcome of {ckpt.outcome.get('function')!r}"))
    for key, value in fields:
        out.line(f"{key:<11}{value}")
    out.line("metadata" + ("   (empty)" if not ckpt.metadata else ""))
    for key, value in ckpt.metadata.items():
        out.line(f"  {printable(key)}: {printable(short_repr(value, 70))}")
    out.line()
    out.line(f"spans ({len(ckpt.trace.spans)}):")
    for depth, s in walk_tree(ckpt.trace.spans):
        marker = "  <- checkpoint" if s.span_id == ckpt.span_id else ""
        out.line(_span_line(out, depth + 1, s, marker))
    out.line()
    summary = {printable(k): v for k, v in state_summary(ckpt.agent_state).items()}
    out.line(f"state ({type(ckpt.agent_state).__name__}, {len(summary)} key(s)):")
    kinds = {k: e["type"] + (f", len {e['len']}" if "len" in e else "") for k, e in summary.items()}
    width = max((len(k) for k in summary), default=0)
    kind_width = max((len(k) for k in kinds.values()), default=0)
    for key, entry in summary.items():
        out.line(f"  {key:<{width}}  {kinds[key]:<{kind_width}}  {printable(entry['repr'])}")
    return 0


def _json_escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return char if printable(char) == char else f"\\u{ord(char):04x}"


def _show_calls(ckpt: Any, out: _Out) -> int:
    # numbered per target in call order, listed in start order: the recorded sequence a
    # divergence message places a call in
    numbered = recorded_calls(ckpt.trace.spans)
    key_of = {id(span): key for key, span in numbered}
    calls = [(key_of[id(span)], span) for span in in_start_order(s for _, s in numbered)]
    room = out.width - 12  # after "    result: "
    out.line(f"calls ({len(calls)}):")
    for key, span in calls:
        kind = f"  [{printable(span.span_type)}]" if span.span_type else ""
        out.line(clip(f"  {printable(key)}{kind}", out.width))
        parts = call_parts(span)
        if "input" in parts:
            out.line(f"    args:   {arguments_text(parts['input'], room)}")
        if "error" in parts:
            error = parts["error"]
            text = error if isinstance(error, str) else short_repr(error, room)
            out.line("    error:  " + out.paint(clip(printable(text), room), _RED))
        elif "output" in parts:
            out.line(f"    result: {printable(short_repr(parts['output'], room))}")
    outcome = ckpt.outcome
    if not outcome:
        if ckpt.recorded_by_plugin:
            why = "no replay.run() returned while it was recorded: none was called, or it raised"
        else:
            why = "not a golden of the pytest plugin"
        out.line(f"golden outcome: (none: {why})")
        return 0
    runs = [outcome, *outcome.get("then", ())]
    room = out.width - 15  # after "  final state: "
    for number, run in enumerate(runs, 1):
        which = f" (run {number})" if len(runs) > 1 else ""
        out.line(f"golden outcome{which}: {printable(run.get('function'))}()")
        if "result" in run:
            out.line(f"  result:      {printable(short_repr(run['result'], room))}")
        if "final_state" in run:
            out.line(f"  final state: {printable(short_repr(run['final_state'], room))}")
    return 0


# -- diff --------------------------------------------------------------------------------------
def _at_head(path: Path) -> tuple[str, bytes]:
    """``(label, bytes)`` of ``path`` as committed at git ``HEAD``, as a checkout writes it."""
    where = path.resolve().parent
    if not where.is_dir():
        raise CheckpointNotFoundError([path])
    try:
        top = subprocess.run(  # (bytes: a path is decoded as Python decodes file names)
            ["git", "rev-parse", "--show-toplevel"],
            cwd=where,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise ClearstoneError(
            f"cannot compare {path} with git HEAD: git is not installed; give two files: "
            f"diff CKPT_A CKPT_B"
        ) from None
    if top.returncode != 0:  # (git's reason: no repository, or one it refuses to read)
        reason = " ".join(top.stderr.decode("utf-8", "replace").split())
        reason = reason or f"exit status {top.returncode}"
        raise ClearstoneError(
            f"cannot compare {path} with git HEAD: it is not in a git repository git can read "
            f"(git says: {reason}); give two files: diff CKPT_A CKPT_B"
        )
    toplevel = Path(os.fsdecode(top.stdout.strip())).resolve()
    if not path.resolve().is_relative_to(toplevel):  # (GIT_DIR/GIT_WORK_TREE name another)
        raise ClearstoneError(
            f"cannot compare {path} with git HEAD: it is not in the work tree of the git "
            f"repository git finds from there ({toplevel}: GIT_DIR or GIT_WORK_TREE set?); "
            f"give two files: diff CKPT_A CKPT_B"
        )
    relative = path.resolve().relative_to(toplevel).as_posix()
    shown = _cat_at_head(relative, where)
    if shown.returncode != 0:  # (a golden renamed with git mv, as a renamed test's hint says)
        renamed = _renamed_from(relative, where)
        if renamed is not None:
            relative, shown = renamed, _cat_at_head(renamed, where)
    if shown.returncode != 0:
        committed = subprocess.run(
            ["git", "cat-file", "-e", f"HEAD:{relative}"],
            cwd=where,
            capture_output=True,
            check=False,
        )
        if committed.returncode != 0:
            raise ClearstoneError(
                f"cannot compare {path} with git HEAD: {relative} is not committed at HEAD (a "
                f"new file, or no commit yet); give two files: diff CKPT_A CKPT_B"
            )
        said = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ClearstoneError(  # (its filter failed: git LFS not installed, say)
            f"cannot compare {path} with git HEAD: git could not check out {relative} as of "
            f"HEAD ({said[-1] if said else f'exit status {shown.returncode}'}); fix that, or "
            f"give two files: diff CKPT_A CKPT_B"
        )
    return f"HEAD:{relative}", without_bom(shown.stdout)  # (read as read_file reads a file)


def _cat_at_head(relative: str, where: Path) -> subprocess.CompletedProcess[bytes]:
    """``git cat-file`` of ``relative`` at ``HEAD``, as checked out: through its smudge filter
    (as of git LFS)."""
    return subprocess.run(
        ["git", "cat-file", "--filters", f"HEAD:{relative}"],
        cwd=where,
        capture_output=True,
        check=False,
    )


def _renamed_from(relative: str, where: Path) -> str | None:
    """The path at ``HEAD`` of the file the index renamed to ``relative`` (``git mv``), or
    ``None``."""
    staged = subprocess.run(
        [
            "git",
            "diff",
            "--cached",
            "--no-relative",
            "--find-renames",
            "--name-status",
            "-z",
            "HEAD",
        ],
        cwd=where,
        capture_output=True,
        check=False,
    )
    if staged.returncode != 0:
        return None
    fields = iter(os.fsdecode(staged.stdout).split("\0"))
    for status in fields:  # (a status, then its path, or two for a rename or a copy)
        paths = (
            [next(fields, ""), next(fields, "")] if status[:1] in ("R", "C") else [next(fields, "")]
        )
        if status[:1] == "R" and paths[1] == relative:
            return paths[0]
    return None


#: the title of the section of ``diff`` that names the parts whose keys only come in another order
_KEY_ORDER = (
    "key order (the same values; a replay gives the agent its state and the recorded answers in "
    "the order of the file)"
)


def _key_order_changes(raw_a: bytes, path_b: Path) -> list[str]:
    """The parts of two checkpoints of the same values (``raw_a``: the first one's bytes;
    ``path_b``: the second one) whose keys come in another order (:func:`key_order_changes`)."""
    from . import codec
    from .golden.changes import key_order_changes

    try:  # (as a re-record's summary reads them: plain JSON, nothing decoded)
        docs = [
            codec.loads(raw.decode("utf-8"), decode_tags=False)
            for raw in (raw_a, read_golden(path_b))
        ]
    except (ClearstoneError, ValueError, RecursionError):
        return []
    return key_order_changes(*docs)


def cmd_diff(args: argparse.Namespace, out: _Out) -> int:
    if args.checkpoint_b is None:
        new_path = Path(args.checkpoint_a)
        if not new_path.is_file():
            load_checkpoint(new_path)  # the usual error: not found, a directory
        label_a, raw = _at_head(new_path)
        a = load_checkpoint(Path(label_a), allow_pickle=args.allow_pickle, raw=raw)
        trust_a = content_trust(raw, Path(label_a))
        label_b = args.checkpoint_a
    else:
        label_a, label_b = args.checkpoint_a, args.checkpoint_b
        a = load_checkpoint(Path(label_a), allow_pickle=args.allow_pickle)
        trust_a = checkpoint_trust(label_a)
        raw = None
    b = load_checkpoint(Path(label_b), allow_pickle=args.allow_pickle)
    signatures = (trust_a.signature, checkpoint_trust(label_b).signature)
    sections = diff_lines(a, b, width=out.width - 4, verbose=args.verbose, signatures=signatures)
    if not sections:  # (the same values: their keys may still come in another order)
        reordered = _key_order_changes(raw or read_golden(Path(label_a)), Path(label_b))
        if reordered:
            sections.append((_KEY_ORDER, reordered))
    if not sections:
        out.line("no differences")
        return 0
    out.line(out.paint(f"--- {label_a}", _RED))
    out.line(out.paint(f"+++ {label_b}", _GREEN))
    for title, lines in sections:
        out.line(f"{printable(title)}:")
        for line in lines:
            text = printable(line)
            colour = {"-": _RED, "+": _GREEN, " ": _CYAN}.get(text[:1], _YELLOW)
            if text.startswith("  ") and text[2:3] in "+-":  # a line of a text diff
                colour = _RED if text[2] == "-" else _GREEN
            out.line("  " + out.paint(text, colour))
    if not args.allow_pickle and any(
        "<pickled " in line for _, lines in sections for line in lines
    ):
        out.line(_PICKLED_DIFF_HINT)
    return 1


#: what ``diff`` says after a delta showing pickled values by their digests
_PICKLED_DIFF_HINT = (
    "hint: pickled values are shown by their digests; --allow-pickle decodes them (only for "
    "files you trust: unpickling runs their code) to name what changed inside them"
)


# -- traces ------------------------------------------------------------------------------------
def find_rootdir(start: Path) -> Path:
    """The rootdir pytest would choose when run with no arguments in ``start`` (without
    importing pytest): the nearest directory holding a pytest configuration file, else of the
    nearest ``pyproject.toml``, else of a ``setup.py``, else ``start``."""
    return _find_config(start)[0]


def _find_config(start: Path) -> tuple[Path, Path | None]:
    """``(rootdir, the configuration file pytest would read or None)``, as :func:`find_rootdir`."""
    start = start.resolve()
    pyproject: Path | None = None
    for base in (start, *start.parents):
        for name in ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini"):
            if (base / name).is_file():
                return base, base / name
        if (base / "pyproject.toml").is_file():
            pyproject = pyproject or base
            if _has_section(base / "pyproject.toml", r"tool\.pytest(\.ini_options)?"):
                return base, base / "pyproject.toml"
        if _has_section(base / "tox.ini", "pytest"):
            return base, base / "tox.ini"
        if _has_section(base / "setup.cfg", "tool:pytest"):
            return base, base / "setup.cfg"
    if pyproject is not None:
        return pyproject, None
    for base in (start, *start.parents):
        if (base / "setup.py").is_file():
            return base, None
    return start, None


def _has_section(path: Path, name: str) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(rf"^\s*\[\s*{name}\s*\]", text, re.MULTILINE) is not None


def _configured_db(config: Path) -> str | None:
    """The ``clearstone_db`` a pytest configuration file sets (``None``: none, or unreadable)."""
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    value: object = None
    if config.suffix == ".toml":
        try:  # (tomllib is Python 3.11+; below, pytest's own reader)
            toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
            doc = toml.loads(text)
        except (ImportError, ValueError):
            return None
        keys = ("tool", "pytest") if config.name == "pyproject.toml" else ("pytest",)
        table: object = doc
        for key in keys:
            table = table.get(key) if isinstance(table, dict) else None
        if config.name == "pyproject.toml" and isinstance(table, dict):
            table = table.get("ini_options", table)  # (pytest 9 also reads [tool.pytest])
        value = table.get("clearstone_db") if isinstance(table, dict) else None
    else:
        import configparser

        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            return None
        section = "tool:pytest" if config.name == "setup.cfg" else "pytest"
        value = parser.get(section, "clearstone_db", fallback=None)
    # (~ and $VARIABLES expanded as the plugin expands the setting)
    return (expanded(value.strip()) or None) if isinstance(value, str) else None


def _db(args: argparse.Namespace) -> str:
    if args.db is not None:
        return str(args.db)
    rootdir, config = _find_config(Path.cwd())
    configured = _configured_db(config) if config is not None else None
    if configured == ":memory:":
        raise TraceStoreError(
            f"no trace store given, and {config} sets clearstone_db = :memory: (the tests keep "
            f"their traces in memory, not in a file); give a store's path: {args.command} DB"
        )
    path = rootdir / (configured or DEFAULT_DB)
    if not path.is_file():
        what = "does not exist (it is written by tests that use pytest-clearstone)"
        if path.is_dir():
            what = "is a directory, not a trace store"
        which = f"the one {config} sets" if configured else "the default one"
        raise TraceStoreError(
            f"no trace store given and {which}, {path}, {what}; give its path: {args.command} DB"
        )
    return str(path)


def _root_chunks(name: str | None, width: int) -> list[str]:
    text = "-" if name is None else printable(name)
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def cmd_traces(args: argparse.Namespace, out: _Out) -> int:
    store = open_store(_db(args))
    try:
        summaries = store.list_traces(limit=args.limit, slower_than_ms=args.slow)
    finally:
        store.close()
    if not summaries:
        out.line("no traces" + (f" slower than {args.slow} ms" if args.slow is not None else ""))
        return 0
    id_width = max(8, *(len(printable(s.trace_id)) for s in summaries))
    others = id_width + 2 + 2 + 29 + 2 + 12 + 2 + 5 + 2 + 6
    longest = max(len(printable(s.root_name or "-")) for s in summaries)
    root_width = max(30, min(longest, out.width - others))
    out.line(
        f"{'TRACE ID':<{id_width}}  {'ROOT':<{root_width}}  {'START':<29}  {'DURATION':>12}  "
        f"SPANS  ERRORS"
    )
    for s in summaries:
        errors = str(s.error_count)
        if s.error_count:
            errors = out.paint(errors, _RED)
        first, *rest = _root_chunks(s.root_name, root_width)
        out.line(
            f"{printable(s.trace_id):<{id_width}}  {first:<{root_width}}  "
            f"{_iso(s.start_time_ns):<29}  {_ms(s.duration_ms):>12}  {s.span_count:>5}  {errors}"
        )
        for chunk in rest:  # a long node id wraps in its column, in full
            out.line(f"{'':<{id_width}}  {chunk}")
    return 0


def cmd_trace(args: argparse.Namespace, out: _Out) -> int:
    if args.db is not None and args.trace_id is None and not _looks_like_db(args.db):
        args.db, args.trace_id = None, args.db  # trace ID: the default store
    db = _db(args)
    store = open_store(db, allow_pickle=args.allow_pickle)
    try:
        trace_id = args.trace_id
        if trace_id is None:
            latest = store.list_traces(limit=1)
            if not latest:
                raise TraceStoreError(f"the trace store {db!r} holds no traces")
            trace_id = latest[0].trace_id
        trace = store.get_trace(trace_id)
    finally:
        store.close()
    spans = list(walk_tree(trace.spans))
    if args.slow is not None:
        spans = [
            (d, s) for d, s in spans if s.duration_ms is not None and s.duration_ms > args.slow
        ]
    root = trace.root_span
    started = f", started {_iso(root.start_time_ns)})" if root is not None else ")"
    out.line(f"trace {printable(trace.trace_id)}  ({len(trace.spans)} spans{started}")
    if args.slow is not None:
        out.line(f"spans slower than {args.slow} ms: {len(spans)}")
    room = out.width - 8
    for depth, span in spans:
        out.line(_span_line(out, depth + 1, span))
        if args.verbose:
            indent = "  " * (depth + 2) + "  "
            for key, value in span.attributes.items():
                out.line(f"{indent}{printable(key)}: {printable(short_repr(value, room))}")
            for what, recorded in (
                ("input", span.recorded_input),
                ("output", span.recorded_output),
            ):
                if recorded is not None:
                    value = safe_decode(recorded.encoded, allow_pickle=args.allow_pickle)
                    out.line(f"{indent}{what}: {printable(short_repr(value, room))}")
    return 0


def _looks_like_db(text: str) -> bool:
    return os.sep in text or "." in text or Path(text).exists()


# -- prune -------------------------------------------------------------------------------------
def cmd_prune(args: argparse.Namespace, out: _Out) -> int:
    if (args.directory is None) == (args.db is None):
        raise _UsageError(
            f"give a directory of checkpoints or --db DB (one of them) (see: {PROG} prune --help)"
        )
    cutoff = time.time() - args.older_than * 86400
    if args.db is not None:
        return _prune_db(args, out, cutoff)
    directory = Path(args.directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")
    files = sorted(p for p in directory.rglob("*.ckpt") if p.is_file())
    verb = "would delete" if args.dry_run else "deleted"
    deleted = newer = 0
    kept: dict[str | None, int] = {}  # older files never deleted, by what wrote them
    for path in files:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:  # gone since it was listed (another prune; a link's target)
            continue
        if mtime >= cutoff:
            newer += 1
            continue
        age = f"{(time.time() - mtime) / 86400:.1f} days old"
        writer = checkpoint_writer(path)
        if writer != "":  # a golden, or a file we cannot tell: never deleted
            kept[writer] = kept.get(writer, 0) + 1
            _, what, why = _KEPT[writer]
            out.line(f"kept {path}  ({age}, but {what}: {why})")
            continue
        if not args.dry_run:
            path.unlink(missing_ok=True)
        deleted += 1
        out.line(f"{verb} {path}  ({age})")
    summary = (
        f"{verb} {deleted} of {len(files)} checkpoint file(s) in {directory} (the application "
        f"checkpoints older than {args.older_than:g} day(s))"
    )
    told = []
    if kept:
        told.append(
            f"{sum(kept.values())} older than that: "
            + ", ".join(f"{count} {_KEPT[writer][0]}" for writer, count in kept.items())
        )
    if newer:
        told.append(f"{newer} not older than that")
    out.line(summary + (f"; kept {'; and '.join(told)}" if told else ""))
    return 0


#: why prune keeps a checkpoint file older than the days given, by what wrote it (``None``: a
#: file it cannot read): what such files are (counted), what one is, and why that keeps it
_KEPT = {
    RECORDED_BY_PLUGIN: (
        "golden(s) of the pytest plugin",
        "a golden of the pytest plugin",
        "prune never deletes one; pytest --clearstone-prune-unused deletes the goldens no test "
        "uses",
    ),
    "clearstone-sdk": (
        "converted from clearstone-sdk",
        "converted from clearstone-sdk",
        "a golden no run records again, which prune never deletes",
    ),
    None: (
        "unreadable",
        "not a readable checkpoint",
        "prune deletes only application checkpoints it can read",
    ),
}


def _prune_db(args: argparse.Namespace, out: _Out, cutoff: float) -> int:
    from .tracing import TraceStore
    from .tracing.store import unwritable

    path = Path(args.db)
    if not path.is_file():
        what = "it is a directory" if path.is_dir() else "no such file"
        raise TraceStoreError(f"cannot open the trace store {args.db!r}: {what}")
    # read first as the other commands read it: a foreign or newer file is refused untouched,
    # with advice for this command line (the writing store's would name the plugin's options)
    before = cutoff * 1e9  # (-inf, or past SQLite's integers: the store takes its bound)
    reader = open_store(path)
    try:
        traces, spans = reader.delete_traces_before(before, dry_run=True)
    finally:
        reader.close()
    if traces and not args.dry_run:  # (nothing to delete: the file is left as it is)
        refused = unwritable(path)
        if refused is not None:
            raise TraceStoreError(
                f"cannot prune the trace store {args.db!r}: {refused}; nothing was deleted. Run "
                "prune as a user who may write the file and its directory, on a file system "
                "mounted read-write"
            )
        store = TraceStore(path)
        try:
            traces, spans = store.delete_traces_before(before, dry_run=False)
        finally:
            store.close()
    verb = "would delete" if args.dry_run else "deleted"
    out.line(
        f"{verb} {traces} trace(s) ({spans} span(s)) older than {args.older_than:g} day(s) "
        f"from {args.db}"
    )
    return 0


# -- upgrade -----------------------------------------------------------------------------------
def cmd_upgrade(args: argparse.Namespace, out: _Out) -> int:
    """Rewrite goldens of an older format version in the current one, running nothing: each
    file is read as ``show`` reads it (pickles left as placeholders, no module a file names
    imported). Version 1 is current, so at this release every readable golden is reported up
    to date and left untouched; a file ``show`` cannot read is refused with its reason."""
    from .errors import CheckpointCorruptError, CheckpointVersionError

    files: list[Path] = []
    for given in args.paths:
        path = Path(given)
        files.extend(sorted(path.rglob("*.ckpt")) if path.is_dir() else [path])
    problems = 0
    for path in files:
        try:
            version = load_checkpoint(path).format_version  # read as show reads it
        except CheckpointVersionError as exc:
            problems += 1
            if exc.found > exc.supported:
                out.line(
                    f"{printable(path)}: not upgraded: format version {exc.found} is newer than "
                    f"this release's ({exc.supported}); upgrade pytest-clearstone"
                )
            else:  # as show and the plugin say it
                out.line(f"{printable(path)}: not upgraded: {printable(exc)}")
        except CheckpointCorruptError as exc:
            problems += 1
            out.line(f"{printable(path)}: not upgraded: {printable(exc.problem)}")
        except (*UNREADABLE, OSError) as exc:  # a missing file, a directory, what show refuses
            problems += 1
            out.line(f"{printable(path)}: not upgraded: {printable(exc)}")
        else:
            out.line(f"{printable(path)}: up to date (format version {version})")
    out.line(f"{len(files) - problems} of {len(files)} checkpoint file(s) up to date")
    return 2 if problems else 0


# -- import-clearstone -------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace, out: _Out) -> int:
    try:  # imported by name: the importer is optional and loaded only for this command
        importer = importlib.import_module("pytest_clearstone.interop.clearstone_sdk")
    except ImportError as exc:
        raise ClearstoneError(f"the clearstone-sdk importer is not available: {exc}") from None
    written = importer.import_files(
        Path(args.source), Path(args.dest_dir), allow_pickle=args.allow_pickle
    )
    for path in written:
        out.line(str(path))
    out.line(f"wrote {len(written)} file(s) to {args.dest_dir}")
    return 0


# -- the parser --------------------------------------------------------------------------------
def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


_PICKLE_HELP = "decode pickled values (only for files you trust: unpickling runs their code)"
_DB_HELP = f"a SQLite trace store (default: {DEFAULT_DB} under the rootdir)"
_FLAG: dict[str, Any] = {"action": "store_true"}
#: an option's key naming the group of options of which at most one may be given (not argparse's)
_EXCLUSIVE = "exclusive"
_VIEW = {**_FLAG, _EXCLUSIVE: "view"}  # show's views: one at a time
_SLOW = {"type": _non_negative, "metavar": "MS"}
_COMMANDS: list[tuple[str, str, Any, list[tuple[tuple[str, ...], dict[str, Any]]]]] = [
    (
        "show",
        "metadata, span tree and state summary of a checkpoint",
        cmd_show,
        [
            (("checkpoint",), {"metavar": "CKPT", "help": "a .ckpt file"}),
            (("--json",), {**_VIEW, "help": "print one JSON object"}),
            (("--calls",), {**_VIEW, "help": "list every recorded call and the golden outcome"}),
            (
                ("--canonical",),
                {
                    **_VIEW,
                    "help": "a stable text form without ids or timings (a git textconv driver)",
                },
            ),
            (("--allow-pickle",), {**_FLAG, "help": _PICKLE_HELP}),
        ],
    ),
    (
        "diff",
        "what differs between two checkpoints, or one and its git HEAD version (exit 1 "
        "if anything does)",
        cmd_diff,
        [
            (("checkpoint_a",), {"metavar": "CKPT_A"}),
            (
                ("checkpoint_b",),
                {
                    "metavar": "CKPT_B",
                    "nargs": "?",
                    "help": "without it: CKPT_A as committed at git HEAD -> CKPT_A",
                },
            ),
            (("-v", "--verbose"), {**_FLAG, "help": "show changed values in full"}),
            (("--allow-pickle",), {**_FLAG, "help": _PICKLE_HELP}),
        ],
    ),
    (
        "traces",
        "recent traces of a trace store, newest first",
        cmd_traces,
        [
            (("db",), {"metavar": "DB", "nargs": "?", "help": _DB_HELP}),
            (
                ("--limit",),
                {
                    "type": _positive_int,
                    "default": 20,
                    "metavar": "N",
                    "help": "show at most N traces (default: 20)",
                },
            ),
            (("--slow",), {**_SLOW, "help": "only traces slower than MS milliseconds"}),
        ],
    ),
    (
        "trace",
        "the span tree of one trace",
        cmd_trace,
        [
            (("db",), {"metavar": "DB", "nargs": "?", "help": _DB_HELP}),
            (
                ("trace_id",),
                {
                    "metavar": "ID",
                    "nargs": "?",
                    "help": "a trace id (default: the most recent trace)",
                },
            ),
            (("--slow",), {**_SLOW, "help": "only spans slower than MS milliseconds"}),
            (
                ("-v", "--verbose"),
                {**_FLAG, "help": "show each span's attributes, input and output"},
            ),
            (
                ("--allow-pickle",),
                {
                    **_FLAG,
                    "help": "accepted like show's and diff's; it decodes nothing here: a trace "
                    "store holds no pickles, and one found in an older or hand-made store is "
                    "shown as a placeholder, never unpickled",
                },
            ),
        ],
    ),
    (
        "prune",
        "delete application checkpoints, or traces of a store, older than DAYS",
        cmd_prune,
        [
            (
                ("directory",),
                {
                    "metavar": "DIR",
                    "nargs": "?",
                    "help": ".ckpt files searched recursively; goldens (of the pytest "
                    "plugin, or converted from clearstone-sdk) are never deleted",
                },
            ),
            (
                ("--db",),
                {"metavar": "DB", "help": "delete old traces from this trace store instead"},
            ),
            (("--older-than",), {"type": _non_negative, "required": True, "metavar": "DAYS"}),
            (("--dry-run",), {**_FLAG, "help": "print what would be deleted, delete nothing"}),
        ],
    ),
    (
        "upgrade",
        "rewrite goldens of an older format version in the current one, running nothing",
        cmd_upgrade,
        [(("paths",), {"metavar": "PATH", "nargs": "+", "help": ".ckpt files or directories"})],
    ),
    (
        "import-clearstone",
        "convert clearstone-sdk checkpoints or trace stores",
        cmd_import,
        [
            (("source",), {"metavar": "SRC", "help": "a clearstone-sdk .ckpt, directory or .db"}),
            (("dest_dir",), {"metavar": "DEST_DIR"}),
            (
                ("--allow-pickle",),
                {**_FLAG, "help": "unpickle the source's agent state (only for files you trust)"},
            ),
        ],
    ),
]
_COLOR: dict[str, Any] = {
    "choices": ("yes", "no", "auto"),
    "metavar": "WHEN",
    "help": "colour the output: yes, no or auto (default; honours NO_COLOR and FORCE_COLOR)",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m pytest_clearstone``."""
    from . import __version__

    parser = _Parser(prog=PROG, description="Inspect pytest-clearstone checkpoints and traces.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--color", default="auto", **_COLOR)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for name, help_text, func, arguments in _COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:])
        groups: dict[str, Any] = {}
        for flags, options in arguments:
            exclusive = options.get(_EXCLUSIVE)
            if exclusive is None:
                p.add_argument(*flags, **options)
                continue
            group = groups.get(exclusive)
            if group is None:  # (not setdefault: it would make a group each time, left empty)
                group = groups[exclusive] = p.add_mutually_exclusive_group()
            group.add_argument(*flags, **{k: v for k, v in options.items() if k != _EXCLUSIVE})
        p.add_argument("--color", default=argparse.SUPPRESS, **_COLOR)
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 checkpoints differ, 2 bad input).

    With no arguments it prints the help.
    """
    argv = sys.argv[1:] if argv is None else argv
    restore = set_show_all("-v")  # (a shortened delta names this command's option)
    out = _Out(sys.stdout)
    err = _Out(sys.stderr, colour=use_colour(sys.stderr))
    parser = build_parser()
    try:
        if not argv:
            out.raw(parser.format_help())
            return 0
        try:
            args, unknown = parser.parse_known_args(argv)
        except SystemExit as exc:  # --help, --version
            return exc.code if isinstance(exc.code, int) else 0
        if unknown:  # (argparse names the top parser's help: the command's lists its options)
            raise _UsageError(
                f"unrecognized arguments: {' '.join(unknown)} (see: {PROG} {args.command} --help)"
            )
        out.colour = use_colour(sys.stdout, args.color)
        err.colour = use_colour(sys.stderr, args.color)
        # (it runs no code of the files it reads: their walks get the room of values nested as
        # deep as a golden may, for the whole command)
        with room():
            return int(args.func(args, out))
    except BrokenPipeError:  # argparse's own --help output
        out.close_pipe()
        return 0
    except (_UsageError, ClearstoneError, OSError) as exc:
        reason = " ".join(printable(exc).split()) or type(exc).__name__
        err.line(f"{PROG}: {err.paint('error', _RED)}: {reason}")
        return 2
    finally:
        out.flush()
        restore()
