"""Tool functions of every kind, used as mock targets by the replay and context tests."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4


class ToolFailed(Exception):
    """A tool error whose type is importable (so a replay re-raises this very type)."""


def fetch(query: str, limit: int = 3) -> dict[str, Any]:
    """The live tool: tests that patch it must never reach this line."""
    raise AssertionError(f"live fetch({query!r}) called during replay")


def second_tool(x: int) -> int:
    raise AssertionError("live second_tool called during replay")


async def afetch(query: str) -> str:
    raise AssertionError("live afetch called during replay")


def stream(prompt: str) -> Iterator[str]:
    raise AssertionError("live stream called during replay")
    yield prompt  # pragma: no cover - makes this a generator function


async def astream(prompt: str) -> AsyncIterator[str]:
    raise AssertionError("live astream called during replay")
    yield prompt  # pragma: no cover - makes this an async generator function


class Client:
    """A client whose methods are patched by class path (``cs_tools.Client.complete``)."""

    def __init__(self, model: str = "m") -> None:
        self.model = model

    def complete(self, prompt: str, *, temperature: float = 0.0) -> str:
        raise AssertionError("live Client.complete called during replay")

    @staticmethod
    def ping(host: str) -> str:
        raise AssertionError("live Client.ping called during replay")

    @classmethod
    def create(cls, model: str) -> str:
        raise AssertionError("live Client.create called during replay")


client = Client()


def snapshot() -> dict[str, Any]:
    """What an agent sees of the non-deterministic world."""
    rng = random.Random()
    return {
        "time": time.time(),
        "time_ns": time.time_ns(),
        "now": dt.datetime.now(dt.timezone.utc),
        "today": dt.date.today(),
        "random": [random.random() for _ in range(3)],
        "randint": random.randint(0, 10**9),
        "instance": [rng.random() for _ in range(2)],
        "uuid4": str(uuid4()),
    }
