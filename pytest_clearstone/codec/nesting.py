"""How deeply a recorded value may nest, and the room the recursive walks get for it.

The encoder, the decoder, the redaction and the ``.ckpt`` reader and writer walk a value
recursively, one to seven Python frames per level of nesting (a dict in a dict, an object in a
list...). Under the interpreter's recursion limit (1000 frames by default) that stopped a few
hundred levels deep, while the standard library's ``json`` reads and writes about 990 levels.

A walk that may go deep runs inside :func:`room`, which raises the recursion limit by a bounded
:data:`ROOM` of frames for as long as it runs (one walk or several, in any threads) and then
gives the limit back. That is safe: from Python 3.11 the interpreter keeps Python frames off the
C stack, and the C-level recursion inside (``json``, ``==`` on nested dicts, generators) stays,
even at the raised limit, well within an 8 MiB thread stack (it crashes beyond about 40,000
levels). Values nested deeper than :data:`MAX_DEPTH` levels are refused with
:class:`~pytest_clearstone.errors.NestingTooDeepError` (:func:`too_deep`), which names the value,
its depth and the fix, before any walk can run out of room.

A walk that runs out of recursion under a trace function written in Python (coverage.py's Python
tracer, ``COVERAGE_CORE=pytrace``; a debugger's) runs out inside it, as the interpreter calls it
one frame deeper than each call, and the interpreter then removes it: each walk gives it back
(:func:`tracing_again`), so what runs after it is measured again, and stops at its breakpoints
(coverage's Python tracer still loses the rest of the functions running at the time: it did not
see the walk's frames return).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import types
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import NestingTooDeepError, describe

T = TypeVar("T")

#: the deepest nesting recorded and replayed: containers and objects inside one another, the
#: recorded value itself counted (documented in ``docs/how-to/record.md``)
MAX_DEPTH = 2000

#: the frames :func:`room` adds to the recursion limit: the deepest walk, the encoder's through
#: a library model, takes up to seven per level
ROOM = 8 * MAX_DEPTH

_lock = threading.Lock()
_inside = 0  # the walks running inside the room, in all threads
_saved: int | None = None  # the limit to give back when the last one ends


class _Room:
    """The context manager :func:`room` returns (one, shared: it holds no state of its own)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _inside, _saved
        with _lock:
            if _saved is None:
                _saved = sys.getrecursionlimit()
                sys.setrecursionlimit(_saved + ROOM)
            _inside += 1

    def __exit__(self, *exc_info: object) -> None:
        global _inside, _saved
        with _lock:
            _inside -= 1
            if _inside or _saved is None:
                return
            try:
                sys.setrecursionlimit(_saved)
            except RecursionError:  # (this thread is deeper than that now: the next exit gives it)
                return
            _saved = None


_ROOM = _Room()


def room() -> _Room:
    """A context in which the recursion limit is raised by :data:`ROOM` frames (nested and
    concurrent uses share one raise, given back when the last ends)."""
    return _ROOM


def tracing_again(trace: Callable[..., Any] | None) -> None:
    """After a walk that may have run out of recursion: make ``trace`` (what ``sys.gettrace()``
    gave before the walk) the thread's trace function again, where the interpreter removed it
    because the ``RecursionError`` was raised inside it."""
    if trace is not None and sys.gettrace() is None:
        sys.settrace(trace)


def walked(
    walk: Callable[[], T], value: Any, what: str, *, reset: Callable[[], None] | None = None
) -> T:
    """``walk()``, a recursive walk of ``value`` (named ``what`` in an error: ``"input of call
    #1 to app.llm"``). Run as it is first; only when it runs out of recursion on a value nested
    deeper than :data:`SHALLOW` levels is it run again (after ``reset()``, which undoes what the
    first attempt did) inside :func:`room`, and a walk that still runs out raises
    :class:`NestingTooDeepError` (:func:`too_deep`). A ``RecursionError`` on a shallow value is
    a recursion of the code the walk ran (an object's own ``__getattr__``), raised as it is:
    the raised limit would let such a recursion overflow the C stack instead."""
    trace = sys.gettrace()
    try:
        try:
            return walk()
        except RecursionError:
            tracing_again(trace)
            if nesting_depth(value) <= SHALLOW:
                raise
        if reset is not None:
            reset()
        try:
            with _ROOM:
                return walk()
        except RecursionError:
            pass  # (the error is raised outside the handler: no 10,000-frame chained traceback)
        raise too_deep(what, value)
    finally:
        tracing_again(trace)  # (also after a RecursionError the walked code caught itself)


def retried(run: Callable[[], T]) -> T:
    """``run()``, which walks values that may nest deep and changes nothing it would have to
    undo (reading a golden, comparing two values); run again inside :func:`room` when it runs
    out of recursion. Outside the room unless needed: while it is in place the whole process
    recurses with the raised limit."""
    trace = sys.gettrace()
    try:
        try:
            return run()
        except RecursionError:
            tracing_again(trace)
        with _ROOM:
            return run()
    finally:
        # (also after a RecursionError the code caught itself: ``==`` on deep values, compared
        # again by walking them)
        tracing_again(trace)


#: the nesting below which no walk runs out of recursion under the default limit (~7 frames a
#: level): a RecursionError there is not the value's depth
SHALLOW = 120


def too_deep(path: str, value: Any, *, at_least: int = 0) -> NestingTooDeepError:
    """The error for ``value`` (at ``path``), nested deeper than :data:`MAX_DEPTH` levels: its
    depth measured (:func:`nesting_depth`), or ``at_least`` when a walk counted more."""
    depth = max(nesting_depth(value), at_least, MAX_DEPTH + 1)
    return NestingTooDeepError(path, describe(value), depth, MAX_DEPTH)


def short_path(root: str, parts: list[str], keep: int = 4) -> str:
    """``root`` and the path ``parts`` after it, the middle of a long path left out:
    ``state['plan']['k']['k']['k']…['leaf']``."""
    if len(parts) <= 2 * keep:
        return root + "".join(parts)
    return root + "".join(parts[:keep]) + f"…({len(parts) - keep - 1} more)…" + parts[-1]


#: values a depth is not measured into: text, numbers, classes, modules, functions
_LEAVES = (
    str,
    bytes,
    bytearray,
    int,
    float,
    complex,
    type,
    types.ModuleType,
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
)


def nesting_depth(value: Any) -> int:
    """How many containers and objects ``value`` holds inside one another, itself counted: 0
    for a scalar, 1 for a flat list, 3 for ``{"a": [{"b": 1}]}``. Measured level by level (no
    recursion), each value once; only a failing walk asks (it costs a walk of the value)."""
    depth = 0
    level = [value]
    seen: set[int] = set()
    while level:
        below: list[Any] = []
        found = False
        for v in level:
            items = _inside_of(v)
            if items is None:
                continue
            found = True
            if id(v) not in seen:
                seen.add(id(v))
                below.extend(items)
        if not found:
            break
        depth += 1
        level = below
    return depth


def _inside_of(v: Any) -> list[Any] | None:
    """The values ``v`` holds, or ``None`` when it is not a container nor an object."""
    if v is None or isinstance(v, _LEAVES):
        return None
    try:
        if isinstance(v, dict):
            return [*v.keys(), *v.values()]
        if isinstance(v, (list, tuple, set, frozenset, deque)):
            return list(v)
        if dataclasses.is_dataclass(v):
            return [getattr(v, f.name, None) for f in dataclasses.fields(v)]
        attributes = getattr(v, "__dict__", None)
        if type(attributes) is dict:
            return list(attributes.values())
    except Exception:  # (a value that will not say: a leaf)
        return None
    return None
