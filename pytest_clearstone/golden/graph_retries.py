"""LangGraph's retry policies, kept from running a node again for a replay error.

A node's ``RetryPolicy`` runs it again when it raises an exception its ``retry_on`` accepts.
The default (LangGraph's ``default_retry_on``) accepts any but a few built-in kinds, so an
``AssertionError``, which a replay error is. A replay error is no transient failure: the node
run again meets it again (a divergence is raised anew in its branch of execution, the calls
stay exhausted), after a real ``time.sleep`` of the policy's backoff, and the failure carries
LangGraph's "During task" note once per attempt. So is a connection the network guard blocked
(a ``NetworkBlockedError``, a replay error too: the unmocked call is blocked again). Once a
replay error is raised (or a connection blocked), LangGraph's retry decision refuses replay
errors, whatever the policy, until the replay ends.
Nothing here imports LangGraph: its retry module is looked for when a replay error is raised.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..errors import ReplayError
from .threads import patch_until_run_ends

#: the LangGraph module whose function decides whether a policy retries an exception
_RETRY_MODULE = "langgraph.pregel._retry"
_DECISION = "_should_retry_on"


class _RefusingReplayErrors:
    """LangGraph's retry decision, but never to retry a replay error."""

    __slots__ = ("decide",)

    def __init__(self, decide: Callable[[Any, BaseException], bool]) -> None:
        self.decide = decide

    def __call__(self, policy: Any, exc: BaseException) -> bool:
        return not isinstance(exc, ReplayError) and self.decide(policy, exc)


def refuse_graph_retries() -> None:
    """(When a replay error is raised.) Keep LangGraph's retry policies from retrying replay
    errors until the replay ends; nothing where LangGraph's retry module is not loaded (or no
    longer decides by that function), or already done."""
    retrying = sys.modules.get(_RETRY_MODULE)
    decide = getattr(retrying, _DECISION, None)
    if not callable(decide) or isinstance(decide, _RefusingReplayErrors):
        return
    patch_until_run_ends(retrying, _DECISION, _RefusingReplayErrors(decide))
