"""One object at two places of an agent's state, which a golden cannot give back as one.

A golden stores each place of the state as its own copy: an agent holding one list as
``self.history[-1]`` and as ``self.current`` gets two lists back when replayed, so a run that
changes it through one place no longer changes the other, and the replay differs from the
recording with nothing changed. Recording looks for such objects (mutable containers and
dataclass instances reached through plain containers and dataclasses) in the state it gives
back through ``__dict__``, and fails when a run changed one, naming its places and the fix,
instead of writing a golden no replay passes. Imported only when recording.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

from ..codec import Encoder
from ..codec.tags import format_path

#: the containers walked into, and those that count as one object when met twice
_WALKED = (dict, list, tuple, set, frozenset, collections.deque)
_MUTABLE = (dict, list, set, bytearray, collections.deque)
#: how many values are looked at: a state of more is not searched further
_LIMIT = 100_000


class SharedObject:
    """An object of the state met at several places, and its stored form when it was met."""

    __slots__ = ("places", "stored", "value")

    def __init__(self, value: Any, places: list[str]) -> None:
        self.value = value
        self.places = places
        self.stored = _stored(value)

    def changed(self) -> bool:
        """Whether the object's stored form is not the one it had when it was found."""
        return bool(_stored(self.value) != self.stored)


def _stored(value: Any) -> Any:
    try:
        return Encoder(warn=False).encode(value)
    except Exception:  # (what cannot be stored fails the recording elsewhere, naming it)
        return None


def shared_objects(state: Any) -> list[SharedObject]:
    """The mutable objects met at more than one place of ``state`` (each with its places,
    ``state['history'][0]``), in the order first met; a place inside another shared object is
    not searched again."""
    places: dict[int, tuple[Any, list[str]]] = {}
    stack: list[tuple[Any, list[Any]]] = [(state, [])]
    seen = 0
    while stack and seen < _LIMIT:
        value, path = stack.pop()
        seen += 1
        if isinstance(value, _MUTABLE) or _is_dataclass_instance(value):
            met = places.get(id(value))
            if met is not None:
                met[1].append(format_path(path, "state"))
                continue
            places[id(value)] = (value, [format_path(path, "state")])
        children: Any
        if isinstance(value, dict):
            children = value.items()
        elif isinstance(value, _WALKED):
            children = enumerate(value) if not isinstance(value, (set, frozenset)) else ()
        elif _is_dataclass_instance(value):
            children = ((f.name, getattr(value, f.name, None)) for f in dataclasses.fields(value))
        else:
            continue
        stack.extend(reversed([(child, [*path, key]) for key, child in children]))
    return [SharedObject(value, found) for value, found in places.values() if len(found) > 1]


def _is_dataclass_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def shared_object_problem(agent: Any, shared: list[SharedObject]) -> str | None:
    """Why the golden of a run that changed one of ``shared`` (found in ``agent``'s state before
    it) would fail every replay, and the fix; ``None`` when the run changed none of them."""
    changed = next((item for item in shared if item.changed()), None)
    if changed is None:
        return None
    name = type(agent).__qualname__
    kind = type(changed.value).__name__
    *before, last = changed.places
    return (
        f"cannot record the state of {name}: it holds one {kind} at {', at '.join(before)} and "
        f"at {last}, which the run changed; a golden stores each place as its own "
        f"copy, so a replay would change only one of them and differ from this recording. "
        f"Give {name} a load_state(state) method that makes them one object again (and a "
        f"get_state() returning what it reads), or keep one of the places out of the state "
        f"(an index or a key instead of a second reference)"
    )
