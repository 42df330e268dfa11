"""Comparing a live value with a recorded one the way it was stored.

Values equal by ``==`` are equal, at any depth. Otherwise (objects without ``__eq__``, a client
compared by reference, a model whose library caches differ) the values are compared as they are
stored — never by pickle bytes, which differ between a live object and its decoded copy: a
library value (pydantic, attrs, dataclass, SDK client, file...) by its stored JSON form, a plain
object by its attributes, and a value that could only be stored as a placeholder naming its type
by that type. A NaN equals a NaN stored the same, also as a dict's key or a set's item. A numpy
array or a pandas frame, whose ``==`` is elementwise, is compared by its values
(:mod:`.arrays`). A live file and its recording, read back as an in-memory file, are of two
classes and compare by their stored forms (kind, name and content). An HTTP request is compared
without the headers that describe the machine that sent it (:data:`.http.UNCOMPARED_HEADERS`).

:func:`placeholders_kept` walks a live value the same way, for a delta that shows only what the
comparison took as different.
"""

from __future__ import annotations

import collections
import dataclasses
import decimal
import sys
from pathlib import PurePath
from typing import Any

from ..errors import describe
from . import withheld
from .arrays import equal_by_value
from .clients import is_stored_as
from .files import is_file
from .http import compared_form, with_uncompared_headers_of
from .library import kind_of
from .models import without_langchain_versions
from .naming import MESSAGE_TAGS, REFERENCE_TAGS, is_std_array, path_now
from .nesting import retried, tracing_again
from .registry import REGISTRY
from .tags import TAG, Encoder, StoredRepr, decode, dumps

#: ``recorded_tree`` of :func:`same_stored_form` when the recorded value's stored form is not
#: at hand
UNKNOWN: Any = object()


def same_stored_form(actual: Any, recorded: Any, recorded_tree: Any = UNKNOWN) -> bool:
    """Whether ``actual`` equals ``recorded`` (a decoded recording) as they are stored.

    ``recorded_tree``: the encoded tree ``recorded`` was decoded from, when known (a golden's
    recorded call): a library value is then compared with its part of that tree, the form it was
    recorded in, instead of with the recorded value encoded again."""
    trace = sys.gettrace()
    try:
        if actual == recorded:  # the usual case
            return True
    except Exception:  # an __eq__ that raises or is ambiguous (or values too deep): walked
        tracing_again(trace)
    # (again with room for values nested deeper than the recursion limit lets it go)
    return retried(lambda: _same(actual, recorded, recorded_tree))


def same_tree(actual: Any, recorded: Any) -> bool:
    """Whether two encoded trees are equal, a value stored only as a pickle or a ``repr``
    placeholder compared by its type, and a class by the class its path names (a golden
    recorded when classes were named by the private module they are written in:
    :func:`~.naming.path_now`)."""

    def same() -> bool:
        if _same_tree(actual, recorded):
            return True
        renamed = _classes_named_now(recorded)
        return renamed is not recorded and _same_tree(_classes_named_now(actual), renamed)

    return retried(same)


def _same_tree(actual: Any, recorded: Any) -> bool:
    return bool(
        actual == recorded
        or _by_type_where_unreadable(actual) == _by_type_where_unreadable(recorded)
        or _by_type_where_unreadable(withheld.with_placeholder_keys(actual, recorded))
        == _by_type_where_unreadable(recorded)
    )


def _classes_named_now(tree: Any) -> Any:
    """``tree`` with each text that is a class path naming an imported class otherwise than
    :func:`~.naming.class_path` now names it (:func:`~.naming.path_now`) written as it is named
    now; ``tree`` itself when there is none. Both trees of a comparison are rewritten alike."""
    t = type(tree)
    if t is str:
        return path_now(tree)
    if t is dict:
        out = {k: _classes_named_now(v) for k, v in tree.items()}
        return tree if all(out[k] is v for k, v in tree.items()) else out
    if t is list:
        items = [_classes_named_now(v) for v in tree]
        return tree if all(x is y for x, y in zip(items, tree, strict=True)) else items
    return tree


def _same(a: Any, b: Any, tree: Any) -> bool:
    """:func:`same_stored_form`; ``tree``: ``b``'s encoded tree, or :data:`UNKNOWN`."""
    if type(a) is StoredRepr or type(b) is StoredRepr:  # (a class with no subclass)
        return _type_name(a) == _type_name(b)
    try:
        if a == b:  # values equal by == are equal, at any depth
            return True
    except Exception:  # an __eq__ that raises or is ambiguous: compare the stored forms
        pass
    if withheld.stands_for(a, b):  # (the key the plugin gave: no key, or one redacted)
        return True
    t = type(a)
    if t is str and type(b) is str:  # (unequal: a class named by a path of an older golden)
        return bool(path_now(a) == path_now(b))
    if t is not type(b):
        # (a live file against its recording, read back as an in-memory file)
        if is_file(t) and is_file(type(b)):
            return same_tree(stored_form(a), stored_form(b) if tree is UNKNOWN else tree)
        if made_from(t, type(b)):
            return same_tree(stored_form(a), stored_form(b) if tree is UNKNOWN else tree)
        return False
    if t is float or t is complex or t is decimal.Decimal:  # (unequal by ==)
        return both_nan(a, b)
    # an array's == is elementwise (ambiguous), a NaN's False: numpy's and pandas' by values
    equal = equal_by_value(a, b)
    if equal is not None:
        return equal
    if t is list or t is tuple or is_std_array(t):
        if len(a) != len(b):  # (an array.array's items too, as == compares them: a NaN paired)
            return False
        # a list's tree is a list of its items' trees (a tuple's is tagged)
        trees = tree if t is list and type(tree) is list and len(tree) == len(b) else None
        return all(
            _same(x, y, UNKNOWN if trees is None else trees[i])
            for i, (x, y) in enumerate(zip(a, b, strict=True))
        )
    if t is dict:
        # a copy, made with no Python code run meanwhile: another thread may change a library's
        # dict while it is compared
        a = a.copy()
        if a.keys() != b.keys():
            return _same_items_by_key(a, b)
        # a plain dict's tree has its keys (a tagged one stands for another value)
        plain = type(tree) is dict and TAG not in tree and tree.keys() == b.keys()
        for k, x in a.items():
            y = b[k]
            if type(x) is type(y) and type(x) in _BY_EQUALITY:  # (a call's usual arguments)
                try:
                    if x == y:
                        continue
                except Exception:  # (compared below)
                    pass
            if not _same(x, y, tree[k] if plain else UNKNOWN):
                return False
        return True
    if t is set or t is frozenset:
        return len(a) == len(b) and _paired(a, b) is not None
    if t is collections.deque:  # (its maxlen left out, as == leaves it out)
        return len(a) == len(b) and all(_same(x, y, UNKNOWN) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):  # a dict subclass (a library's tool definition): items, attributes
        return _same_mapping(a, b, tree)
    # (after the containers, which the walk meets far more often)
    if isinstance(a, PurePath) and t.__module__.partition(".")[0] == "pathlib":
        # (one path named through a symlink to a root and once resolved: stored alike)
        return bool(stored_form(a) == (stored_form(b) if tree is UNKNOWN else tree))
    kind = kind_of(t)
    if by_stored_form(t, kind):
        if tree is not UNKNOWN and kind in REFERENCE_TAGS and not REGISTRY.active:
            stored_as = is_stored_as(a, tree)  # (a registered encoder may store it otherwise)
            if stored_as is not None:
                return stored_as
        stored_b = stored_form(b) if tree is UNKNOWN else tree
        if kind in MESSAGE_TAGS:  # (without the headers that describe the machine)
            return same_tree(compared_form(stored_form(a)), compared_form(stored_b))
        stored_a = stored_form(a)
        if same_tree(stored_a, stored_b):
            return True
        # (recorded before its class gained a field: the recording as it reads now, the field at
        # its default, as == compares it where the value holds nothing only its type compares)
        if (
            tree is not UNKNOWN
            and dataclasses.is_dataclass(t)
            and same_tree(stored_a, stored_form(b))
        ):
            return True
        # (without the releases LangChain notes in a chat model's metadata)
        return same_tree(without_langchain_versions(stored_a), without_langchain_versions(stored_b))
    custom = custom_form(a)
    if custom is not None:  # (what its encoder stores: not its other attributes)
        return same_tree(custom, stored_form(b) if tree is UNKNOWN else tree)
    if isinstance(a, list):  # a list subclass (SQLAlchemy's InstrumentedList): items, attributes
        return _same(list.copy(a), list.copy(b), UNKNOWN) and _same_attributes(a, b)
    pickled = pickled_state(a)
    if pickled is not UNKNOWN:  # (a random generator: what a pickle of it holds)
        other = pickled_state(b)
        return other is not UNKNOWN and _same(pickled, other, UNKNOWN)
    return _same_attributes(a, b, missing=False)


def pickled_state(value: Any) -> Any:
    """What a pickle holds of ``value`` where its attributes do not tell it — an object whose
    class gives its own ``__getstate__`` (a ``random.Random``: its ``__dict__`` does not hold
    the generator's state), or that has no ``__dict__`` and whose class gives its own
    ``__reduce__`` (numpy's ``Generator`` and ``RandomState``) —: what ``__reduce_ex__`` gives,
    its iterators of items as lists; :data:`UNKNOWN` for any other object (a built-in value,
    whose pickle holds the value itself; one that says nothing of its pickle, equal only to
    itself), or one whose pickling fails."""
    t = type(value)
    if t.__module__ == "builtins":
        return UNKNOWN
    if not _gives_own(t, "__getstate__") and (
        getattr(value, "__dict__", None) is not None
        or not (_gives_own(t, "__reduce__") or _gives_own(t, "__reduce_ex__"))
    ):
        return UNKNOWN
    try:
        reduced = value.__reduce_ex__(4)
    except Exception:  # (it cannot be pickled: a lock)
        return UNKNOWN
    if type(reduced) is not tuple:  # (a global's name)
        return reduced
    return tuple(
        list(part) if i >= 3 and part is not None else part for i, part in enumerate(reduced)
    )


def _gives_own(t: type, method: str) -> bool:
    """Whether the class ``t`` has a ``method`` of pickling other than ``object``'s."""
    return getattr(t, method, None) is not getattr(object, method, None)


def _same_attributes(a: Any, b: Any, *, missing: bool = True) -> bool:
    """Whether two objects of one class hold the same attributes (``missing``: the answer when
    either has no ``__dict__``), without what SQLAlchemy keeps there (:data:`BOOKKEEPING`)."""
    state_a, state_b = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
    if state_a is None or state_b is None:
        return missing
    if not BOOKKEEPING.isdisjoint(state_a) or not BOOKKEEPING.isdisjoint(state_b):
        state_a = {k: v for k, v in state_a.items() if k not in BOOKKEEPING}
        state_b = {k: v for k, v in state_b.items() if k not in BOOKKEEPING}
    return _same(state_a, state_b, UNKNOWN)


#: what SQLAlchemy keeps in the ``__dict__`` of an ORM-mapped object (its session, identity
#: and loading state) and of a relationship's list (its collection adapter): no data of theirs,
#: and never the same in a live object and its recorded copy
BOOKKEEPING = frozenset({"_sa_instance_state", "_sa_adapter"})


def data_attributes(value: Any) -> dict[str, Any] | None:
    """The attributes of an ORM-mapped object (a SQLAlchemy one) without its bookkeeping
    (:data:`BOOKKEEPING`), by name in order, a relationship's collection as a copy of the
    built-in one it extends (without its adapter); ``None`` for any other value."""
    if getattr(type(value), "_sa_class_manager", None) is None:  # (no code of ``value`` runs)
        return None
    state = getattr(value, "__dict__", None)
    if type(state) is not dict or "_sa_instance_state" not in state:
        return None
    return {k: _without_adapter(state[k]) for k in sorted(state) if k not in BOOKKEEPING}


def _without_adapter(value: Any) -> Any:
    """A relationship's collection (SQLAlchemy's ``InstrumentedList``, ``...Set``, ``...Dict``,
    holding its adapter in its ``__dict__``) as a copy of its built-in base; any other value
    as it is."""
    if "_sa_adapter" not in getattr(value, "__dict__", ()):
        return value
    for base in (list, set, dict):
        if isinstance(value, base):
            return base(value)
    return value


def custom_form(value: Any) -> Any:
    """``value``'s stored form when the codec stores it by a registered encoder or an encode
    hook (a ``custom`` tree), else ``None``: compared and shown by that form, as the encoder
    stores it — not by attributes it leaves out (a client it stores by reference, objects of
    its own made anew each time)."""
    if not REGISTRY.active:
        return None
    tree = stored_form(value)
    return tree if type(tree) is dict and tree.get(TAG) == "custom" else None


#: the types whose values :func:`_same` finds equal when ``==`` does (a dict's items of one of
#: them are compared so first, without a call of it)
_BY_EQUALITY = frozenset({str, int, bool, type(None), bytes, list, dict})


def _same_mapping(a: dict[Any, Any], b: dict[Any, Any], tree: Any) -> bool:
    """Two dict subclasses of one class that ``==`` does not find equal: equal when their
    items are (walked as a dict's, with ``b``'s stored items from its ``mapping`` tree when at
    hand) and so are their attributes. Never by attributes alone: a tool definition's items
    are what the SDK sends."""
    items_a, items_b = dict.copy(a), dict.copy(b)  # (dict's own: no code of the class runs)
    if items_a.keys() != items_b.keys() or isinstance(a, collections.OrderedDict):
        # (keys that are NaN; an OrderedDict's order is data)
        if not _same_items_by_key(items_a, items_b, ordered=isinstance(a, collections.OrderedDict)):
            return False
        state_a, state_b = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
        return state_a is None or state_b is None or _same(state_a, state_b, UNKNOWN)
    stored = tree.get("v") if type(tree) is dict and tree.get(TAG) == "mapping" else None
    if not (type(stored) is dict and TAG not in stored and stored.keys() == items_b.keys()):
        stored = dict.fromkeys(items_b, UNKNOWN)
    if not all(_same(x, items_b[k], stored[k]) for k, x in items_a.items()):
        return False
    state_a, state_b = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
    return state_a is None or state_b is None or _same(state_a, state_b, UNKNOWN)


def _same_items_by_key(a: dict[Any, Any], b: dict[Any, Any], *, ordered: bool = False) -> bool:
    """Whether two dicts hold the same items, each key of ``a`` paired with its key in ``b``
    by :func:`_paired` (a NaN key is never ``==`` the recorded one); ``ordered``: in the same
    order too."""
    if len(a) != len(b):
        return False
    pairs = _paired(a, b)
    if pairs is None or (ordered and [kb for _, kb in pairs] != list(b)):
        return False
    return all(_same(a[ka], b[kb], UNKNOWN) for ka, kb in pairs)


def _paired(a: Any, b: Any) -> list[tuple[Any, Any]] | None:
    """Each item of ``a`` (a set's items, a dict's keys: as many as ``b``'s) paired with the
    item of ``b`` it stands for: itself when ``b`` holds it, else its partner
    (:func:`stored_partners`); ``None`` when one has none."""
    if all(x in b for x in a):
        return [(x, x) for x in a]
    partners = dict(
        (id(x), y)
        for x, y in stored_partners([x for x in a if x not in b], [y for y in b if y not in a])
    )
    pairs: list[tuple[Any, Any]] = []
    for x in a:  # (in a's order)
        y = x if x in b else partners.get(id(x), UNKNOWN)
        if y is UNKNOWN:
            return None
        pairs.append((x, y))
    return pairs


def stored_partners(gone: list[Any], come: list[Any]) -> list[tuple[Any, Any]]:
    """The items of ``gone`` (keys or set items one value holds and the other does not) each
    paired with an item of ``come`` stored the same, in order, where there is one: the same
    value where ``==`` cannot tell (a NaN, never ``==`` itself, as a key or in a set)."""
    left: dict[str, list[Any]] = {}
    for y in come:
        left.setdefault(_stored_text(y), []).append(y)
    pairs: list[tuple[Any, Any]] = []
    for x in gone:
        same = left.get(_stored_text(x))
        if same:
            pairs.append((x, same.pop(0)))
    return pairs


def _stored_text(value: Any) -> str:
    """``value``'s stored form as text; for a value that cannot be written (an integer longer
    than Python writes), a text no other value has."""
    try:
        return dumps(stored_form(value))
    except Exception:
        return f"\0{id(value)}"


def made_from(t: type, recorded: type) -> bool:
    """Whether ``t`` is a class a library made at run time from ``recorded`` under its name
    (instructor's ``response_model``: ``create_model("User", __base__=(User, ResponseSchema))``
    with ``User``'s module and qualified name), of a kind compared by its stored form: its values
    are stored as ``recorded``'s, and read back as ``recorded``'s."""
    return (
        t.__qualname__ == recorded.__qualname__
        and t.__module__ == recorded.__module__
        and issubclass(t, recorded)
        and by_stored_form(t, kind_of(t))
    )


def both_nan(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` (two floats, complex numbers or decimals) are both a NaN of one
    kind: never ``==`` themselves, but stored the same."""
    if type(a) is decimal.Decimal:
        return bool(a.is_nan() and b.is_nan() and a.is_snan() == b.is_snan())
    return bool(a != a and b != b)


def by_stored_form(t: type, kind: str) -> bool:
    """Whether two values of type ``t`` (of library kind ``kind``) that ``==`` does not find
    equal are compared by their stored forms: a library value or a dataclass."""
    return bool(kind) or dataclasses.is_dataclass(t)


def stored_form(value: Any) -> Any:
    """``value`` encoded for a comparison: nothing is stored, so nothing warns, and a value only
    a pickle could store is a placeholder naming its type (compared by that type either way)."""
    return Encoder(warn=False, allow_pickle=False).encode(value)


def placeholders_kept(recorded: Any, actual: Any) -> Any:
    """``actual`` with each value whose recorded counterpart is a placeholder of its type
    (:class:`StoredRepr`: a value only a pickle could store, compared by its type) replaced by
    that placeholder, and each value that stands for its recorded counterpart (the key the
    plugin gives, a secret redacted: :mod:`.withheld`) replaced by it: what
    :func:`same_stored_form` takes as equal shows no difference in a delta. Walked as
    :func:`same_stored_form` walks it: plain dicts, lists and tuples item by item; a library
    value or a dataclass in its stored form, and read back from it when a placeholder was kept
    there (``config['configurable']['__pregel_runtime'].control``). ``actual`` is not
    changed."""
    if withheld.stands_for(actual, recorded):
        return recorded
    if isinstance(recorded, StoredRepr):
        return recorded if _type_name(actual) == recorded.type_name else actual
    t = type(actual)
    if t is dict and type(recorded) is dict:
        return {
            k: placeholders_kept(recorded[k], v) if k in recorded else v for k, v in actual.items()
        }
    if (t is list or t is tuple) and type(recorded) is t and len(recorded) == len(actual):
        return t(placeholders_kept(r, a) for r, a in zip(recorded, actual, strict=True))
    if t is type(recorded) and by_stored_form(t, kind := kind_of(t)):
        try:
            tree, recorded_tree = stored_form(actual), stored_form(recorded)
            kept = _placeholders_kept_in_tree(recorded_tree, tree)
            if kind in MESSAGE_TAGS:  # (and the headers that describe the machine)
                kept = with_uncompared_headers_of(recorded_tree, kept)
            return actual if kept is tree else decode(kept)
        except Exception:  # (a value that does not read back: shown as it is)
            return actual
    return actual


#: the tags of the placeholders :func:`by_type_where_unreadable` compares by their type
_UNREADABLE = ("pickle", "repr")


def _placeholders_kept_in_tree(recorded: Any, actual: Any) -> Any:
    """The stored form ``actual`` with each part whose counterpart in ``recorded`` is a
    placeholder of the same type, or that it stands for (:func:`~.withheld.stands_for`),
    replaced by that part (what :func:`same_tree` takes as equal); ``actual`` itself when there
    is none. Walks the trees as :func:`by_type_where_unreadable` does: every dict and list."""
    if withheld.stands_for(actual, recorded):
        return recorded
    t = type(actual)
    if type(recorded) is dict and recorded.get(TAG) in _UNREADABLE:
        same = (
            t is dict
            and actual.get(TAG) in _UNREADABLE
            and actual.get("type") == recorded.get("type")
        )
        return recorded if same else actual
    if t is dict and type(recorded) is dict:
        out = {
            k: _placeholders_kept_in_tree(recorded[k], v) if k in recorded else v
            for k, v in actual.items()
        }
        return actual if all(out[k] is v for k, v in actual.items()) else out
    if t is list and type(recorded) is list and len(recorded) == len(actual):
        items = [_placeholders_kept_in_tree(r, a) for r, a in zip(recorded, actual, strict=True)]
        return actual if all(x is y for x, y in zip(items, actual, strict=True)) else items
    return actual


def _type_name(value: Any) -> str:
    return value.type_name if isinstance(value, StoredRepr) else describe(value)


def by_type_where_unreadable(tree: Any) -> Any:
    """``tree`` with each pickle and each ``repr`` placeholder reduced to its type name, and
    each enum member to its class and value (a golden recorded before members were stored with
    their names holds none)."""
    return retried(lambda: _by_type_where_unreadable(tree))


def _by_type_where_unreadable(tree: Any) -> Any:
    t = type(tree)
    if t is dict:
        tag = tree.get(TAG)
        if tag in _UNREADABLE:
            return {TAG: "unreadable", "type": tree.get("type")}
        if tag == "enum":
            return {k: _by_type_where_unreadable(v) for k, v in tree.items() if k != "name"}
        return {k: _by_type_where_unreadable(v) for k, v in tree.items()}
    if t is list:
        return [_by_type_where_unreadable(v) for v in tree]
    return tree
