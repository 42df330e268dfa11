"""How a call's arguments are recorded and compared: by parameter name, defaults applied.

Recording, replaying and the tracer's ``traced`` bind a call with the same :class:`Binder`, so a
recorded call and its replay always name their arguments the same way.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any


class Binder:
    """The signature of a traced or patched function, prepared once for fast argument binding.

    ``skip_first``: drop the first parameter (``self``/``cls`` of a method) from the record.
    """

    __slots__ = ("defaults", "names", "plain_names", "signature", "skip_first")

    def __init__(self, fn: Callable[..., Any], *, skip_first: bool = False) -> None:
        try:
            self.signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None
        self.skip_first = skip_first
        params = list(self.signature.parameters.values()) if self.signature else []
        self.names = tuple(p.name for p in params)
        plain = bool(params) and all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
        # the fast path below handles plain parameters only (no *args, **kwargs, keyword-only)
        self.plain_names: tuple[str, ...] | None = self.names if plain else None
        self.defaults = {p.name: p.default for p in params if p.default is not p.empty}

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments as ``{name: value}``, defaults applied, in parameter order
        (a call that does not bind: ``{"args": [...], "kwargs": {...}}``)."""
        names = self.plain_names
        if names is None or len(args) > len(names):
            return self._bind_slowly(args, kwargs)
        bound = dict(zip(names, args, strict=False))  # shorter args: the rest below
        used = 0
        for name in names[len(args) :]:
            if name in kwargs:
                bound[name] = kwargs[name]
                used += 1
            elif name in self.defaults:
                bound[name] = self.defaults[name]
            else:  # a missing argument: the slow path records the call as given
                return self._bind_slowly(args, kwargs)
        if used != len(kwargs):  # unknown or repeated keyword arguments
            return self._bind_slowly(args, kwargs)
        if self.skip_first:
            del bound[names[0]]
        return bound

    def _bind_slowly(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.signature is None:
            return {"args": list(args), "kwargs": dict(kwargs)}
        try:
            ba = self.signature.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": dict(kwargs)}
        ba.apply_defaults()
        bound = dict(ba.arguments)
        if self.skip_first and self.names:
            bound.pop(self.names[0], None)
        return bound


_binders: weakref.WeakKeyDictionary[Any, dict[bool, Binder]] = weakref.WeakKeyDictionary()


def binder(fn: Callable[..., Any], *, skip_first: bool) -> Binder:
    """The :class:`Binder` of ``fn``, cached (inspecting a signature costs more than a replay)."""
    try:
        per_fn = _binders.setdefault(fn, {})
    except TypeError:  # not weakly referenceable: no caching
        return Binder(fn, skip_first=skip_first)
    found = per_fn.get(skip_first)
    if found is None:
        found = per_fn[skip_first] = Binder(fn, skip_first=skip_first)
    return found


def is_method_like(fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s first parameter is ``self`` or ``cls``."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("self", "cls")
