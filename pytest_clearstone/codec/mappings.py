"""The client libraries' own dict subclasses, stored as the readable JSON of their items.

The SDKs hand out and take dicts of their own classes: openai's
``pydantic_function_tool(Model)`` puts an ``openai.lib._tools.PydanticFunctionTool`` (the
function's name, description and JSON schema, with the model class in its ``model``
attribute) in the tool it returns, ``pydantic_responses_function_tool`` returns a
``ResponsesPydanticFunctionTool``; anthropic's helpers return ``_TaggedDict`` params carrying a
helper name; LangChain streams ``AddableDict`` chunks. Their items are what the SDK sends, so
they are stored as such and compared by them::

    {"__cs__": "mapping", "cls": "openai.lib._tools:PydanticFunctionTool",
     "v": {"name": "SearchFlights", "description": "...", "parameters": {...}, "strict": true},
     "attrs": {"model": {"__cs__": "class", "cls": "app:SearchFlights", "schema": {...}}}}

A dict subclass is one of them when its class is defined in one of :data:`LIBRARY_PACKAGES`
(recognised by its module's name: nothing is imported to recognise it). It is read back as its
class without running its code: ``dict.__new__(cls)``, the items put in with ``dict.update``,
and the instance ``__dict__`` (``attrs``) set — when the class keeps its state in its items
and ``__dict__`` only (no ``__slots__``, no pickling hooks of its own) and that ``__dict__`` is
plain data (text, numbers, lists and dicts of them, importable classes). Otherwise the tree
says ``"plain": true`` and it is read back as a plain dict of its items (equal to the original
by ``==``). A user's own dict subclass is not one of them: it is left to a pickle, as any
other class of the user's (its class may keep invariants the codec cannot see); register an
encoder for it (:func:`pytest_clearstone.codec.register`) to store it readably.
"""

from __future__ import annotations

from typing import Any

from ..errors import DecodeError
from .models import EncodeAt
from .naming import TAG, class_path, findable, findable_path, import_type, is_importable, per_type

#: the top-level packages whose dict subclasses are stored as their items (the SDKs and the
#: agent frameworks built on them)
LIBRARY_PACKAGES = frozenset(
    {
        "openai",
        "anthropic",
        "langchain",
        "langchain_core",
        "langchain_openai",
        "langchain_anthropic",
        "langgraph",
        "pydantic_ai",
    }
)

#: what a class defines when its pickled state is not its items and ``__dict__``
STATE_HOOKS = ("__getstate__", "__setstate__", "__reduce__", "__reduce_ex__", "__getnewargs__")
#: how deep the ``__dict__`` of a stored mapping is looked into to find it plain data
_PLAIN_DEPTH = 32


@per_type
def is_library_mapping(t: type) -> bool:
    """Whether values of ``t`` are a client library's dict subclass (see the module doc)."""
    return (
        issubclass(t, dict) and t is not dict and t.__module__.partition(".")[0] in LIBRARY_PACKAGES
    )


@per_type
def _rebuildable(t: type) -> bool:
    """Whether a value of ``t`` is rebuilt exactly by its items and its ``__dict__``: ``t`` is
    found again by its path, and no class of it below ``dict`` has ``__slots__`` or pickling
    hooks of its own."""
    if not (is_importable(t) and findable(t)):
        return False
    for base in t.__mro__[: t.__mro__.index(dict)]:
        own = vars(base)
        if own.get("__slots__") or any(name in own for name in STATE_HOOKS):
            return False
    return True


def _plain(x: Any, depth: int = 0) -> bool:
    """Whether ``x`` is plain data: text, numbers, booleans, ``None``, lists, tuples and
    dicts with text keys of them, or an importable class (a model class)."""
    if depth > _PLAIN_DEPTH:
        return False
    t = type(x)
    if t is str or t is int or t is float or t is bool or x is None:
        return True
    if t is list or t is tuple:
        return all(_plain(item, depth + 1) for item in x)
    if t is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in x.items())
    return isinstance(x, type) and is_importable(x) and findable(x)


def encode_mapping(v: dict[Any, Any], t: type, enc_at: EncodeAt) -> dict[str, Any]:
    """The ``mapping`` tree of ``v``, a library's dict subclass of type ``t``."""
    # (copies, made with no Python code of the class run: dict's own methods)
    items = enc_at("", dict.copy(v))
    state = dict(getattr(v, "__dict__", None) or {})
    if not (_rebuildable(t) and _plain(state)):
        return {TAG: "mapping", "cls": class_path(t), "v": items, "plain": True}
    tree = {TAG: "mapping", "cls": findable_path(t), "v": items}
    if state:
        tree["attrs"] = {name: enc_at(f".{name}", value) for name, value in state.items()}
    return tree


def decode_mapping(tree: dict[str, Any]) -> Any:
    """A stored ``mapping`` (its items and attributes already decoded): its class rebuilt
    without running its code, or a plain dict of its items (``"plain": true``, or a class that
    no longer keeps its state in its items and ``__dict__`` only)."""
    items = tree["v"]
    if type(items) is not dict:
        raise DecodeError(f"the items of a stored {tree.get('cls')!r} are not a dict: {items!r}")
    if tree.get("plain") is True:
        return items
    cls = import_type(tree["cls"])
    if not is_library_mapping(cls):
        raise DecodeError(
            f"{tree['cls']!r} is not a dict subclass of a client library "
            f"({', '.join(sorted(LIBRARY_PACKAGES))}); only those are stored as 'mapping'"
        )
    if not _rebuildable(cls):
        return items
    attrs = tree.get("attrs", {})
    if type(attrs) is not dict:
        raise DecodeError(f"the attributes of a stored {tree['cls']!r} are not a dict: {attrs!r}")
    value: dict[Any, Any] = dict.__new__(cls)
    dict.update(value, items)
    if attrs:
        vars(value).update(attrs)
    return value
