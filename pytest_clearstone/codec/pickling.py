"""dill pickles written the same way in every process: the sets and frozensets of plain values
in a value (texts, bytes, numbers, ``None``, and tuples and frozensets of them) are pickled with
their items in one order, not in the hash order of the process that records (which
``PYTHONHASHSEED`` makes differ from run to run for texts and bytes). So a re-record of an
unchanged agent whose state needs a pickle writes the same bytes, and its golden does not change.
Every lock in a value (``threading.Lock``, ``RLock``) is pickled as a new one, released: whether
a lock is held, and by which thread, belongs to the threads running when it was stored, none of
which holds it when it is read back (a lock stored held would stop any replay that takes it, and
an ``RLock`` would store its owner's thread id, changing the file at each save).

Such a set reads back as dill pickles always did (rebuilt from the list of its items). A set
holding other objects is pickled the usual way: an object can lead back to the set that holds
it, which a set rebuilt from its items could not hold. dill is imported on first use.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable
from typing import Any

from .compare import data_attributes

PROTOCOL = 4

_SCALARS = frozenset({str, bytes, int, float, bool, type(None)})


def dumps(value: Any) -> bytes:
    """``value`` pickled by dill (protocol 4), its sets of plain values in one order, its locks
    new and released."""
    import dill

    out = io.BytesIO()
    # dill's own Pickler (dill tells its pickler by the class's module), given the override
    pickler = dill.Pickler(out, protocol=PROTOCOL)
    pickler.reducer_override = _reducer_override
    # dill warns about a class it finds under no import path (a pydantic model made by
    # ``create_model`` in a function, as ``mcp`` makes one per tool) before it fails: the
    # codec's business, which reports a value it cannot store with its own placeholder and
    # warning (the user saw dill's, naming classes the agent never handed over)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dill.PicklingWarning)
        pickler.dump(value)
    return out.getvalue()


def _reducer_override(obj: Any) -> Any:
    t = type(obj)
    if (t is set or t is frozenset) and all(map(_plain, obj)):
        return t, (_ordered(obj),)
    lock = _lock_factories().get(t)
    if lock is not None:
        return lock, ()
    attributes = data_attributes(obj)
    if attributes is None:
        return NotImplemented
    # (rebuilt before its attributes are read back: one of them may lead back to it)
    key = obj.__dict__["_sa_instance_state"].key
    return new_mapped, (t, key), attributes, None, None, set_mapped_state


def new_mapped(cls: type, key: Any) -> Any:
    """An ORM-mapped object of ``cls`` made without ``__init__``, as SQLAlchemy loads one,
    detached with its identity ``key`` (``None``: transient); its attributes are set next
    (:func:`set_mapped_state`). Named in the pickles of ORM objects: kept under this name."""
    obj = cls._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    if key is not None:
        obj._sa_instance_state.key = key
    return obj


def set_mapped_state(obj: Any, attributes: dict[str, Any]) -> None:
    """Set a rebuilt ORM-mapped object's ``attributes`` as loaded from the database (no change
    pending: a relationship's list becomes its instrumented collection again), those SQLAlchemy
    does not map as plain attributes. Named in the pickles of ORM objects: kept under this
    name."""
    from sqlalchemy.orm.attributes import set_committed_value

    manager = type(obj)._sa_class_manager
    for name, value in attributes.items():
        if name in manager:
            set_committed_value(obj, name, value)
        else:
            obj.__dict__[name] = value


@functools.cache
def _lock_factories() -> dict[type, Callable[[], Any]]:
    """The lock types, each with the factory of a new, released lock of it."""
    import threading

    return {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _plain(x: Any) -> bool:
    t = type(x)
    return t in _SCALARS or ((t is tuple or t is frozenset) and all(map(_plain, x)))


def _ordered(items: set[Any] | frozenset[Any]) -> list[Any]:
    """The items of a set of plain values in one order: texts, bytes and numbers by value (each
    kind apart), with tuples or frozensets among them by their own pickles."""
    try:
        return sorted(items, key=_scalar_key)
    except TypeError:
        return sorted(items, key=dumps)


def _scalar_key(x: Any) -> tuple[str, bool, Any]:
    t = type(x)
    if t is str or t is bytes:
        return (t.__name__, False, x)
    if t is int or t is float or t is bool:
        return ("number", x != x, x if x == x else 0)  # (NaN after the numbers)
    if x is None:
        return ("none", False, 0)
    raise TypeError("a tuple or frozenset: ordered by its pickle")
