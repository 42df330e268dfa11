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

The OpenAI Agents SDK's trace, span and group ids (``DefaultTraceProvider.gen_trace_id`` and
its siblings in ``agents.tracing.provider``: ``trace_`` and 32 hex digits, ...) are drawn from
streams of their own (:data:`TRACING_POINTS`), not from ``uuid4``'s: with its tracing on or off
(``OPENAI_AGENTS_DISABLE_TRACING``) the agent's own ``uuid4`` ids (the run's
``prompt_cache_key``) are the same, so a golden recorded with tracing on replays with it off.

A library that is not imported when the test starts is left alone (importing it here would
cost every test its import time); the agent's modules normally import it first.

The time-based versions (1, 6, 7) keep what callers rely on them for: their time is the clock's
(the frozen one in a test) and each id of a generator is later than the one before, so ids made
in one test sort in the order they were made (LangGraph resumes a thread from the checkpoint of
the greatest uuid6). Their other bits come from the seeded stream; an argument (a node, a clock
sequence, a time in nanoseconds) is not used.

Each branch of execution that runs in a thread of its own (:mod:`pytest_clearstone.golden.threads`:
a thread-pool job and the done callbacks of its future, a thread, and the tasks they start) draws
from streams of its own, seeded from the run's seed and the branch's key, and counts the time of
its time-based ids on a clock of its own (it starts from its parent's and is handed back when the
branch ends, seen by the jobs handed out after it once the parent's flow has taken its result:
:meth:`~.threads.Branch.observe`): concurrent threads get the same ids on every run, whichever
runs first. The test's
main flow and its asyncio tasks (one event loop runs them, in an order of their code's), and code
outside any branch, keep the streams of earlier versions, so their goldens keep their ids.
"""

from __future__ import annotations

import functools
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from types import CodeType
from typing import cast

from .targets import PatchStack
from .threads import Branch, running_branch

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

#: ``(module, class, method, prefix, hex digits, seed salt)``: the tracing ids of the OpenAI
#: Agents SDK, drawn from streams of their own (see the module's docstring)
TRACING_POINTS: tuple[tuple[str, str, str, str, int, int], ...] = (
    ("agents.tracing.provider", "DefaultTraceProvider", "gen_trace_id", "trace_", 32, 0x00023),
    ("agents.tracing.provider", "DefaultTraceProvider", "gen_span_id", "span_", 24, 0x00024),
    ("agents.tracing.provider", "DefaultTraceProvider", "gen_group_id", "group_", 24, 0x00025),
)

_VERSION_MASK = ~(0xF000 << 64) & ((1 << 128) - 1)
_VARIANT_MASK = ~(0xC000 << 48) & ((1 << 128) - 1)


#: 100-ns intervals from the UUID epoch (1582-10-15) to the Unix epoch: versions 1 and 6 count
#: time from the first
_GREGORIAN_OFFSET = 0x01B21DD213814000
_RANDOM_62 = (1 << 62) - 1


def with_version(bits: int, version: int) -> uuid.UUID:
    """A UUID of ``version`` (RFC 9562 variant) from 128 random ``bits``."""
    value = (bits & _VERSION_MASK & _VARIANT_MASK) | (version << 76) | (0x8000 << 48)
    return uuid.UUID(int=value)


def clock_ticks(nanoseconds: int, version: int) -> int:
    """The 60-bit time field of a time-based UUID of ``version`` for a Unix time in
    ``nanoseconds``: 100-ns intervals since 1582 (versions 1 and 6), or milliseconds in its top
    48 bits and 12 bits more for ids made within one millisecond (version 7)."""
    if version == 7:
        return (nanoseconds // 1_000_000) << 12
    return nanoseconds // 100 + _GREGORIAN_OFFSET


def with_time(ticks: int, version: int, bits: int) -> uuid.UUID:
    """A time-based UUID of ``version`` (1, 6 or 7; RFC 9562 variant) whose 60-bit time field is
    ``ticks`` (:func:`clock_ticks`), its other 62 bits the low bits of ``bits``. Versions 6 and 7
    keep the time's bits in order from the first (ids sort by time); version 1 starts with its
    low 32."""
    if version == 1:
        high = (ticks & 0xFFFFFFFF) << 16 | (ticks >> 32) & 0xFFFF
        low = (ticks >> 48) & 0x0FFF
    else:
        high, low = ticks >> 12, ticks & 0x0FFF
    value = high << 80 | version << 76 | low << 64 | 0x8000 << 48 | bits & _RANDOM_62
    return uuid.UUID(int=value)


def _shim(*args: object, **kwargs: object) -> uuid.UUID:
    # its code replaces a generator's (whatever its parameters); the global is set per point
    return _clearstone_id()  # type: ignore[name-defined,no-any-return]  # noqa: F821


_shims: dict[str, CodeType] = {}  # per global name: the shim's code, made once
#: :data:`PATCH_POINTS`, each with the name of the module global its shim calls
_POINTS = tuple((*point, f"_clearstone_{point[1]}") for point in PATCH_POINTS)


def _patch(
    stack: PatchStack, module: object, function: object, global_name: str, made: object
) -> None:
    """Make ``function`` (a plain Python function of ``module``) return what ``made()`` returns
    until ``stack`` is undone; left alone when it is not such a function."""
    code = getattr(function, "__code__", None)
    if code is None or code.co_freevars:
        return
    shim = _shims.get(global_name)
    if shim is None:
        shim = _shims[global_name] = _shim.__code__.replace(co_names=(global_name,))
    stack.setattr(module, global_name, made)
    stack.setattr(function, "__code__", shim)


def patch_id_generators(
    stack: PatchStack,
    seed: int,
    live: Callable[[], bool],
    now_ns: Callable[[], int] = time.time_ns,
    traced: Callable[[], None] | None = None,
) -> None:
    """Make every imported patch point return ids from streams seeded by ``seed`` until
    ``stack`` is undone; where ``live()`` (a live call runs in the current flow of code), real
    random ids. ``now_ns``: the time of a seeded time-based id (the agent's clock).
    ``traced``: called each time the OpenAI Agents SDK's tracing makes a trace's id (it is on,
    and its processors will be handed the trace)."""
    for module_name, name, version, salt, global_name in _POINTS:
        module = sys.modules.get(module_name)
        # (looked up in the module's dict: a missing name, uuid7 before Python 3.14, would
        # make and drop an AttributeError for every test)
        function = module.__dict__.get(name) if module is not None else None
        if function is not None:  # (else not imported)
            _patch(
                stack, module, function, global_name, _generator(seed ^ salt, version, live, now_ns)
            )
    for module_name, class_name, name, prefix, digits, salt in TRACING_POINTS:
        module = sys.modules.get(module_name)
        owner = module.__dict__.get(class_name) if module is not None else None
        function = getattr(owner, "__dict__", {}).get(name)
        if function is not None:
            ids = _generator(seed ^ salt, 4, live, now_ns)
            made = functools.partial(_prefixed, prefix, digits, ids)
            if traced is not None and name == "gen_trace_id":
                made = functools.partial(_noted, traced, made)
            _patch(stack, module, function, f"_clearstone_{name}", made)


def _prefixed(prefix: str, digits: int, ids: Callable[[], uuid.UUID]) -> str:
    return f"{prefix}{ids().hex[:digits]}"


def _noted(note: Callable[[], None], made: Callable[[], str]) -> str:
    note()
    return made()


def _generator(
    seed: int, version: int, live: Callable[[], bool], now_ns: Callable[[], int]
) -> Callable[[], uuid.UUID]:
    stream: list[random.Random] = []  # the main flow's, created on first use (~5 us each)
    clock = object()  # the key of this generator's clock and streams in a branch

    def seeded_bits(branch: Branch | None, n: int) -> int:
        if branch is None or not branch.threaded:  # the main flow and its tasks (or none)
            if not stream:
                stream.append(random.Random(seed))
            return stream[0].getrandbits(n)
        return branch_stream(branch, clock, seed).getrandbits(n)

    if version == 4:

        def next_id() -> uuid.UUID:
            if live():
                return with_version(int.from_bytes(os.urandom(16), "big"), version)
            return with_version(seeded_bits(running_branch(), 128), version)

        return next_id
    last = [-1]  # the time field of the last seeded id of the main flow and its tasks

    def next_time_based_id() -> uuid.UUID:
        if live():  # the real clock (a live call runs outside the frozen one); no seeded state
            real = clock_ticks(time.time_ns(), version)
            return with_time(real, version, int.from_bytes(os.urandom(8), "big"))
        ticks = clock_ticks(now_ns(), version)
        branch = running_branch()
        if branch is None:
            last[0] = ticks = max(ticks, last[0] + 1)
        elif not branch.threaded:  # the main flow and its tasks: one clock, in their order
            last[0] = ticks = branch.tick(clock, max(ticks, last[0] + 1))
        else:
            ticks = branch.tick(clock, ticks)
        return with_time(ticks, version, seeded_bits(branch, 62))

    return next_time_based_id


def branch_stream(branch: Branch, owner: object, seed: int) -> random.Random:
    """``owner``'s seeded stream in ``branch`` (a branch in a thread of its own), made on first
    use from ``seed`` and the branch's key (the same on every run); only the branch's own code
    draws from it."""
    stream = branch.streams.get(owner)
    if stream is None:  # (a str seed is hashed by SHA-512: stable)
        stream = branch.streams[owner] = random.Random(f"{seed}/{branch.key}")
    return cast(random.Random, stream)
