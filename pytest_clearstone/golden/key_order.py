"""A re-record writes a call's arguments with their dicts' keys in the previous golden's order.

A call's arguments are compared by value, where the order of a dict's keys is no part of it, and
never given back to the agent; yet they are written with their dicts' keys in the order they
had. A library may build such a dict from a set of strings — LangGraph passes the chat model a
config whose ``metadata`` holds ``thread_id`` and ``checkpoint_id`` in the order of a frozenset,
another under another ``PYTHONHASHSEED`` (a run from an earlier ``checkpoint_id``) — so a
re-record of unchanged behaviour in another process wrote them in another order (``llm call #3
... arguments (key order only)``), which the agent's author cannot sort away, and a re-record
whose arguments changed elsewhere (a new message id) moved those keys too. So each dict of a
call's arguments that has the same keys as the dict at its place in the same call (target and
call number) of the previous golden is written in that dict's order, also inside a dict whose
keys changed (a config given one more field); a dict whose keys changed keeps its own.

Answers keep the order they were recorded in: the agent reads them (a replay gives them back
as they are written), and the calls that followed were made with that order. The agent's own
state and result keep theirs too: the agent builds them, and can sort what it builds them from.

Imported when a test is recorded again: a replay does not load it.
"""

from __future__ import annotations

import functools
from typing import Any

from ..codec.nesting import retried
from ..tracing.span import Recorded
from ..tracing.trace import Trace
from .changes import recorded_calls


def keep_previous_argument_order(trace: Trace, previous: Any) -> None:
    """Write the arguments of each recorded call of ``trace`` that ``previous`` (the previous
    golden's parsed document) also recorded with the keys of their dicts in the order the
    previous golden wrote them, where the dict at the same place has the same keys."""
    old_calls = recorded_calls(previous) if isinstance(previous, dict) else {}
    if not old_calls:
        return
    spans = {span.span_id: span for span in trace.spans}
    for key, call in recorded_calls({"trace": trace.to_dict()}).items():
        before, after = old_calls.get(key, {}).get("input"), call.get("input")
        span = spans.get(str(call.get("span_id")))
        if span is None or not isinstance(before, dict) or not isinstance(after, dict):
            continue
        if "v" in before and "v" in after:
            ordered = retried(functools.partial(_ordered_as, after["v"], before["v"]))
            span.set_recorded_input(Recorded(encoded=ordered))


def _ordered_as(value: Any, previous: Any) -> Any:
    """``value`` (a JSON tree) with each dict that has the same keys as the dict at its place in
    ``previous`` in that dict's key order (also inside a dict whose keys changed)."""
    if isinstance(value, dict):
        before = previous if isinstance(previous, dict) else {}
        order = before if before.keys() == value.keys() else value
        return {k: _ordered_as(value[k], before.get(k)) for k in order}
    if isinstance(value, list):
        old = previous if isinstance(previous, list) else []
        return [_ordered_as(item, old[i] if i < len(old) else None) for i, item in enumerate(value)]
    return value
