"""The inspection command line: ``python -m pytest_clearstone`` (console script
``pytest-clearstone``).

Subcommands: ``show`` a checkpoint, ``diff`` two checkpoints, list ``traces`` of a trace store,
print one ``trace``, ``prune`` old checkpoints, ``import-clearstone`` files of clearstone-sdk.
Bad input exits with status 2 and one line on stderr. Pickled values in a checkpoint are shown
as placeholders unless ``--allow-pickle`` is given: inspecting a file never runs its pickles.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .errors import ClearstoneError, TraceStoreError
from .golden.signing import checkpoint_trust
from .inspection import (
    clip,
    diff_lines,
    load_checkpoint,
    open_store,
    short_repr,
    show_document,
    state_summary,
    walk_tree,
)

PROG = "pytest-clearstone"
_RED, _GREEN, _YELLOW, _CYAN, _RESET = "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[0m"


class _UsageError(Exception):
    """Bad command-line arguments (argparse's complaint, kept to one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see: {PROG} --help)")


class _Out:
    """Writes lines to a stream, with ANSI colour only on a terminal and never with NO_COLOR."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.colour = not os.environ.get("NO_COLOR") and callable(isatty) and bool(isatty())

    def paint(self, text: str, colour: str) -> str:
        return f"{colour}{text}{_RESET}" if self.colour else text

    def line(self, text: str = "") -> None:
        print(text, file=self.stream)


# -- rendering ---------------------------------------------------------------------------------
def _ms(duration: float | None) -> str:
    return "open" if duration is None else f"{duration:.2f} ms"


def _iso(ns: int) -> str:
    moment = _dt.datetime.fromtimestamp(ns / 1e9, tz=_dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def _span_line(out: _Out, depth: int, span: Any, marker: str = "") -> str:
    kind = f" [{span.span_type}]" if span.span_type else ""
    status = span.status
    if status == "ERROR":
        status = out.paint("ERROR", _RED) + (
            f" {span.status_message}" if span.status_message else ""
        )
    text = f"{'  ' * depth}{span.name}{kind}  {_ms(span.duration_ms)}  {status}"
    return text + (out.paint(marker, _CYAN) if marker else "")


# -- show --------------------------------------------------------------------------------------
def cmd_show(args: argparse.Namespace, out: _Out) -> int:
    path = Path(args.checkpoint)
    ckpt = load_checkpoint(path, allow_pickle=args.allow_pickle)
    trust = checkpoint_trust(path)
    if args.json:
        doc = show_document(ckpt, path)
        doc.update(signed=trust.signed, signature_valid=trust.signature_valid)
        out.line(json.dumps(doc, indent=2, default=repr, ensure_ascii=False))
        return 0
    span = ckpt.span
    fields = [
        ("checkpoint", f"{ckpt.checkpoint_id}  ({path})"),
        ("agent", ckpt.agent_class_path or "(none)"),
        ("trace", ckpt.trace.trace_id),
        ("span", f"{ckpt.span_id}  {span.name!r}"),
        ("timestamp", ckpt.timestamp.isoformat()),
        ("format", f"version {ckpt.format_version}"),
        ("pickle", "yes (shown as placeholders; --allow-pickle decodes them)"
         if ckpt.contains_pickle and not args.allow_pickle else
         ("yes" if ckpt.contains_pickle else "no")),
        ("trust", str(trust)),
    ]  # fmt: skip
    if ckpt.outcome:
        fields.append(("golden", f"outcome of {ckpt.outcome.get('function')!r}"))
    for key, value in fields:
        out.line(f"{key:<11}{value}")
    out.line("metadata" + ("   (empty)" if not ckpt.metadata else ""))
    for key, value in ckpt.metadata.items():
        out.line(f"  {key}: {short_repr(value, 70)}")
    out.line()
    out.line(f"spans ({len(ckpt.trace.spans)}):")
    for depth, s in walk_tree(ckpt.trace.spans):
        marker = "  <- checkpoint" if s.span_id == ckpt.span_id else ""
        out.line(_span_line(out, depth + 1, s, marker))
    out.line()
    summary = state_summary(ckpt.agent_state)
    out.line(f"state ({type(ckpt.agent_state).__name__}, {len(summary)} key(s)):")
    kinds = {k: e["type"] + (f", len {e['len']}" if "len" in e else "") for k, e in summary.items()}
    width = max((len(k) for k in summary), default=0)
    kind_width = max((len(k) for k in kinds.values()), default=0)
    for key, entry in summary.items():
        out.line(f"  {key:<{width}}  {kinds[key]:<{kind_width}}  {entry['repr']}")
    return 0


# -- diff --------------------------------------------------------------------------------------
def cmd_diff(args: argparse.Namespace, out: _Out) -> int:
    a = load_checkpoint(Path(args.checkpoint_a), allow_pickle=args.allow_pickle)
    b = load_checkpoint(Path(args.checkpoint_b), allow_pickle=args.allow_pickle)
    sections = diff_lines(a, b)
    if not sections:
        out.line("no differences")
        return 0
    out.line(out.paint(f"--- {args.checkpoint_a}", _RED))
    out.line(out.paint(f"+++ {args.checkpoint_b}", _GREEN))
    for title, lines in sections:
        out.line(f"{title}:")
        for line in lines:
            colour = {"-": _RED, "+": _GREEN, "@": _CYAN}.get(line[:1], _YELLOW)
            out.line("  " + out.paint(line, colour))
    return 1


# -- traces ------------------------------------------------------------------------------------
def cmd_traces(args: argparse.Namespace, out: _Out) -> int:
    summaries = open_store(args.db).list_traces(limit=args.limit)
    if args.slow is not None:
        summaries = [
            s for s in summaries if s.duration_ms is not None and s.duration_ms > args.slow
        ]
    if not summaries:
        out.line("no traces" + (f" slower than {args.slow} ms" if args.slow is not None else ""))
        return 0
    out.line(f"{'TRACE ID':<32}  {'ROOT':<30}  {'START':<29}  {'DURATION':>12}  SPANS  ERRORS")
    for s in summaries:
        errors = str(s.error_count)
        if s.error_count:
            errors = out.paint(errors, _RED)
        root = "-" if s.root_name is None else clip(s.root_name, 30)
        out.line(f"{s.trace_id:<32}  {root:<30}  {_iso(s.start_time_ns):<29}  "
                 f"{_ms(s.duration_ms):>12}  {s.span_count:>5}  {errors}")  # fmt: skip
    return 0


def cmd_trace(args: argparse.Namespace, out: _Out) -> int:
    store = open_store(args.db)
    trace_id = args.trace_id
    if trace_id is None:
        latest = store.list_traces(limit=1)
        if not latest:
            raise TraceStoreError(f"the trace store {args.db!r} holds no traces")
        trace_id = latest[0].trace_id
    trace = store.get_trace(trace_id)
    spans = list(walk_tree(trace.spans))
    if args.slow is not None:
        spans = [
            (d, s) for d, s in spans if s.duration_ms is not None and s.duration_ms > args.slow
        ]
    root = trace.root_span
    out.line(f"trace {trace.trace_id}  ({len(trace.spans)} spans"
             + (f", started {_iso(root.start_time_ns)})" if root is not None else ")"))  # fmt: skip
    if args.slow is not None:
        out.line(f"spans slower than {args.slow} ms: {len(spans)}")
    for depth, span in spans:
        out.line(_span_line(out, depth + 1, span))
    return 0


# -- prune -------------------------------------------------------------------------------------
def cmd_prune(args: argparse.Namespace, out: _Out) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")
    cutoff = time.time() - args.older_than * 86400
    files = sorted(p for p in directory.rglob("*.ckpt") if p.is_file())
    old = [(p, p.stat().st_mtime) for p in files]
    old = [(p, mtime) for p, mtime in old if mtime < cutoff]
    verb = "would delete" if args.dry_run else "deleted"
    for path, mtime in old:
        if not args.dry_run:
            path.unlink()
        age = (time.time() - mtime) / 86400
        out.line(f"{verb} {path}  ({age:.1f} days old)")
    out.line(f"{verb} {len(old)} of {len(files)} checkpoint file(s) older than "
             f"{args.older_than:g} day(s) in {directory}")  # fmt: skip
    return 0


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


_PICKLE_HELP = "decode pickled values (only for files you trust)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m pytest_clearstone``."""
    from . import __version__

    parser = _Parser(prog=PROG, description="Inspect pytest-clearstone checkpoints and traces.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)  # fmt: skip
    flag: dict[str, Any] = {"action": "store_true"}
    commands: list[tuple[str, str, Any, list[tuple[str, dict[str, Any]]]]] = [
        ("show", "metadata, span tree and state summary of a checkpoint", cmd_show, [
            ("checkpoint", {"metavar": "CKPT", "help": "a .ckpt file"}),
            ("--json", {**flag, "help": "print one JSON object"}),
            ("--allow-pickle", {**flag, "help": _PICKLE_HELP})]),
        ("diff", "state and span differences of two checkpoints (exit 1 if any)", cmd_diff, [
            ("checkpoint_a", {"metavar": "CKPT_A"}), ("checkpoint_b", {"metavar": "CKPT_B"}),
            ("--allow-pickle", {**flag, "help": _PICKLE_HELP})]),
        ("traces", "recent traces of a trace store, newest first", cmd_traces, [
            ("db", {"metavar": "DB", "help": "a SQLite trace store, e.g. .clearstone/traces.db"}),
            ("--limit", {"type": _positive_int, "default": 20, "metavar": "N",
                         "help": "show at most N traces (default: 20)"}),
            ("--slow", {"type": _non_negative, "metavar": "MS",
                        "help": "only traces slower than MS milliseconds"})]),
        ("trace", "the span tree of one trace", cmd_trace, [
            ("db", {"metavar": "DB"}),
            ("trace_id", {"metavar": "ID", "nargs": "?",
                          "help": "a trace id (default: the most recent trace)"}),
            ("--slow", {"type": _non_negative, "metavar": "MS",
                        "help": "only spans slower than MS milliseconds"})]),
        ("prune", "delete .ckpt files older than DAYS (by modification time)", cmd_prune, [
            ("directory", {"metavar": "DIR", "help": "searched recursively"}),
            ("--older-than", {"type": _non_negative, "required": True, "metavar": "DAYS"}),
            ("--dry-run", {**flag, "help": "print what would be deleted, delete nothing"})]),
        ("import-clearstone", "convert clearstone-sdk checkpoints or trace stores", cmd_import, [
            ("source", {"metavar": "SRC", "help": "a clearstone-sdk .ckpt, directory or .db"}),
            ("dest_dir", {"metavar": "DEST_DIR"}),
            ("--allow-pickle", {**flag, "help": "unpickle the source's agent state (only "
                                                "for files you trust)"})]),
    ]  # fmt: skip
    for name, help_text, func, arguments in commands:
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:])
        for arg, options in arguments:
            p.add_argument(arg, **options)
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 checkpoints differ, 2 bad input)."""
    out, err = _Out(sys.stdout), _Out(sys.stderr)
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args, out))
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    except (_UsageError, ClearstoneError, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        err.line(f"{PROG}: {err.paint('error', _RED)}: {reason}")
        return 2
