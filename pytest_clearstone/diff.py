"""State deltas: what changed between two values, one readable line per path (deepdiff)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

_MAX_VALUE = 80
_CONTEXT = 24


def _short(value: Any, other: Any = None) -> str:
    """``repr`` of ``value``, shortened around where it first differs from ``other``."""
    text = repr(value)
    if len(text) <= _MAX_VALUE:
        return text
    start = 0
    if other is not None:
        other_text = repr(other)
        limit = min(len(text), len(other_text))
        while start < limit and text[start] == other_text[start]:
            start += 1
    lo = max(0, start - _CONTEXT)
    hi = min(len(text), lo + _MAX_VALUE)
    return ("..." if lo else "") + text[lo:hi] + ("..." if hi < len(text) else "")


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # objects whose == raises or is ambiguous (arrays): let deepdiff decide
        return False


class StateDelta:
    """The difference between two states, built on deepdiff.

    Falsy when the states are equal; ``str()`` gives one line per changed path, e.g.
    ``root['memory'][1]['result']: 'a' -> 'b'``. Equal states are detected with ``==`` first,
    so comparing equal states never runs deepdiff.
    """

    __slots__ = ("_lines", "after", "before")

    def __init__(self, before: Any, after: Any) -> None:
        self.before = before
        self.after = after
        self._lines: list[str] | None = [] if _equal(before, after) else None

    @property
    def lines(self) -> list[str]:
        """One rendered line per change."""
        if self._lines is None:
            self._lines = list(self._render())
        return self._lines

    def _render(self) -> Iterator[str]:
        before, after = comparable_view(self.before), comparable_view(self.after)
        try:
            with warnings.catch_warnings():
                # a third-party object's deprecated property must not fail the comparison
                warnings.simplefilter("ignore")
                yield from _deepdiff_lines(before, after)
        except Exception:  # raised from inside a third-party object: compare the JSON forms
            from . import codec

            yield from _deepdiff_lines(codec.encode(before), codec.encode(after))

    def __bool__(self) -> bool:
        return bool(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)

    def __str__(self) -> str:
        return "\n".join(self.lines) if self.lines else "(no differences)"

    def __repr__(self) -> str:
        return f"<StateDelta {len(self.lines)} change(s)>"


def comparable_view(value: Any) -> Any:
    """``value`` with the objects of client libraries (pydantic models, SDK clients and
    resources, http requests and responses...) replaced by their stored JSON form: they are
    compared the way they are recorded — a client by its reference, a secret by its placeholder
    — and a delta never walks into a client's connection pool."""
    t = type(value)
    if t in _PLAIN:
        return value
    if t is list:
        return [comparable_view(v) for v in value]
    if t is dict:
        return {k: comparable_view(v) for k, v in value.items()}
    if t is tuple:
        return tuple(comparable_view(v) for v in value)
    from .codec.library import kind_of

    if kind_of(t):
        from . import codec

        return codec.encode(value)
    return value


_PLAIN = frozenset({str, int, float, bool, type(None), bytes})


def _deepdiff_lines(before: Any, after: Any) -> Iterator[str]:
    from deepdiff import DeepDiff

    dd = DeepDiff(before, after, verbose_level=2, view="tree")
    for kind in _KINDS:
        for level in sorted(dd.get(kind, ()), key=lambda lv: lv.path()):
            path = level.path().rstrip(":")
            old, new = level.t1, level.t2
            if kind == "type_changes":
                yield (
                    f"{path}: {_short(old, new)} ({type(old).__name__}) -> "
                    f"{_short(new, old)} ({type(new).__name__})"
                )
            elif kind == "values_changed":
                yield f"{path}: {_short(old, new)} -> {_short(new, old)}"
            elif kind.endswith("added"):
                yield f"{path}: added {_short(new)}"
            elif kind.endswith("removed"):
                yield f"{path}: removed {_short(old)}"
            else:
                yield f"{path}: repetition changed"


_KINDS = (
    "type_changes",
    "values_changed",
    "dictionary_item_added",
    "dictionary_item_removed",
    "iterable_item_added",
    "iterable_item_removed",
    "set_item_added",
    "set_item_removed",
    "attribute_added",
    "attribute_removed",
    "repetition_change",
)


def state_delta(before: Any, after: Any) -> StateDelta:
    """The :class:`StateDelta` from ``before`` to ``after``."""
    return StateDelta(before, after)
