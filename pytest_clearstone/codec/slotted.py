"""The client libraries' plain classes that keep their state in ``__slots__``, stored as the
readable JSON of their slots.

LangGraph hands out such values and agents keep them: its store's ``Item`` and ``SearchItem``
(what ``InMemoryStore.get``/``search`` return: an agent's long-term memory), its ``Send``. They
are neither models nor dataclasses, so they were left to a pickle. They are stored as::

    {"__cs__": "slots", "cls": "langgraph.store.base:SearchItem",
     "v": {"value": {"note": "likes tea"}, "key": "n1", "namespace": {...}, ..., "score": 0.75}}

A class is one of them when it is defined in one of the client libraries' packages
(:data:`.mappings.LIBRARY_PACKAGES`, recognised by its module's name: nothing is imported to
recognise it), every class of it below ``object`` declares ``__slots__`` (so an instance has no
``__dict__``) and none defines pickling hooks of its own: its state is its slots, which is what
a pickle of it would hold. It is read back as a pickle would rebuild it, without running its
code: ``object.__new__(cls)``, then each stored slot set. A user's own class is not one of them
(register an encoder for it, :func:`pytest_clearstone.codec.register`).
"""

from __future__ import annotations

from typing import Any, Generic

from ..errors import DecodeError
from .mappings import LIBRARY_PACKAGES, STATE_HOOKS
from .models import EncodeAt
from .naming import TAG, class_path, findable, import_type, is_importable, per_type


@per_type
def is_library_slotted(t: type) -> bool:
    """Whether values of ``t`` are a client library's slotted class (see the module doc)."""
    bases = t.__mro__[:-1]
    if not bases or t.__mro__[-1] is not object:
        return False
    if t.__module__.partition(".")[0] not in LIBRARY_PACKAGES:
        return False
    for base in bases:
        if base is Generic:  # (no state; from Python 3.12 on written in C: no __slots__)
            continue
        own = vars(base)
        if (
            not base.__flags__ & _HEAPTYPE  # (a builtin base: a tuple, an exception)
            or "__slots__" not in own
            or "__dict__" in _names(own["__slots__"])
            or any(name in own for name in STATE_HOOKS)
        ):
            return False
    return is_importable(t) and findable(t)


#: in ``type.__flags__``: a class written in Python (a builtin one keeps state of its own)
_HEAPTYPE = 1 << 9


def _names(slots: Any) -> tuple[str, ...]:
    return (slots,) if isinstance(slots, str) else tuple(slots)


def slot_names(t: type) -> list[str]:
    """The attributes of ``t``'s slots, its bases' first: a private ``__name`` slot by its
    mangled name (``_Item__name``), the attribute that holds it; ``__weakref__`` left out."""
    names: list[str] = []
    for base in reversed(t.__mro__[:-1]):
        for name in _names(vars(base).get("__slots__", ())):
            if name.startswith("__") and not name.endswith("__"):
                name = f"_{base.__name__.lstrip('_')}{name}"
            if name != "__weakref__" and name not in names:
                names.append(name)
    return names


def encode_slotted(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any]:
    """The ``slots`` tree of ``v``, a library's slotted value of type ``t``: the slots that
    hold a value (an unset one is left out, and stays unset when read back)."""
    fields: dict[str, Any] = {}
    for name in slot_names(t):
        try:
            value = object.__getattribute__(v, name)
        except AttributeError:
            continue
        fields[name] = enc_at(f".{name}", value)
    return {TAG: "slots", "cls": class_path(t), "v": fields}


def decode_slotted(tree: dict[str, Any]) -> Any:
    """A stored ``slots`` value (its fields already decoded): its class rebuilt without running
    its code, each stored slot set."""
    fields = tree["v"]
    if type(fields) is not dict:
        raise DecodeError(f"the slots of a stored {tree.get('cls')!r} are not a dict: {fields!r}")
    cls = import_type(tree["cls"])
    if not is_library_slotted(cls):
        raise DecodeError(
            f"{tree['cls']!r} is not a class of a client library keeping its state in "
            f"__slots__ ({', '.join(sorted(LIBRARY_PACKAGES))}); only those are stored as "
            f"'slots'"
        )
    unknown = sorted(set(fields) - set(slot_names(cls)))
    if unknown:
        raise DecodeError(
            f"the stored {tree['cls']!r} has slots its class no longer has: {unknown} "
            f"(re-record the golden with the installed version of its library)"
        )
    value: Any = object.__new__(cls)
    for name, field in fields.items():
        object.__setattr__(value, name, field)
    return value
