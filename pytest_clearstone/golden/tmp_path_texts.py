"""Texts in a replayed agent's state that name the recording's ``tmp_path``.

A ``pathlib`` path under the test's ``tmp_path`` is stored relative to it and restored under the
replaying test's (:mod:`pytest_clearstone.path_roots`); a text is stored as it is. An agent that
keeps such a path as a text (the OpenAI Agents SDK's ``SQLiteSession(str(tmp_path / "mem.db"))``)
gets the recording's directory back from the golden, and works there: its database holds the
recording's rows, or cannot be opened. When the replay's outcome then differs, the failure names
the text and the fix (:func:`recorded_tmp_path_hint`). Looked at on that failure path only.
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Iterator
from typing import Any

__all__ = ["recorded_tmp_path_hint"]

#: how many values of the state are looked at, at most, texts counted (a huge state: the first
#: of them)
_MAX_VALUES = 10_000


def recorded_tmp_path_hint(state: Any) -> str:
    """What to say when ``state`` (the agent's, after a replay whose outcome differs) holds an
    absolute path as a text under a directory named as this test's ``tmp_path`` is, with
    another number or under another base directory (the recording's), not under this run's
    ``tmp_path``; ``""`` when it holds none, or the test has no ``tmp_path``."""
    from ..errors import recorded_tmp_path_text
    from ..path_roots import root_directories

    current = next((d for d, name in root_directories() if name == "tmp_path"), None)
    if current is None:
        return ""
    stem = re.escape(os.path.basename(current).rstrip("0123456789"))
    named = re.compile(rf"(.*[/\\]{stem}\d+)(?:[/\\]|$)")
    for place, text in _texts(state):
        found = named.match(text)
        if found is None or not os.path.isabs(text):
            continue
        recorded = found.group(1)
        if os.path.normcase(recorded) != os.path.normcase(current):
            return recorded_tmp_path_text(recorded, current, place)
    return ""


def _texts(state: Any) -> Iterator[tuple[str, str]]:
    """The texts of ``state`` (through dicts, lists, tuples and the attributes of objects) with
    their places, as a delta names them (``root['db_path']``, ``root['settings'].db_path``),
    depth first, each object once, and :data:`_MAX_VALUES` values looked at at most, texts
    counted: made as the caller asks, who stops at the first it names (each container's items
    are taken one by one, their places made as they are looked at)."""
    stack: list[Iterator[tuple[str, Any]]] = [iter([("root", state)])]
    seen: set[int] = set()
    for _ in range(_MAX_VALUES):
        entry = None
        while stack and entry is None:
            try:
                entry = next(stack[-1], None)
            except RuntimeError:  # (a dict that changed size meanwhile: its items left)
                entry = None
            if entry is None:
                stack.pop()
        if entry is None:
            return
        place, value = entry
        if type(value) is str:
            yield place, value
        elif id(value) not in seen:
            seen.add(id(value))
            items = _items(place, value)
            if items is not None:
                stack.append(items)


def _items(place: str, value: Any) -> Iterator[tuple[str, Any]] | None:
    """The items of ``value`` at ``place``, with their places, made one by one (``None``: not
    a dict, a list, a tuple or an object with attributes)."""
    if isinstance(value, dict):
        return ((f"{place}[{key!r}]", item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ((f"{place}[{index}]", item) for index, item in enumerate(value))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and not isinstance(
        value, (type, types.ModuleType, types.FunctionType, types.MethodType)
    ):
        return ((f"{place}.{name}", item) for name, item in attributes.items())
    return None
