"""Whether two states are equal, decided the way a state delta decides it first, without
importing the delta: a passing replay compares its result and final state with the recorded
ones and renders no difference (:mod:`pytest_clearstone.diff` is imported only when they
differ)."""

from __future__ import annotations

from typing import Any


def same_state(a: Any, b: Any) -> bool:
    """``a == b`` and ``a`` and ``b`` of the same type; ``False`` when ``==`` raises or is
    ambiguous (arrays): only a delta tells then."""
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False
