"""Deterministic ids: the id generators agents and their libraries call, seeded while a test
records or replays, so run ids repeat and a golden state compares equal.

Each patch point is a pure-Python function that callers import by name (``from uuid import
uuid4``, pydantic-ai's ``from ._uuid import uuid7``), so the function object itself is changed:
its code is swapped for a shim that calls the seeded generator, and put back on exit.

=====================================  =====  =====================================
patch point                            kind   used by
=====================================  =====  =====================================
``uuid.uuid4``                         v4     everyone
``uuid.uuid1``                         v1     time-based ids
``uuid.uuid7`` (Python 3.14)           v7     time-ordered ids
``pydantic_ai._uuid.uuid7``            v7     pydantic-ai run and conversation ids
``langchain_core.utils.uuid.uuid7``    v7     LangChain run ids (callbacks, tracers)
``langgraph.checkpoint.base.id.uuid6`` v6     LangGraph checkpoint and task ids
=====================================  =====  =====================================

A library that is not imported when the test starts is left alone (importing it here would
cost every test its import time); the agent's modules normally import it first.
"""

from __future__ import annotations

import os
import random
import sys
import uuid
from collections.abc import Callable
from types import CodeType

from .targets import PatchStack

#: ``(module, function, UUID version, seed salt)``; uuid4's salt is the one goldens recorded
#: before this table existed were made with, so their ids stay the same
PATCH_POINTS: tuple[tuple[str, str, int, int], ...] = (
    ("uuid", "uuid4", 4, 0x0001D),
    ("uuid", "uuid1", 1, 0x0001E),
    ("uuid", "uuid7", 7, 0x0001F),
    ("pydantic_ai._uuid", "uuid7", 7, 0x00020),
    ("langchain_core.utils.uuid", "uuid7", 7, 0x00021),
    # its own clock sequence is a module global carried from run to run: seeded, it repeats
    ("langgraph.checkpoint.base.id", "uuid6", 6, 0x00022),
)

_VERSION_MASK = ~(0xF000 << 64) & ((1 << 128) - 1)
_VARIANT_MASK = ~(0xC000 << 48) & ((1 << 128) - 1)


def with_version(bits: int, version: int) -> uuid.UUID:
    """A UUID of ``version`` (RFC 9562 variant) from 128 random ``bits``."""
    value = (bits & _VERSION_MASK & _VARIANT_MASK) | (version << 76) | (0x8000 << 48)
    return uuid.UUID(int=value)


def _shim(*args: object, **kwargs: object) -> uuid.UUID:
    # its code replaces a generator's (whatever its parameters); the global is set per point
    return _clearstone_id()  # type: ignore[name-defined,no-any-return]  # noqa: F821


_shims: dict[str, CodeType] = {}  # per global name: the shim's code, made once


def patch_id_generators(stack: PatchStack, seed: int, live: Callable[[], bool]) -> None:
    """Make every imported patch point return ids from streams seeded by ``seed`` until
    ``stack`` is undone; while ``live()`` (a live call runs), real random ids."""
    for module_name, name, version, salt in PATCH_POINTS:
        module = sys.modules.get(module_name)
        function = getattr(module, name, None) if module is not None else None
        code = getattr(function, "__code__", None)
        if code is None or code.co_freevars:
            continue  # not imported, or not a plain Python function
        global_name = f"_clearstone_{name}"
        shim = _shims.get(global_name)
        if shim is None:
            shim = _shims[global_name] = _shim.__code__.replace(co_names=(global_name,))
        stack.setattr(module, global_name, _generator(seed ^ salt, version, live))
        stack.setattr(function, "__code__", shim)


def _generator(seed: int, version: int, live: Callable[[], bool]) -> Callable[[], uuid.UUID]:
    stream: list[random.Random] = []  # created on first use (~5 us each)

    def next_id() -> uuid.UUID:
        if live():
            return with_version(int.from_bytes(os.urandom(16), "big"), version)
        if not stream:
            stream.append(random.Random(seed))
        return with_version(stream[0].getrandbits(128), version)

    return next_id
