"""A spy for tests that count what a hot path does: which values a function was given."""

from __future__ import annotations

from typing import Any

import pytest


def calls_to(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Replace the one-argument function ``owner.name`` (until the test ends) by one that notes
    each argument in the list returned and calls the original."""
    real = getattr(owner, name)
    seen: list[Any] = []

    def spy(argument: Any) -> Any:
        seen.append(argument)
        return real(argument)

    monkeypatch.setattr(owner, name, spy)
    return seen
