"""Answers the agent keeps between tests: a module-level cache or memo of a mock target's
answers, filled by the test that ran first. Recorded together, the first test's golden holds the
call and the next test's does not; replayed alone (``-k``, ``--lf``, xdist, pytest-randomly),
the next test makes the call and diverges though nothing changed. :func:`recorded_by_another`
finds the call in another golden of the test's folder and says so, read only when a replay
fails: the other goldens are read as JSON text (no tag decoded, no code run), a bounded number
of files and bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import codec
from .checkpoint import recorded_test
from .files import read_file

#: the fix for a cache of a mock target's answers kept between tests, and the docs' page on it
KEEP_FIX = (
    "Give every test its own: clear the cache before each test (an autouse fixture calling its "
    'cache_clear()), or build it in the test (the docs\' "Determinism and its limits" page: a '
    "cache the first test fills)"
)

#: the most goldens beside the test's that are read, and the largest read (bytes)
_MOST_FILES = 64
_LARGEST = 1 << 20


def recorded_by_another(
    checkpoint: str | Path | None,
    node_id: str,
    target: str,
    arguments: Any,
) -> str:
    """Why the call to ``target`` with ``arguments`` (as the agent passed them) differs from
    the golden ``checkpoint`` of the test ``node_id`` where another golden of its folder holds
    a recorded call to ``target`` with those arguments: that test's recording made the call,
    and the agent may keep what it answered between tests; ``""`` where none does. (Not asked
    of a recorded call the replay left out: another test recording the same call is common, a
    parametrized test's, and only a test that ran before this one could have filled a cache.)"""
    if not checkpoint:
        return ""
    try:
        wanted = _without_self(codec.encode(arguments))
    except Exception:  # (a value the codec cannot store: nothing to look for)
        return ""
    part: tuple[str, str, str] | None = None  # (a batch holding another test's call's items)
    for path in _others(Path(checkpoint)):
        test, key = _recorder_of(path, target, wanted)
        if not test or test == node_id:
            continue
        if key is None:
            return _told(test, target, path.name)
        part = part or (test, key, path.name)
    if part is None:
        return ""
    test, key, name = part
    return _told(test, target, name, key=key)


def _told(test: str, target: str, golden: str, *, key: str | None = None) -> str:
    """The hint of :func:`recorded_by_another`: the call to ``target`` (or, ``key``, the items
    of that list argument of it) recorded by ``test`` in its ``golden``."""
    if key is not None:
        what = f"The items of {key!r} that {target} was called with by {test} (in its golden "
        what += f"{golden}) are among this call's"
        then = (
            "this test's recording, made after that test, left them out of its call, and it "
            "replays only when it runs after it (not alone: -k, --lf, -n, pytest-randomly)"
        )
    else:
        what = f"These arguments were recorded for {target} by {test} (in its golden {golden})"
        then = (
            "the call is in that test's golden only, and this test replays only when it runs "
            "after it (not alone: -k, --lf, -n, pytest-randomly)"
        )
    return (
        f"{what}: does the agent keep what the call answered between tests (a module-level "
        "cache or memo, a functools.cache, a client or index built on first use)? Then "
        f"{then}. {KEEP_FIX}."
    )


def _others(own: Path) -> list[Path]:
    """The goldens of ``own``'s folder but ``own``, the first :data:`_MOST_FILES` by name."""
    try:
        found = sorted(p for p in own.parent.glob("*.ckpt") if p.name != own.name)
    except OSError:
        return []
    return found[:_MOST_FILES]


def _recorder_of(path: Path, target: str, wanted: Any) -> tuple[str, str | None]:
    """The test that recorded the golden ``path`` where it holds a call to ``target`` with the
    encoded arguments ``wanted`` (``(test, None)``), or one that differs only in a
    list argument whose recorded items are all among ``wanted``'s (``(test, its name)``: a batch
    that asks for what the cache held when recorded); ``("", None)`` otherwise (also for a file
    too large or unreadable)."""
    try:
        if path.stat().st_size > _LARGEST:
            return "", None
        doc = json.loads(read_file(path))
    except (OSError, ValueError, RecursionError):
        return "", None
    trace = doc.get("trace") if isinstance(doc, dict) else None
    spans = trace.get("spans") if isinstance(trace, dict) else None
    found: tuple[str, str | None] = ("", None)
    for span in spans if isinstance(spans, list) else ():
        if not isinstance(span, dict) or not isinstance(span.get("input"), dict):
            continue
        attributes = span.get("attributes")
        named = attributes.get("clearstone.target") if isinstance(attributes, dict) else None
        if (named or span.get("name")) != target or "v" not in span["input"]:
            continue
        recorded = _without_self(span["input"]["v"])
        try:
            if codec.same_tree(wanted, recorded):
                return recorded_test(doc), None
            key = _batch_part(wanted, recorded) if not found[0] else None
        except Exception:  # (a tree the comparison cannot read: not this one)
            continue
        if key is not None:
            found = (recorded_test(doc), key)
    return found


def _batch_part(wanted: Any, recorded: Any) -> str | None:
    """The name of the one argument in which the encoded ``wanted`` and ``recorded`` differ,
    where both are lists and ``recorded``'s items are all among ``wanted``'s, fewer; else
    ``None``."""
    if type(wanted) is not dict or type(recorded) is not dict or wanted.keys() != recorded.keys():
        return None
    differing = [k for k in wanted if wanted[k] != recorded[k]]
    if len(differing) != 1:
        return None
    key = differing[0]
    now, then = wanted[key], recorded[key]
    if type(now) is not list or type(then) is not list or not then or len(then) >= len(now):
        return None
    return key if all(item in now for item in then) else None


def _without_self(arguments: Any) -> Any:
    """The encoded ``arguments`` without a method's ``self`` (its client, its settings: the
    call's arguments are what tell it)."""
    if isinstance(arguments, dict) and "self" in arguments:
        return {k: v for k, v in arguments.items() if k != "self"}
    return arguments
