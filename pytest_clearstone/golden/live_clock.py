"""The recorded calls of sync targets that ran live beside calls of other branches of execution.

A sync target's live call puts the whole process on the real clock while it runs
(:meth:`~.context.DeterministicExecutionContext.suspended`: time-machine's clock is the
process's), so agent code in another thread that read the clock then — a thread-pool job, a
LangGraph node or ``@task`` stamping its result with ``datetime.now()`` after its own model call
while another job's call was still live — got a real time when recorded, where its replay reads
the frozen one. A replay failing on clock readings only names these calls (worked out from the
golden's spans when it fails, never on a passing replay).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..tracing.span import Span
from .mocks import TARGET_ATTRIBUTE
from .ordering import span_branch

__all__ = ["overlapping_sync_calls"]


def overlapping_sync_calls(
    spans: Iterable[Span], functions: Mapping[str, Callable[..., Any]]
) -> list[str]:
    """The import paths of the sync targets among ``functions`` (``{path: the function patched
    there}``) with a recorded call in ``spans`` that ran while a recorded call of another branch
    ran, in the order of their first such call."""
    calls = []
    for span in spans:
        target = span.attributes.get(TARGET_ATTRIBUTE)
        branch = span_branch(span)
        if isinstance(target, str) and branch and span.end_time_ns is not None:
            calls.append((span.start_time_ns, span.end_time_ns, branch, target))
    calls.sort()
    found: dict[str, None] = {}
    for index, (_, end, branch, target) in enumerate(calls):
        for start, _, other_branch, other in calls[index + 1 :]:
            if start >= end:
                break
            if other_branch != branch:
                for path in (target, other):
                    if _is_sync(functions.get(path)):
                        found.setdefault(path, None)
    return list(found)


def _is_sync(function: Callable[..., Any] | None) -> bool:
    """Whether ``function`` runs its live call in the calling thread (not a coroutine or an
    async generator function)."""
    if function is None:
        return False
    return not (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function))
