"""Retry layers kept from running a call again for a replay error.

A replay error is an ``AssertionError``, and the retry layers agents are built with retry it by
default: a LangGraph node's ``RetryPolicy`` (its ``default_retry_on`` accepts any but a few
built-in kinds), LangChain's ``Runnable.with_retry()`` (tenacity's ``retry_if_exception_type``
with ``(Exception,)``; tenacity's other exception strategies, ``retry_unless_exception_type``,
``retry_if_not_exception_message`` and ``retry_if_exception_cause_type``, retry it too) and
LangChain's ``ModelRetryMiddleware``/``ToolRetryMiddleware`` (their ``default_retry_on``). A
replay error is no transient failure: the call made again meets it again (a divergence is raised
anew in its branch of execution, the calls stay exhausted, a connection the network guard
blocked, a ``NetworkBlockedError``, is blocked again), after a real sleep of the layer's
backoff, and LangGraph adds its "During task" note once per attempt; the middleware's default
``on_failure="continue"`` then hands the error to the model as a message. Once a replay error is
raised (or a connection blocked, or a recorded stream's class found changed: a
``CheckpointClassChangedError``), each layer's retry decision refuses an exception that is, or
was raised from, a replay error (or that one), whatever its settings, until the replay ends.
Nothing here imports LangGraph, LangChain or tenacity: their modules are looked for when a
replay error is raised.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import MethodType
from typing import Any

from ..errors import CheckpointClassChangedError, ReplayError
from .threads import patch_until_run_ends


def _second(args: tuple[Any, ...]) -> Any:
    """The exception a decision taking ``(policy, exc)`` decides on."""
    return args[1]


def _first(args: tuple[Any, ...]) -> Any:
    """The exception a decision taking ``(exc, retry_on)`` decides on."""
    return args[0]


def _outcome_error(args: tuple[Any, ...]) -> Any:
    """The exception a tenacity strategy called as ``(strategy, retry_state)`` decides on: the
    attempt's, where it failed."""
    outcome = getattr(args[1], "outcome", None)
    return outcome.exception() if outcome is not None and outcome.failed else None


#: each retry decision: (its module, the class holding it or "" for the module itself, its name,
#: where its arguments hold the exception); the LangChain middleware modules import LangChain's
#: decision by name, so it is replaced in each
_DECISIONS: tuple[tuple[str, str, str, Callable[[tuple[Any, ...]], Any]], ...] = (
    ("langgraph.pregel._retry", "", "_should_retry_on", _second),
    ("tenacity.retry", "retry_if_exception", "__call__", _outcome_error),
    # (tenacity's strategies deciding by a call of their own, not retry_if_exception's)
    ("tenacity.retry", "retry_unless_exception_type", "__call__", _outcome_error),
    ("tenacity.retry", "retry_if_not_exception_message", "__call__", _outcome_error),
    ("tenacity.retry", "retry_if_exception_cause_type", "__call__", _outcome_error),
    ("langchain.agents.middleware.model_retry", "", "should_retry_exception", _first),
    ("langchain.agents.middleware.tool_retry", "", "should_retry_exception", _first),
)


def _from_replay_error(error: object) -> bool:
    """Whether ``error`` is a replay error or was raised from one (an SDK's connection error
    raised from a blocked connection), or a golden's class the code no longer has (a recorded
    stream's, found at its call: met again by every attempt)."""
    seen: set[int] = set()
    while isinstance(error, BaseException) and id(error) not in seen:
        if isinstance(error, (ReplayError, CheckpointClassChangedError)):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


class _RefusingReplayErrors:
    """A retry decision, but never to retry a replay error (a method too, where a class
    holds it)."""

    __slots__ = ("decide", "error_in")

    def __init__(
        self, decide: Callable[..., bool], error_in: Callable[[tuple[Any, ...]], Any]
    ) -> None:
        self.decide = decide
        self.error_in = error_in

    def __call__(self, *args: Any) -> bool:
        return not _from_replay_error(self.error_in(args)) and self.decide(*args)

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self if instance is None else MethodType(self, instance)


def refuse_retries() -> None:
    """(When a replay error is raised.) Keep the retry layers of LangGraph, LangChain and
    tenacity from retrying replay errors until the replay ends; nothing for a layer whose
    module is not loaded (or no longer decides by that function), or already done."""
    for module, holder, name, error_in in _DECISIONS:
        owner = sys.modules.get(module)
        if owner is not None and holder:
            owner = getattr(owner, holder, None)
        decide = getattr(owner, name, None) if owner is not None else None
        if not callable(decide) or isinstance(decide, _RefusingReplayErrors):
            continue
        patch_until_run_ends(owner, name, _RefusingReplayErrors(decide, error_in))
