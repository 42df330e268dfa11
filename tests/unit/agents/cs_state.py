"""Importable value types stored in agent states by the checkpoint tests."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Mood(enum.Enum):
    CALM = "calm"
    BUSY = 2


@dataclass
class Message:
    role: str
    content: str
    tags: list[str] = field(default_factory=list)


class Receipt:
    """A plain class: neither JSON nor a codec tag, so it is stored as a dill pickle."""

    def __init__(self, amount: int, items: list[str]) -> None:
        self.amount = amount
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Receipt) and (self.amount, self.items) == (
            other.amount,
            other.items,
        )

    def __hash__(self) -> int:
        return hash(self.amount)


class Handle:
    """No ``__eq__``: two instances are equal only by their encoding (a dill pickle)."""

    def __init__(self, number: int) -> None:
        self.number = number


class StateAgent:
    """An agent without get_state(): its ``__dict__`` is the state."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


class ExplicitAgent:
    """An agent with get_state()/load_state() that keeps a client out of its state."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.client = object()

    def get_state(self) -> Any:
        return {"data": self.data}

    def load_state(self, state: Any) -> None:
        self.data = state["data"]
