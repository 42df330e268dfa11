"""How a call's arguments are recorded and compared: by parameter name, defaults applied."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


class CallShape:
    """The signature of a traced or patched function, prepared once for fast argument binding.

    ``skip_first``: drop the first parameter (``self``/``cls`` of a method) from the record.
    """

    __slots__ = ("_simple", "names", "signature", "skip_first")

    def __init__(self, fn: Callable[..., Any], *, skip_first: bool = False) -> None:
        try:
            self.signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None
        self.skip_first = skip_first
        params = list(self.signature.parameters.values()) if self.signature else []
        self.names = tuple(p.name for p in params)
        # Fast path: only plain positional-or-keyword parameters without defaults.
        self._simple = bool(params) and all(
            p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in params
        )

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments as ``{name: value}`` (unbindable calls: ``args``/``kwargs``)."""
        if self._simple and not kwargs and len(args) == len(self.names):
            bound = dict(zip(self.names, args, strict=True))
        elif self.signature is None:
            return {"args": list(args), "kwargs": dict(kwargs)}
        else:
            try:
                ba = self.signature.bind(*args, **kwargs)
            except TypeError:
                return {"args": list(args), "kwargs": dict(kwargs)}
            ba.apply_defaults()
            bound = dict(ba.arguments)
        if self.skip_first and self.names:
            bound.pop(self.names[0], None)
        return bound


def is_method_like(fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s first parameter is ``self`` or ``cls``."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("self", "cls")
