"""What a re-recorded golden changed: one line for the summary after a record run.

Compares the parsed documents of the previous and the new file — nothing is decoded, no module
imported — by what a reviewer cares about: each recorded call (keyed by target and call
number, counted in call order, see :mod:`.ordering`: its arguments, its answer or error), the
order of the calls, the marker's settings (``metadata``), the agent's class, its state before
the run, the golden outcome and the spans of the agent's own (their names, types, statuses and
nesting). Ids, times and versions are left out: they are not behaviour, and neither is the
order in which parallel branches happened to start their calls.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .. import codec
from ..codec.nesting import retried
from .mocks import TARGET_ATTRIBUTE, behaviour_of_span
from .ordering import at_their_calls, branch_of, call_order, places_of
from .signing import ENV_VAR, SIGNATURE_FIELD, verify_document
from .sorted_keys import sorted_throughout


def recorded_calls(doc: Any) -> dict[tuple[str, int], dict[str, Any]]:
    """The recorded calls of a golden document, keyed by (target, call number), in call
    order."""
    calls: dict[tuple[str, int], dict[str, Any]] = {}
    numbers: dict[str, int] = {}
    for span in _spans(doc):
        attributes = span.get("attributes")
        target = attributes.get(TARGET_ATTRIBUTE) if isinstance(attributes, dict) else None
        if not isinstance(target, str):
            continue
        number = numbers[target] = numbers.get(target, 0) + 1
        calls[(target, number)] = span
    return calls


def _spans(doc: Any) -> list[Any]:
    """The spans of a golden document in call order (a file lists them so, or, written by an
    earlier version, in start order), the agent's own spans at the first call made under
    them (:func:`~.ordering.at_their_calls`)."""
    trace = doc.get("trace") if isinstance(doc, dict) else None
    spans = trace.get("spans") if isinstance(trace, dict) else None
    if not isinstance(spans, list):
        return []
    listed = [s for s in spans if isinstance(s, dict)]
    started = sorted(listed, key=_start_time)  # (stable: a file's order breaks ties)
    ordered = call_order(
        started,
        lambda span: branch_of(span.get("attributes")),
        lambda span: places_of(span.get("attributes")),
    )
    return at_their_calls(
        ordered,
        lambda span: _text(span.get("span_id")) or id(span),  # (a file's ids may be anything)
        lambda span: _text(span.get("parent_span_id")),
        lambda span: (
            isinstance(span.get("attributes"), dict) and TARGET_ATTRIBUTE in span["attributes"]
        ),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _start_time(span: dict[str, Any]) -> int:
    time = span.get("start_time_ns")
    return time if type(time) is int else 0


def _own_spans(doc: Any) -> list[tuple[Any, ...]]:
    """The spans that are not recorded calls, in order: name, type, status (and message) and
    the place of their parent among all the spans (ids are not compared: they are random; nor
    is the node id naming the test's own span, which ``metadata (test)`` reports)."""
    spans = _spans(doc)
    place = {span.get("span_id"): index for index, span in enumerate(spans)}
    outline = []
    for span in spans:
        attributes = span.get("attributes")
        if isinstance(attributes, dict) and TARGET_ATTRIBUTE in attributes:
            continue
        parent = span.get("parent_span_id")
        outline.append(
            (
                behaviour_of_span(span).get("name"),
                span.get("span_type"),
                span.get("status"),
                span.get("status_message"),
                place.get(parent) if isinstance(parent, str) else None,
            )
        )
    return outline


def _field(doc: Any, name: str) -> Any:
    return doc.get(name) if isinstance(doc, dict) else None


def _runs(doc: Any) -> list[Any]:
    """The runs of a golden's outcome, one per ``replay.run()``: the first run's fields are at
    the top of the outcome, later runs under ``then``."""
    outcome = _field(doc, "outcome")
    if not isinstance(outcome, dict):
        return []
    later = outcome.get("then")
    return [outcome, *(later if isinstance(later, list) else [])]


def _run_changes(old: list[Any], new: list[Any]) -> list[str]:
    """What changed in the golden outcome, run by run: ``result`` and ``final state``,
    numbered (``run #2 result``) when either golden holds more than one run, where a run that
    only one of them holds is ``run #2 added`` or ``removed``."""
    numbered = max(len(old), len(new)) > 1
    changes: list[str] = []
    for index in range(max(len(old), len(new))):
        before = old[index] if index < len(old) else None
        after = new[index] if index < len(new) else None
        if numbered and (before is None or after is None):
            changes.append(f"run #{index + 1} {'added' if before is None else 'removed'}")
            continue
        prefix = f"run #{index + 1} " if numbered else ""
        for part, key in (("result", "result"), ("final state", "final_state")):
            if _field(before, key) != _field(after, key):
                changes.append(f"{prefix}{part}")
    return changes


def _signature_change(old: Any, new: Any) -> list[str]:
    """``signed`` or ``signature removed`` when the file gained or lost its signature (a
    re-record with or without the signing key): a reader holding the key trusts the one and
    refuses the other's pickles, whatever else changed."""
    was, now = _field(old, SIGNATURE_FIELD) is not None, _field(new, SIGNATURE_FIELD) is not None
    if was and not now:
        return [f"signature removed (no signing key: set ${ENV_VAR} to sign it)"]
    return ["signed"] if now and not was else []


#: what a re-record that changed only the times its replay goes by changed
_TIMES_REWRITTEN = (
    "span times (the replay's: the order concurrent calls completed in, or when a timeout "
    "cut a call off)"
)


def describe_changes(
    previous: str | None,
    current: str,
    *,
    written_again: bool = False,
    key: bytes | None = None,
    times_rewritten: bool = False,
) -> str:
    """``new``, ``unchanged``, or what changed (``llm call #1 arguments, final state``)
    between the text of the previous golden file and the text written now. ``written_again``:
    the file was written although its text reads as the previous one (a byte order mark in
    front of it, which ``previous`` is read without): not ``unchanged`` either. ``key``: the
    signing key the text written now was signed with, if any. ``times_rewritten``: the spans'
    times measured now were written, not the previous golden's (a replay goes by them
    otherwise: :func:`~.identity.keep_previous_span_times`)."""
    if previous is None:
        return "new"
    try:  # (as deep as a golden may nest: the codec's reader)
        old, new = codec.loads(previous, decode_tags=False), codec.loads(current, decode_tags=False)
    except (ValueError, RecursionError):
        return "replaced a file that was not a readable golden"
    changes = retried(lambda: _changes_between(old, new))
    if changes == "unchanged" and times_rewritten and _same_but_span_times(previous, current):
        return _TIMES_REWRITTEN
    if changes == "unchanged" and (
        written_again or not _same_but_span_times(previous, current, key)
    ):
        return _rewritten(old, new, key)  # (the file was written again: say why)
    return changes


def _rewritten(old: Any, new: Any, key: bytes | None) -> str:
    """What changed in a golden re-recorded with unchanged behaviour whose text differs from
    the previous one's beyond its spans' times: its identity (``--clearstone-fresh``), the
    writer or the format that wrote it, its signature (made with another key than ``key``, the
    one it is signed with now), or else its layout (a file edited by hand)."""
    changes = []
    if (_field(old, "checkpoint_id"), _field(old, "timestamp")) != (
        _field(new, "checkpoint_id"),
        _field(new, "timestamp"),
    ):
        changes.append("new checkpoint id, seeds and clock (--clearstone-fresh)")
    if _field(old, "format_version") != _field(new, "format_version"):
        changes.append(
            f"format version ({_field(old, 'format_version')} -> {_field(new, 'format_version')})"
        )
    was, now = _writer(_field(old, "written_by")), _writer(_field(new, "written_by"))
    if was != now:
        changes.append(f"writer ({was} -> {now})")
    if (
        not changes
        and key is not None
        and _field(old, SIGNATURE_FIELD) is not None
        and not verify_document(old, key)
    ):
        changes.append("signature (signed with another key)")
    # (a dict built from a set: its order of strings is the process's; not a formatter's order)
    if not changes and not sorted_throughout(old):
        changes.extend(f"{part} (key order only)" for part in _reordered(old, new))
    return ", ".join(changes) or "layout (behaviour unchanged: the file was written again)"


def key_order_changes(old: Any, new: Any) -> list[str]:
    """The parts of the golden documents ``old`` and ``new`` (parsed, nothing decoded) that hold
    the same values with the keys of a dict in another order (``state``, ``llm call #1 to
    app.llm answer``), each named as the summary names it; ``[]`` when there are none, or when
    some values differ. A replay gives the agent its state and the recorded answers in the
    order of the file: an agent that writes such a dict into a prompt tells them apart."""
    if retried(lambda: _parts_changed(old, new)):
        return []
    return _reordered(old, new)


def _reordered(old: Any, new: Any) -> list[str]:
    """The parts of ``new`` whose keys come in another order than ``old``'s, or differ."""
    return retried(lambda: _parts_changed(_key_ordered(old), _key_ordered(new)))


def _key_ordered(value: Any) -> Any:
    """``value`` with each object an ``OrderedDict``, whose comparison sees the order of its
    keys."""
    if isinstance(value, dict):
        return OrderedDict((key, _key_ordered(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_key_ordered(item) for item in value]
    return value


def _writer(written_by: Any) -> str:
    """The library and Python a golden's ``written_by`` names (``pytest-clearstone 0.1.0,
    Python 3.11.7``)."""
    if not isinstance(written_by, dict):
        return "unknown"
    return f"{written_by.get('library', '?')}, Python {written_by.get('python', '?')}"


def _changes_between(old: Any, new: Any) -> str:
    changes = _parts_changed(old, new)
    return ", ".join(changes) if changes else "unchanged"


def _parts_changed(old: Any, new: Any) -> list[str]:
    """The parts of the golden document ``new`` that differ from ``old``'s, each named as the
    summary names it (``llm call #2 to app.llm answer``, ``llm calls #1, #3 to app.llm
    arguments and answer``, ``final state``)."""
    # (span type, target, what changed) -> the numbers of the calls it changed in, in order
    alike: dict[tuple[str, str, str], list[int]] = {}
    old_calls, new_calls = recorded_calls(old), recorded_calls(new)
    for key in [*new_calls, *(k for k in old_calls if k not in new_calls)]:
        target, number = key
        span = new_calls.get(key) or old_calls[key]
        kinds = []
        if key not in old_calls:
            kinds.append("added")
        elif key not in new_calls:
            kinds.append("removed")
        else:
            before, after = old_calls[key], new_calls[key]
            if before.get("input") != after.get("input"):
                kinds.append("arguments")
            if (before.get("output"), before.get("error")) != (
                after.get("output"),
                after.get("error"),
            ):
                kinds.append("answer")
        if kinds:  # (both: one part, which names the target once)
            kind = " and ".join(kinds)
            alike.setdefault((span.get("span_type") or "call", target, kind), []).append(number)
    changes = [
        f"{span_type} {_calls_numbered(numbers)} to {target} {kind}"
        for (span_type, target, kind), numbers in alike.items()
    ]
    common = [key for key in new_calls if key in old_calls]
    if common != [key for key in old_calls if key in new_calls]:
        changes.append("call order")
    old_meta, new_meta = _field(old, "metadata"), _field(new, "metadata")
    if old_meta != new_meta:
        if isinstance(old_meta, dict) and isinstance(new_meta, dict):
            keys = sorted(
                k for k in old_meta.keys() | new_meta.keys() if old_meta.get(k) != new_meta.get(k)
            )
            changes.append(f"metadata ({', '.join(keys)})" if keys else "metadata")
        else:
            changes.append("metadata")
    old_agent, new_agent = _field(old, "agent"), _field(new, "agent")
    if (_field(old_agent, "module"), _field(old_agent, "class")) != (
        _field(new_agent, "module"),
        _field(new_agent, "class"),
    ):
        changes.append("agent class")
    if _field(old_agent, "state") != _field(new_agent, "state"):
        changes.append("state")  # (before the run)
    changes.extend(_run_changes(_runs(old), _runs(new)))
    if _own_spans(old) != _own_spans(new):
        changes.append("spans")
    changes.extend(_signature_change(old, new))
    return changes


def _calls_numbered(numbers: list[int]) -> str:
    """``call #2``, or for several ``calls #1-#24, #30``: a fan-out's calls changed alike (each
    answer of a live model) are one part of the summary's line, not one part each."""
    if len(numbers) == 1:
        return f"call #{numbers[0]}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    shown = [
        f"#{run[0]}-#{run[-1]}" if len(run) > 2 else ", ".join(f"#{n}" for n in run) for run in runs
    ]
    return f"calls {', '.join(shown)}"


#: a span's measured time in a golden's text: its line, as the layout writes it (a span's fields
#: are the only lines indented by 8 spaces inside the top-level ``trace`` field)
_SPAN_TIME = re.compile(r'^(        "(?:start|end)_time_ns": )(?:\d+|null)(,?)$', re.MULTILINE)
_TRACE_FIELD = '\n  "trace": {\n'
#: a golden's signature: its line, as the layout writes it (a top-level field)
_SIGNATURE_LINE = re.compile(r'^(  "signature": )"[^"\n]*"(,?)$', re.MULTILINE)


def holds_but_span_times(path: Path, text: str, key: bytes | None = None) -> bool:
    """Whether the file at ``path`` holds the golden ``text`` but for the times its spans
    measured (the start and end of each, what a re-record of unchanged behaviour changes):
    byte for byte otherwise, its size, writer and layout included. Such a file is left as it
    is, so an unchanged re-record changes nothing in git. ``key``: the signing key ``text`` is
    signed with, if any (see :func:`_same_but_span_times`)."""
    try:
        old = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return _same_but_span_times(old, text, key)


def _same_but_span_times(old: str, new: str, key: bytes | None = None) -> bool:
    """Whether the golden texts ``old`` and ``new`` differ at most in their spans' times. The
    lines of ``old`` may end in CRLF (a checkout with git's ``core.autocrlf``, which converts
    them back when the file is committed): a golden's JSON holds no raw carriage return, so
    ``old`` is compared line by line. A signature covers the spans' times: signed with
    ``key``, ``new``'s differs from ``old``'s, which stands when it is valid for ``key`` (a
    golden signed with another key is signed again)."""
    if "\r" in old:
        old = old.replace("\r\n", "\n")
    if len(old) != len(new):
        return False
    masked_old, masked_new = _span_times_masked(old), _span_times_masked(new)
    if masked_old == masked_new:
        return True
    return (
        key is not None
        and _SIGNATURE_LINE.sub(r"\1_\2", masked_old) == _SIGNATURE_LINE.sub(r"\1_\2", masked_new)
        and verify_document(codec.loads(old, decode_tags=False), key)
    )


def _span_times_masked(text: str) -> str:
    start = text.find(_TRACE_FIELD)
    end = text.find("\n  }", start + 1) if start >= 0 else -1
    if end < 0:
        return text
    return text[:start] + _SPAN_TIME.sub(r"\1_\2", text[start:end]) + text[end:]
