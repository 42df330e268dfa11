"""Fields of a mocked method's object that the method sets itself, found in a final state.

A replay answers a mocked method without running its body, so what the body does to its own
object (LangChain's ``FakeListChatModel.invoke`` counts its answers in ``self.i``) is not done.
When the agent keeps that object in its state, the replayed final state differs there, and
re-recording does not help: this names the fields and the ``ignore_state=`` paths that leave
them out. Used only when a replay's outcome already differs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from .path_patterns import segment_text
from .responses import ReplayCall

#: how deep the state is searched for the objects the mocked methods were called on
_MAX_DEPTH = 4
#: the field of a pydantic model that follows the fields set (left out with them)
_DERIVED = "model_fields_set"
#: a field's name after its object's path (a Python name: letters beyond ASCII too)
_FIELD = re.compile(r"\.([^\W\d]\w*)(?=[.\[:]|$)")


def final_state_hint(state: Any, calls: Sequence[ReplayCall], deltas: Sequence[str]) -> str:
    """What to say when every changed path in the final-state ``deltas`` (delta texts, one
    line per path: ``root['llm'].i: 1 -> 0``) is a field of an object in ``state`` of the class
    of a mocked method the replay called (``calls``) (``""``: not so)."""
    # (a call's arguments hold `self` in its stored form: the object is found by its class)
    classes: dict[str, str] = {}
    for call in calls:
        if "self" in call.arguments and "." in call.target:
            classes.setdefault(call.target.rpartition(".")[0], call.target)
    if not classes:
        return ""
    places = {prefix: (dotted, target) for prefix, dotted, target in _objects(state, classes)}
    if not places:
        return ""
    paths: list[str] = []
    targets: list[str] = []
    for delta in deltas:
        for line in delta.splitlines():
            line = line.strip()
            if not line.startswith("root"):
                continue
            found = _field_of(line, places)
            if found is None:
                return ""
            path, target = found
            if path and path not in paths:
                paths.append(path)
            if target not in targets:
                targets.append(target)
    if not paths:
        return ""
    return (
        f"Only fields of the object that {' and '.join(targets)} is called on differ: the "
        "replay does not run its body, so what it sets on that object is not set. If it sets "
        f"them itself, leave them out: ignore_state={paths!r}."
    )


def _field_of(line: str, places: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The ``ignore_state`` path and the target of the field a delta line changes, when it is
    a field of one of the ``places`` (a pydantic model's set fields: ``""`` as the path)."""
    for prefix, (dotted, target) in places.items():
        if not line.startswith(prefix):
            continue
        match = _FIELD.match(line, len(prefix))
        if match is None:
            continue
        name = match.group(1)
        return ("" if name == _DERIVED else f"{dotted}.{name}"), target
    return None


def _target_of(value: Any, classes: dict[str, str]) -> str | None:
    """The mocked method ``value`` is an instance of its class of (``classes``: the class's
    import path -> the target), else ``None``."""
    for cls in type(value).__mro__:
        target = classes.get(f"{cls.__module__}.{cls.__qualname__}")
        if target is not None:
            return target
    return None


def _objects(state: Any, classes: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """``(delta prefix, ignore_state path, target)`` of each object in ``state`` (dict items,
    list items and attributes, a few levels deep) that a mocked method of ``classes`` is a
    method of, at each place it is kept (any other object is walked once)."""
    seen: set[int] = set()
    stack: list[tuple[Any, str, str, int]] = [(state, "root", "final_state", 0)]
    while stack:
        value, prefix, dotted, depth = stack.pop()
        target = _target_of(value, classes) if depth else None
        if target is not None:  # (at each place: the agent may keep it twice, self.last_used)
            yield prefix, dotted, target
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        if depth >= _MAX_DEPTH:
            continue
        if isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str):
                    stack.append(
                        (child, f"{prefix}[{key!r}]", f"{dotted}.{segment_text(key)}", depth + 1)
                    )
        elif isinstance(value, (list, tuple)):
            for index, child in enumerate(value):
                stack.append((child, f"{prefix}[{index}]", f"{dotted}.{index}", depth + 1))
        else:
            fields = getattr(value, "__dict__", None)
            if isinstance(fields, dict) and not isinstance(value, type):
                for name, child in fields.items():
                    stack.append((child, f"{prefix}.{name}", f"{dotted}.{name}", depth + 1))
