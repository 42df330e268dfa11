"""Stored values as a person reads them, without running or importing anything a file names.

A value of a client library, or of a class whose module is not imported, becomes a
:class:`StoredFields` (an object of a class named after the stored one, its stored fields as
attributes) — but a library's dict subclass (a ``mapping``: openai's tool definitions) becomes
the dict of its items, named by key as a replay's delta names it; a pickle, a placeholder
naming its type and digest, unless pickles are allowed.
The command line shows checkpoints through these views, and messages show recorded values so
(a live SDK resource by its stored reference, not its ``repr`` and memory address); control
characters in text from a file are escaped (:func:`printable`).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable
from typing import Any

from ..errors import DecodeError
from ..printable import printable
from .library import class_paths, kind_of
from .models import MODEL_PARTS
from .tags import SELF_CONTAINED_TAGS, TAG, StoredRepr, decode, encode, zone_library_module


def _loaded_class(path: str) -> Any:
    """The class ``module:QualName`` names if its module is already imported, else ``None``:
    inspection never imports a module a file names (importing runs its code)."""
    module_name, _, qualname = path.partition(":")
    module = sys.modules.get(module_name)
    if module is None or not qualname:
        return None
    obj: Any = module
    try:
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        return None
    return obj if isinstance(obj, type) else None


def pickle_placeholder(tree: dict[str, Any]) -> StoredRepr:
    digest = hashlib.sha256(str(tree.get("v", "")).encode()).hexdigest()[:8]
    kind = str(tree.get("type", "value"))
    return StoredRepr(kind, f"<pickled {kind} sha256:{digest}>")


def _defuse(tree: Any, allow_pickle: bool, views: bool = False) -> Any:
    """Replace what must not be decoded: pickled values (unless ``allow_pickle``) by
    placeholders, and values of classes whose module is not imported (nothing is imported) by
    :class:`StoredFields` holding their stored fields; ``views``: values of every library class
    (imported or not) too. Equal stored values give equal replacements, so diffs still tell
    them apart."""
    if type(tree) is list:
        return [_defuse(x, allow_pickle, views) for x in tree]
    if type(tree) is not dict:
        return tree
    tag = tree.get(TAG)
    # (a tag that is not a name is not decodable: the codec says so, naming it)
    if type(tag) is not str or tag in SELF_CONTAINED_TAGS:
        if "tzlib" in tree and zone_library_module(tree["tzlib"]) not in sys.modules:
            # a zone of pytz or dateutil (or a time in one, or in pydantic's fixed zone), not
            # imported: shown as zoneinfo's (as a fixed zone)
            return {k: v for k, v in tree.items() if k != "tzlib"}
        return {k: _defuse(v, allow_pickle, views) for k, v in tree.items()}
    if tag == "pickle":
        return tree if allow_pickle else pickle_placeholder(tree)
    # every class a tag names (a model, its generic arguments, an http module...) must be
    # loaded already; an unknown tag names nothing we can check, so it is shown by its fields
    paths = class_paths(tree)
    if not views and paths and all(_loaded_class(path) is not None for path in paths):
        return {k: _defuse(v, allow_pickle) for k, v in tree.items()}
    if tag == "mapping" and type(tree.get("v")) is dict:  # a library's dict: as its items
        return _defuse(tree["v"], allow_pickle, views)
    return _stored_fields(tree, paths, allow_pickle, views)


def decoded_view(tree: Any, allow_pickle: bool, views: bool) -> Any:
    """``tree`` decoded with :func:`_defuse`'s replacements (``views``: every library value as
    :class:`StoredFields`)."""
    return decode(_defuse(tree, allow_pickle, views), allow_pickle=allow_pickle)


# -- values of classes not imported, by their stored fields ------------------------------------
#: the attribute holding a pydantic model's set fields (its ``model_fields_set``)
FIELDS_SET = "model_fields_set"
#: the parts of a library value's tree that name its class (a subclass's ``base``), not a field
NAMING_PARTS = frozenset({TAG, "cls", "args", "type", "ref", "module", "base"})


class StoredFields:
    """A value of a client library or of a class inspection does not import (a pydantic model,
    an SDK client reference, a dataclass, an enum...) as it is stored: an instance of a class
    named after the stored one (``ChatCompletion``, ``ParsedChatCompletion[Trip]``) whose
    attributes are the stored fields, decoded the same way (``value`` for an enum's value).

    Equal when the stored class and every field are equal, so ``diff`` compares the fields and
    names the changed ones by attribute (``.choices[0].message.content``), as it would walk the
    live object; the ``repr`` reads like the model's (a pydantic model's set fields only)."""

    #: the stored class, ``module.QualName`` (its generic arguments in brackets), when known
    stored_class = ""
    #: the tag of the stored value (``http_request``...), for a value read from a file
    stored_tag = ""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), frozenset(vars(self))))

    def __repr__(self) -> str:
        fields = vars(self)
        shown = fields.get(FIELDS_SET)
        text = ", ".join(
            f"{printable(name)}={value!r}"
            for name, value in fields.items()
            if name != FIELDS_SET and (shown is None or name in shown)
        )
        return f"{type(self).__name__}({text})"


@functools.cache
def _stored_class(paths: tuple[str, ...], name: str) -> type[StoredFields]:
    """The :class:`StoredFields` class of the value tagged ``paths[0]`` of the stored class
    ``paths[1:]`` (with its generic arguments), shown as ``name``: one per stored class, so
    values of different classes differ by type. Its module is this one: nothing ever looks for
    (imports) the stored class."""
    namespace = {"__module__": __name__, "__qualname__": name, "stored_tag": paths[0]}
    return type(name, (StoredFields,), namespace)


def _short(path: str) -> str:
    return printable(path.rpartition(":")[2] or path)


def stored_class_name(tree: dict[Any, Any], paths: list[str]) -> str:
    """The name a library value's view is shown with: its stored class's (``ChatCompletion``),
    with a generic model's arguments (``ParsedChatCompletion[Trip]``); its tag without one."""
    name = _short(paths[0]) if paths else printable(tree.get(TAG))
    if len(paths) > 1:
        name += f"[{', '.join(_short(path) for path in paths[1:])}]"
    return name


def stored_fields(tree: dict[Any, Any], value: Callable[[Any], Any]) -> dict[str, Any]:
    """A library value's fields by name, from its tagged tree, each part read through
    ``value`` (decoded, or left stored): a model's fields, extras, private and other
    attributes, a client reference's settings (``value`` for an enum's value); a pydantic
    model's set fields as :data:`FIELDS_SET`, sorted (every stored field and extra when the
    tree does not say; none when its fields are no object, a hand-edited file: all is shown)."""
    fields: dict[str, Any] = {}
    for key, part in tree.items():
        if key in NAMING_PARTS or key in ("set", "unset"):  # (names, not values)
            continue
        read = value(part)
        if key in MODEL_PARTS and type(read) is dict:
            fields.update(read)
        else:
            fields["value" if key == "v" else str(key)] = read
    if tree.get(TAG) in ("pydantic", "pydantic.v1") and type(tree.get("v")) is dict:
        # the set fields, as the model tells them
        stored = tree.get("set")
        if type(stored) is not list:
            stored = [field for part in ("v", "extra") for field in _names(tree.get(part))]
        fields[FIELDS_SET] = sorted(map(str, stored))
    return fields


def _stored_fields(
    tree: dict[str, Any], paths: list[str], allow_pickle: bool, views: bool
) -> StoredFields:
    """A library value's tree (``tag`` naming classes ``paths``) as a :class:`StoredFields`."""
    fields = stored_fields(tree, lambda part: decoded_view(part, allow_pickle, views))
    cls = _stored_class((str(tree.get(TAG)), *paths), stored_class_name(tree, paths))
    return cls(fields)


def _names(part: Any) -> list[str]:
    return list(part) if type(part) is dict else []


def comparable_fields(value: Any) -> Any:
    """``value`` with each value of a client library in it (a live pydantic model, SDK client
    or resource, http request or response...) replaced by the :class:`StoredFields` of its
    stored form, as a file read without the library shows it: two values are compared and
    their delta named by field, whether the library is imported or not."""
    t = type(value)
    if t is dict:
        return {k: comparable_fields(v) for k, v in value.items()}
    if t is list:
        return [comparable_fields(v) for v in value]
    if t is tuple:
        return tuple(comparable_fields(v) for v in value)
    if kind_of(t):
        try:
            return decoded_view(encode(value), False, True)
        except DecodeError:
            return value
    return value


def safe_decode(tree: Any, *, allow_pickle: bool = False) -> Any:
    """Decode a codec tree for display: no pickle is run unless ``allow_pickle``, and no module
    is imported (values of classes not already imported become :class:`StoredFields`)."""
    try:
        return decoded_view(tree, allow_pickle, False)
    except DecodeError as exc:
        return StoredRepr("value", f"<undecodable: {exc}>")
