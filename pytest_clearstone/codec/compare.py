"""Comparing a live value with a recorded one the way it was stored.

Values equal by ``==`` are equal. Otherwise (objects without ``__eq__``, a client compared by
reference, a model whose library caches differ) the values are compared as they are stored —
never by pickle bytes, which differ between a live object and its decoded copy: a library value
(pydantic, attrs, dataclass, SDK client...) by its stored JSON form, a plain object by its
attributes, and a value that could only be stored as a placeholder naming its type by that type.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import describe
from .library import kind_of
from .tags import TAG, StoredRepr, encode


def same_stored_form(actual: Any, recorded: Any) -> bool:
    """Whether ``actual`` equals ``recorded`` (a decoded recording) as they are stored."""
    try:
        if actual == recorded:
            return True
    except Exception:  # an __eq__ that raises or is ambiguous: compare the stored forms
        pass
    return _same(actual, recorded)


def same_tree(actual: Any, recorded: Any) -> bool:
    """Whether two encoded trees are equal, a value stored only as a pickle or a ``repr``
    placeholder compared by its type."""
    return bool(
        actual == recorded
        or _by_type_where_unreadable(actual) == _by_type_where_unreadable(recorded)
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, StoredRepr) or isinstance(b, StoredRepr):
        return _type_name(a) == _type_name(b)
    t = type(a)
    if t is not type(b):
        return False
    if t is list or t is tuple:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if t is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        if a == b:
            return True
    except Exception:
        pass
    if kind_of(t) or dataclasses.is_dataclass(t):
        return bool(_by_type_where_unreadable(encode(a)) == _by_type_where_unreadable(encode(b)))
    state_a, state_b = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
    if state_a is not None and state_b is not None:
        return _same(state_a, state_b)
    return False


def _type_name(value: Any) -> str:
    return value.type_name if isinstance(value, StoredRepr) else describe(value)


def _by_type_where_unreadable(tree: Any) -> Any:
    """``tree`` with each pickle and each ``repr`` placeholder reduced to its type name."""
    t = type(tree)
    if t is dict:
        if tree.get(TAG) in ("pickle", "repr"):
            return {TAG: "unreadable", "type": tree.get("type")}
        return {k: _by_type_where_unreadable(v) for k, v in tree.items()}
    if t is list:
        return [_by_type_where_unreadable(v) for v in tree]
    return tree
