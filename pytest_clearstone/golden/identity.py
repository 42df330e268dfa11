"""What a re-recorded golden keeps: its checkpoint id, seeds and clock, and derived span ids.

A golden records what only randomness chose: the checkpoint id (from which the seeds of
``random``/``uuid`` are derived) and the frozen clock's time. Re-recording keeps them from the
previous file (``--clearstone-fresh`` draws new ones), so a re-record whose calls and answers
did not change writes the same values. The span and trace ids of the trace store are unique
per run; the golden's are derived from the checkpoint id and each span's place when it is
saved, so they repeat too. What still changes is what was measured: span times and durations;
a re-record whose spans are the same but for them keeps the previous golden's times too
(:func:`keep_previous_span_times`), unless a replay would go by them otherwise than by the
times measured now: the order concurrent async calls complete in, how long a call cancelled
from outside waits to be cancelled again.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import operator
import re
from collections.abc import Collection
from functools import partial
from pathlib import Path
from typing import Any

from .. import codec
from ..codec.nesting import retried
from ..tracing.trace import Trace
from .cancellations import CANCEL_GRACE, is_cancelled
from .completion import completion_order
from .document import timestamp_in_range
from .files import first_side, read_file
from .mocks import TARGET_ATTRIBUTE, behaviour_of_span
from .ordering import span_branch

_CHECKPOINT_ID = re.compile(r"ckpt_[0-9a-f]{32}\Z")


def read_previous(path: Path) -> str | None:
    """The text of the golden at ``path`` before it is recorded again (``None``: there is
    none, or it cannot be read as text)."""
    try:
        return read_file(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def previous_document(text: str | None) -> Any:
    """A previous golden's ``text`` read as plain JSON (nothing decoded, nothing imported);
    ``None`` when there is none or it is not JSON. A golden left with merge-conflict markers is
    read as its first side (:func:`~pytest_clearstone.golden.files.first_side`): both branches
    of the merge re-recorded one golden, whose identity the re-record that resolves it keeps."""
    if text is None:
        return None
    try:  # (as deep as a golden may nest: the codec's reader)
        return codec.loads(text, decode_tags=False)
    except (ValueError, RecursionError):
        pass
    side = first_side(text.encode("utf-8"))
    if side is None:
        return None
    try:
        return codec.loads(side, decode_tags=False)
    except (ValueError, RecursionError):
        return None


def previous_identity(doc: Any) -> tuple[str, _dt.datetime] | None:
    """The checkpoint id and frozen clock of a previous golden's document (as
    :func:`previous_document` reads it); ``None`` when there is no usable one."""
    if type(doc) is not dict:
        return None
    try:
        checkpoint_id, stamp = doc["checkpoint_id"], doc["timestamp"]
        if not (isinstance(checkpoint_id, str) and _CHECKPOINT_ID.match(checkpoint_id)):
            return None
        timestamp = _dt.datetime.fromisoformat(stamp)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=_dt.timezone.utc)
    if not timestamp_in_range(timestamp):  # (no clock is set to it: a new one is started)
        return None
    return checkpoint_id, timestamp


def _derived(checkpoint_id: str, what: str, length: int) -> str:
    return hashlib.sha256(f"{checkpoint_id}/{what}".encode()).hexdigest()[:length]


def derive_ids(trace: dict[str, Any], checkpoint_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """``trace`` (as :meth:`Trace.to_dict` gives it) with its trace id and span ids derived
    from ``checkpoint_id`` and each span's place, and the map old span id -> new one."""
    spans = trace.get("spans", [])
    mapping = {
        str(span["span_id"]): _derived(checkpoint_id, f"span/{index}", 16)
        for index, span in enumerate(spans)
    }
    trace_id = _derived(checkpoint_id, "trace", 32)
    renamed = []
    for span in spans:
        copy = dict(span, span_id=mapping[str(span["span_id"])], trace_id=trace_id)
        parent = span.get("parent_span_id")
        if parent is not None:
            copy["parent_span_id"] = mapping.get(str(parent), parent)
        renamed.append(copy)
    return {**trace, "trace_id": trace_id, "spans": renamed}, mapping


def keep_previous_span_times(trace: Trace, previous: Any, ordered: Collection[str] = ()) -> bool:
    """Give the spans of ``trace`` (a re-record's, its span ids derived) the times the
    previous golden's spans measured, when they are the same spans but for those times and
    the test's node id naming its own span (a renamed test's: its metadata says so)
    (``previous``: its document, as :func:`previous_document` reads it), and a replay goes by
    those times as it would by the ones measured now (:func:`_replayed_alike`; ``ordered``:
    the targets whose async calls a replay answers in their recorded completion order, see
    :attr:`~.recorder.Recorder.ordered_targets`). Unchanged calls are then written with the
    times the file had: a golden a formatter rewrote (another layout, its keys sorted) is
    written back byte for byte as it was before, and the file changes where the agent's state
    or outcome did only. Kept for all spans or none, so that the spans keep their order in
    time. Returns whether they were kept."""
    old_trace = previous.get("trace") if type(previous) is dict else None
    old = old_trace.get("spans") if type(old_trace) is dict else None
    if type(old) is not list or len(old) != len(trace.spans):
        return False
    for before, span in zip(old, trace.spans, strict=True):
        if type(before) is not dict or not _times(before):
            return False
        after = span.to_dict()
        kept_before, kept_after = behaviour_of_span(before), behaviour_of_span(after)
        # (compared with room to recurse where a value nests deep: == on nested dicts)
        if retried(partial(operator.ne, kept_before, kept_after)):
            return False
    try:
        timed = Trace.from_dict({"trace_id": trace.trace_id, "spans": old})
    except (KeyError, TypeError, ValueError):
        return False
    if not _replayed_alike(timed, trace, ordered):
        return False
    for before, span in zip(old, trace.spans, strict=True):
        span.start_time_ns, span.end_time_ns = before["start_time_ns"], before["end_time_ns"]
    return True


def _replayed_alike(before: Trace, after: Trace, ordered: Collection[str]) -> bool:
    """Whether a replay goes by the times of the spans of ``before`` (the previous golden's) as
    it would by those of ``after`` (the same spans, measured now): each async call of an
    ``ordered`` target waits for the same calls to be answered and made
    (:func:`~.completion.completion_order`: the order concurrent calls completed in when
    recorded, which the live latencies change from one recording to the next), and no call
    cancelled from outside was cut off later after the run began than ``before`` says, by more
    than half the grace its replay waits beyond that to be cancelled again (the agent's timeout
    grew: kept, the replay would fail for want of a timeout that comes later)."""
    if ordered and _waits(before, ordered) != _waits(after, ordered):
        return False
    slack = CANCEL_GRACE / 2 * 1e9
    began_before, began_after = _began(before), _began(after)
    for old, new in zip(before.spans, after.spans, strict=True):
        error, old_end, new_end = new.error, old.end_time_ns, new.end_time_ns
        if error is None or old_end is None or new_end is None or not is_cancelled(error):
            continue
        if (new_end - began_after) - (old_end - began_before) > slack:
            return False
    return True


def _waits(trace: Trace, ordered: Collection[str]) -> dict[int, tuple[frozenset[int], ...]]:
    """For each recorded call of ``trace`` to an ``ordered`` target (by its place), the calls
    its replay waits to be answered and to be made."""
    calls = [
        (index, span_branch(span), span.span_id)
        for index, span in enumerate(trace.spans)
        if TARGET_ATTRIBUTE in span.attributes
    ]
    order = completion_order(calls, trace.spans)
    if order is None:
        return {}
    return {
        index: (frozenset(order.waits_for(index)), frozenset(order.waits_for_start(index)))
        for index, span in enumerate(trace.spans)
        if span.attributes.get(TARGET_ATTRIBUTE) in ordered
    }


def _began(trace: Trace) -> int:
    """When the recorded run of ``trace`` began: the start of its first span (the test's)."""
    return min((span.start_time_ns for span in trace.spans), default=0)


def _times(span: dict[str, Any]) -> bool:
    """Whether the span ``span`` of a golden's document has times a span can hold."""
    if type(span.get("start_time_ns")) is not int or "end_time_ns" not in span:
        return False
    end = span["end_time_ns"]
    return end is None or type(end) is int
