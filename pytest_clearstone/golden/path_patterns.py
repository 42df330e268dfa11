"""The dotted path patterns of the marker's ``ignore=`` and ``ignore_state=``: read, written, and
matched one level at a time.

A path is dotted: ``config.callbacks``, ``messages.*.id``, ``**.run_id``. ``*`` matches one
level (a key or a list position), ``**`` any number of levels (none included), and ``["a.b"]``
quotes a key that holds a dot. Compiled paths (:func:`parse_path`: tuples of segments) are
matched against a tree by walking it and carrying *states*, ``(path index, position in it)``:
:func:`start` before the first level, :func:`advance` through each level; a state at the end of
its path is a match. What the levels of a tree are (a model's fields, a request's headers...) is
the walker's business (:mod:`.ignore`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

#: the segment that matches one level, and the one that matches any number of levels
ANY = "*"
DEEP = "**"

#: compiled paths, and where the walk of a tree is in them: ``(path index, position)`` pairs
Patterns = Sequence[tuple[str, ...]]
States = frozenset[tuple[int, int]]

#: a quoted key of a path (``["run.id"]``; ``\\`` escapes a quote or a backslash in it)
QUOTED_KEY = r'\["((?:[^"\\]|\\.)*)"\]'

_SEGMENT = re.compile(QUOTED_KEY + r"|([^.\[\]]+)")

#: the fix a bad path is told with
_HOW = (
    "a path is keys joined by dots, * for one level, ** for any number of levels and "
    '["a.b"] for a key holding a dot, as in messages.*.id or **.run_id'
)


def parse_path(text: str) -> tuple[str, ...]:
    """The segments of a dotted path; :class:`ValueError` naming the path when it is bad."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"an ignore path must be a non-empty string, not {text!r}")
    segments: list[str] = []
    position = 0
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            raise ValueError(f"bad ignore path {text!r} at character {position + 1}: {_HOW}")
        quoted, plain = match.groups()
        segments.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain.strip())
        position = match.end()
        if position < len(text):
            if text[position] != ".":
                if text[position] != "[":
                    raise ValueError(
                        f"bad ignore path {text!r} at character {position + 1}: {_HOW}"
                    )
                continue  # a["b"]: a quoted key right after a plain one
            position += 1
            if position == len(text):
                raise ValueError(f"bad ignore path {text!r}, which ends with a dot: {_HOW}")
    return tuple(segments)


def names_its_start(text: str) -> bool:
    """Whether a path names the value it starts at (``request_id...``, ``final_state...``),
    rather than starting with ``*`` or ``**``."""
    return parse_path(text)[0] not in (ANY, DEEP)


def segment_text(step: Any) -> str:
    """One step of a path (a key, a list position) as :func:`parse_path` reads it back: as it
    is, or quoted (``["run.id"]``) when it holds a dot, a bracket or a quote."""
    key = str(step)
    if key and key == key.strip() and key not in (ANY, DEEP) and not set('.[]"\\') & set(key):
        return key
    return '["' + key.replace("\\", "\\\\").replace('"', '\\"') + '"]'


def start(patterns: Patterns) -> States:
    """The states before the first level of a tree: each path at its start."""
    return closure({(i, 0) for i in range(len(patterns))}, patterns)


def done(states: States, patterns: Patterns) -> list[int]:
    """The indices of the paths that ``states`` have matched to their end."""
    return [i for i, position in states if position == len(patterns[i])]


def closure(states: Iterable[tuple[int, int]], patterns: Patterns) -> States:
    """``states`` plus those reached by letting each ``**`` match no level."""
    out = set(states)
    todo = list(out)
    while todo:
        i, position = todo.pop()
        if position < len(patterns[i]) and patterns[i][position] == DEEP:
            nxt = (i, position + 1)
            if nxt not in out:
                out.add(nxt)
                todo.append(nxt)
    return frozenset(out)


def through_v(states: States, patterns: Patterns) -> States:
    """The states that take a ``v`` segment as the level of a tagged value's fields (``v`` is
    where its stored form keeps them, so a path copied from a divergence message names it:
    ``input.*.v.content``). Only with a segment after it: ``p.v`` names a field ``v``."""
    return closure(
        {
            (i, position + 1)
            for i, position in states
            if position + 1 < len(patterns[i]) and patterns[i][position] == "v"
        },
        patterns,
    )


def advance(states: States, key: str, patterns: Patterns, *, fold: bool = False) -> States:
    """The states after the level ``key`` (with ``fold``, a lower-case name that a segment
    matches in any case: a header's)."""
    moved: set[tuple[int, int]] = set()
    for i, position in states:
        pattern = patterns[i]
        if position >= len(pattern):
            continue
        segment = pattern[position]
        if segment == DEEP:
            moved.add((i, position))  # ** takes this level and may take more
            moved.add((i, position + 1))
        elif segment in (ANY, key) or (fold and segment.lower() == key):
            moved.add((i, position + 1))
    return closure(moved, patterns)
