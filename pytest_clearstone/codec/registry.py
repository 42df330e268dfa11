"""Teaching the codec a type: :func:`register` (library level) and :func:`use_hooks` (the
pytest plugin's ``pytest_clearstone_encode``/``pytest_clearstone_decode`` hooks).

A registered type is stored as ``{"__cs__": "custom", "type": "module:QualName", "v": tree}``
where ``tree`` is what its ``encode`` returned, itself encoded (so it may hold dates, models,
other registered values). Decoding calls the registered ``decode`` with the decoded ``tree``;
for a type nobody registered, the installed hooks are asked in turn.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib
import sys
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..errors import DecodeError
from .naming import class_path, dotted_path, loaded_path, path_now

EncodeFn = Callable[[Any], Any]
DecodeFn = Callable[[Any], Any]
HookEncodeFn = Callable[[Any], Any]
HookDecodeFn = Callable[[str, Any], Any]

# types the encoder handles before it looks at registrations: registering them has no effect
_BUILTIN = frozenset(
    {
        str, int, float, bool, type(None), list, dict, tuple, set, frozenset, bytes, bytearray,
        complex, Decimal, uuid.UUID, _dt.datetime, _dt.date, _dt.time, _dt.timedelta,
    }
)  # fmt: skip


class Registry:
    """The registrations and installed hooks; one per process (:data:`REGISTRY`).

    ``active`` is read on the encoder's path for every non-JSON value, so it is a plain
    attribute, true while anything is registered or installed.
    """

    def __init__(self) -> None:
        self.active = False
        self._lock = threading.Lock()
        self._by_type: dict[type, tuple[EncodeFn, DecodeFn]] = {}
        self._by_path: dict[str, tuple[EncodeFn, DecodeFn]] = {}  # dotted path -> functions
        self._pending: dict[str, tuple[EncodeFn, DecodeFn]] = {}  # paths not resolved yet
        self._hooks: list[tuple[HookEncodeFn, HookDecodeFn]] = []

    def _update_active(self) -> None:
        self.active = bool(self._by_type or self._pending or self._hooks)

    def register(self, type_or_path: type | str, encode: EncodeFn, decode: DecodeFn) -> None:
        """See :func:`register`."""
        if not callable(encode) or not callable(decode):
            raise TypeError(
                f"register({type_or_path!r}, encode, decode) needs two functions: encode(value) "
                f"returning a JSON-able tree and decode(tree) returning the value; got "
                f"{type(encode).__name__} and {type(decode).__name__}"
            )
        pair = (encode, decode)
        # (the paths registered before whose class is loaded become its registrations first,
        # and this path at once when its class is: the registration made last is the one kept)
        self._resolve_pending(import_modules=False)
        with self._lock:
            if isinstance(type_or_path, type):
                if type_or_path in _BUILTIN:
                    raise TypeError(
                        f"cannot register {type_or_path.__name__!r}: the codec stores it "
                        f"itself, before it looks at registrations. Register your own type "
                        f"(a subclass or a wrapper) instead"
                    )
                self._by_type[type_or_path] = pair
                self._by_path[dotted_path(class_path(type_or_path))] = pair
            elif isinstance(type_or_path, str) and _valid_path(type_or_path):
                self._pending[type_or_path] = pair
                self._by_path[dotted_path(type_or_path)] = pair
            else:
                raise TypeError(
                    f"register() takes a class or its path ('module:QualName' or "
                    f"'module.QualName'), not {type_or_path!r}"
                )
            self._update_active()
        self._resolve_pending(import_modules=False)

    def unregister(self, type_or_path: type | str) -> None:
        """See :func:`unregister`."""
        with self._lock:
            if isinstance(type_or_path, type):
                pair = self._by_type.get(type_or_path)
            else:
                key = str(type_or_path)
                pair = self._pending.get(key) or self._by_path.get(dotted_path(key))
            if pair is None:
                raise KeyError(f"{type_or_path!r} is not registered with the codec")
            # also the class a path was resolved to, and the path of a registered class
            for cls in [k for k, p in self._by_type.items() if p is pair]:
                del self._by_type[cls]
            for table in (self._by_path, self._pending):
                for path in [k for k, p in table.items() if p is pair]:
                    del table[path]
            self._update_active()

    def use_hooks(self, encode: HookEncodeFn, decode: HookDecodeFn) -> Callable[[], None]:
        """See :func:`use_hooks`."""
        if not callable(encode) or not callable(decode):
            raise TypeError(
                "use_hooks(encode, decode) needs two functions: encode(value) and "
                "decode(type_path, data), each returning None when it does not handle the value"
            )
        pair = (encode, decode)
        with self._lock:
            self._hooks.append(pair)
            self._update_active()

        def undo() -> None:
            with self._lock:
                if pair in self._hooks:
                    self._hooks.remove(pair)
                self._update_active()

        return undo

    def _resolve_pending(self, *, import_modules: bool) -> None:
        """Turn path registrations into type registrations where the class can be found:
        in modules already imported (encoding) or by importing them (decoding)."""
        for path, pair in list(self._pending.items()):
            cls = _find_class(path, import_modules=import_modules)
            if cls is not None:
                with self._lock:
                    if self._pending.get(path) is not pair:
                        # (registered again, or resolved, while its module was imported — by
                        # the module registering its class itself: that registration is later)
                        continue
                    del self._pending[path]
                    self._by_type[cls] = pair
                    self._by_path[dotted_path(class_path(cls))] = pair

    def encoder_for(self, t: type) -> EncodeFn | None:
        """The registered encoder of exactly ``t``, or ``None``."""
        pair = self._by_type.get(t)
        if pair is None and self._pending:
            pair = self._by_path.get(f"{t.__module__}.{t.__qualname__}")
            if pair is None:
                self._resolve_pending(import_modules=False)
                pair = self._by_type.get(t)
        return None if pair is None else pair[0]

    def _hook_decode(self, path: str, type_path: str, data: Any) -> Any:
        """The first non-``None`` answer of the installed decode hooks (latest first) asked
        for a value of class ``path`` (the stored ``type_path``, or another path to its class)."""
        for _, hook_decode in reversed(self._hooks):
            hook = functools.partial(hook_decode, path)
            result = _call(hook, type_path, data, f"the decode hook {_name(hook_decode)}")
            if result is not None:
                return result
        return None

    def hook_encode(self, value: Any) -> Any:
        """The first non-``None`` answer of the installed encode hooks (latest first)."""
        for encode, _ in reversed(self._hooks):
            result = encode(value)
            if result is not None:
                return result
        return None

    def decode(self, type_path: str, data: Any) -> Any:
        """Decode a ``custom`` value: the registered decoder of ``type_path``, else the
        installed decode hooks; :class:`DecodeError` when nobody decodes it."""
        if not isinstance(type_path, str):
            raise DecodeError(f"bad 'custom' value: type {type_path!r} is not a class path")
        dotted = dotted_path(type_path)
        pair = self._by_path.get(dotted)
        if pair is None and self._pending:
            self._resolve_pending(import_modules=True)
            pair = self._by_path.get(dotted)
        if pair is None and path_now(type_path) is not type_path:
            # (a golden naming the class by the private module it is written in: its class's)
            named = loaded_path(type_path)
            pair = self._by_type.get(named) if isinstance(named, type) else None
        if pair is not None:
            return _call(pair[1], type_path, data, _name(pair[1]))
        result = self._hook_decode(type_path, type_path, data)
        if result is not None:
            return result
        # a hook written for another path of the class (its defining module's, which goldens
        # stored before they named it by a public module) is asked with that path too
        named = loaded_path(type_path)
        if isinstance(named, type):
            for other in dict.fromkeys(
                (class_path(named), f"{named.__module__}:{named.__qualname__}")
            ):
                result = None if other == type_path else self._hook_decode(other, type_path, data)
                if result is not None:
                    return result
        raise DecodeError(
            f"no decoder for the stored {type_path!r} value: register one with "
            f"pytest_clearstone.codec.register({type_path!r}, encode, decode), or implement "
            f"the pytest_clearstone_decode hook in a conftest.py"
        )


def _name(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))


def _call(decode: Callable[[Any], Any], type_path: str, data: Any, name: str) -> Any:
    try:
        return decode(data)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(
            f"the decoder of {type_path!r} ({name}) failed: {type(exc).__name__}: {exc}"
        ) from exc


def _valid_path(path: str) -> bool:
    module, colon, qualname = path.partition(":")
    if colon:
        return bool(module) and bool(qualname) and ":" not in qualname
    return "." in path and all(part.isidentifier() for part in path.split("."))


def _find_class(path: str, *, import_modules: bool) -> type | None:
    if ":" in path:
        module_path, _, qualname = path.partition(":")
        splits = [(module_path, qualname)]
    else:
        parts = path.split(".")
        splits = [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]
    for module_name, qualname in splits:
        module: Any = sys.modules.get(module_name)
        if module is None and import_modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        if module is None:
            continue
        obj: Any = module
        try:
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        if isinstance(obj, type):
            return obj
    return None


REGISTRY = Registry()
"""The process-wide registry the encoder and decoder consult."""


def register(type_or_path: type | str, encode: EncodeFn, decode: DecodeFn) -> None:
    """Teach the codec a type.

    :param type_or_path: The class, or its path as ``"module:QualName"`` or
        ``"module.QualName"`` (a path lets you register a class without importing its library;
        a re-exported name such as ``"openai.types.chat.ChatCompletion"`` works too).
    :param encode: ``encode(value) -> tree``: a JSON-able tree (dicts, lists, strings,
        numbers, ``None``), or any value the codec can encode, which is then encoded itself.
    :param decode: ``decode(tree) -> value``: receives that tree with its nested values
        decoded, returns the value.

    Registered types win over the codec's own detection (dataclasses, enums, pydantic,
    attrs, ...), for exactly the registered class (not its subclasses). Registering a type again
    replaces its functions. The built-in types the codec stores itself (``str``, ``tuple``,
    ``datetime``, ...) cannot be registered (``TypeError``).
    """
    REGISTRY.register(type_or_path, encode, decode)


def unregister(type_or_path: type | str) -> None:
    """Undo :func:`register` for this class or path (``KeyError`` when it is not registered)."""
    REGISTRY.unregister(type_or_path)


def use_hooks(encode: HookEncodeFn, decode: HookDecodeFn) -> Callable[[], None]:
    """Install a session-wide fallback pair, asked after the registered types and before the
    codec's own detection; returns the function that uninstalls it.

    :param encode: ``encode(value)``: a tree for the value (encoded like a registered
        encoder's), or ``None`` to leave the value to the codec. The pytest plugin passes
        its ``pytest_clearstone_encode`` hook.
    :param decode: ``decode(type_path, data)``: the value for a stored ``custom`` value of
        class ``type_path`` (``"module:QualName"``) that no registered decoder handles, or
        ``None`` when it does not know the type. The plugin passes ``pytest_clearstone_decode``.

    Pairs installed later are asked first. ``encode`` is called for every value that is not a
    plain JSON or built-in type, so it should return quickly for types it does not handle.
    """
    return REGISTRY.use_hooks(encode, decode)
