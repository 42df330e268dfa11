"""A stored value as plain JSON, for tools that read JSON and know nothing of the codec's tags.

An OpenTelemetry backend (Phoenix, Langfuse...) shows a span's ``input.value`` and
``output.value`` as the JSON they hold: there, ``{"__cs__": "pydantic", "cls": ..., "v": {...}}``
is noise around the model's fields. :func:`plain_form` gives each tagged value as such tools
expect it: a model, dataclass, named tuple, enum or SDK client by its fields or value (a
pydantic model's extra fields with them), a tuple or set as a list, a date, decimal, uuid or
path as its text, a dict with keys that are not text with its keys written as JSON writes them
(``1`` as ``"1"``), a pydantic secret as ``"**********"``, a pickle as a placeholder naming
its type (never its bytes). Lossy: the exact form stays the codec's.
"""

from __future__ import annotations

from typing import Any

from .nesting import retried
from .tags import TAG, dumps
from .views import NAMING_PARTS, pickle_placeholder

#: the tags whose ``v`` is a list of ``[key, value]`` pairs
_PAIRS = frozenset({"dict", "ordereddict", "counter", "defaultdict"})


def plain_form(tree: Any) -> Any:
    """``tree`` (an encoded value) with every tagged value replaced by its plain JSON form."""
    # (a stored value may nest as deeply as the codec stores: walked with room when it must)
    return retried(lambda: _plain(tree))


def _plain(tree: Any) -> Any:
    if type(tree) is list:
        return [_plain(x) for x in tree]
    if type(tree) is not dict:
        return tree
    tag = tree.get(TAG)
    if tag is None:
        return {k: _plain(v) for k, v in tree.items()}
    if tag == "pickle":
        return pickle_placeholder(tree).text
    if tag == "secret":  # (a pydantic SecretStr: stored without its value, shown as pydantic does)
        return "**********"
    value = tree.get("v")
    if tag in _PAIRS and type(value) is list:
        return {_key(pair[0]): _plain(pair[1]) for pair in value if _is_pair(pair)}
    if tag in ("pydantic", "pydantic.v1") and type(tree.get("extra")) is dict:
        return {**_plain(value), **_plain(tree["extra"])}
    if "v" in tree:
        return _plain(value)
    return {k: _plain(v) for k, v in tree.items() if k not in NAMING_PARTS}


def _is_pair(item: Any) -> bool:
    return type(item) is list and len(item) == 2


def _key(tree: Any) -> str:
    """A dict key as JSON text holds it: text as it is, anything else as its plain JSON."""
    key = _plain(tree)
    return key if type(key) is str else dumps(key)
