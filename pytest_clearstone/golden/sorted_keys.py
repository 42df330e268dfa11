"""A golden whose keys a JSON formatter sorted.

Teams run formatters over the files they commit: pre-commit's ``pretty-format-json --autofix``
sorts the keys of every object unless given ``--no-sort-keys`` (on goldens named ``.json``, or
with the hook's types widened), as ``jq -S`` and ``python -m json.tool --sort-keys`` do. A
golden's values keep the key order they were recorded in (:mod:`.document`): a replay gives the
agent its state, and each recorded answer, in the order of the file. An agent that writes such
a dict into a prompt or its result (``json.dumps(self.profile)``) then diverges from a golden
whose keys a formatter sorted in the order of its items only, which is told as the formatter's
doing, with its fix, rather than the agent's.

The layout writes some objects in an order of its own, never alphabetical: each span of the
trace (``trace_id`` first) and the ``agent`` field (``module`` first). When every one of them
has its keys in alphabetical order, a tool sorted the file. Read only when a replay fails on
items in another order, never on a passing replay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import codec
from .files import read_file


def keys_sorted_by_a_tool(path: Path) -> bool:
    """Whether the golden at ``path`` has the keys of the objects its layout writes in an order
    of its own in alphabetical order (:func:`sorted_throughout`); ``False`` when it cannot be
    read."""
    try:  # (as deep as a golden may nest: the codec's reader)
        doc = codec.loads(read_file(path).decode("utf-8"), decode_tags=False)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return sorted_throughout(doc)


def sorted_throughout(doc: Any) -> bool:
    """Whether the golden document ``doc`` (parsed, its keys in the order of the file) has
    each of its spans and its ``agent`` field, one at least, with its keys in alphabetical
    order, which the layout never writes them in."""
    if type(doc) is not dict:
        return False
    trace = doc.get("trace")
    spans = trace.get("spans") if type(trace) is dict else None
    found = [span for span in spans if type(span) is dict] if type(spans) is list else []
    if type(doc.get("agent")) is dict:
        found.append(doc["agent"])
    found = [value for value in found if len(value) > 1]
    return bool(found) and all(list(value) == sorted(value) for value in found)
