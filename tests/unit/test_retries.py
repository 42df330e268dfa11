"""LangGraph's retry decision once a replay error was raised (:mod:`.golden.retries`):
a replay error is never retried, any other exception is retried as the node's policy says,
and the decision is LangGraph's own again when the run ends."""

from __future__ import annotations

import pytest

from pytest_clearstone.errors import ReplayError
from pytest_clearstone.golden.retries import refuse_retries
from pytest_clearstone.golden.threads import ContextPropagation


def test_other_exceptions_are_retried_as_the_policy_says_while_replay_errors_are_refused() -> None:
    retrying = pytest.importorskip("langgraph.pregel._retry")
    from langgraph.types import RetryPolicy

    langgraphs = retrying._should_retry_on
    with ContextPropagation():
        refuse_retries()
        decide = retrying._should_retry_on
        # (a transient failure of another node of a run that is failing is retried still)
        assert decide(RetryPolicy(), ConnectionError("reset")) is True
        assert decide(RetryPolicy(retry_on=KeyError), ConnectionError("reset")) is False
        assert decide(RetryPolicy(retry_on=ReplayError), ReplayError("diverged")) is False
        assert decide(RetryPolicy(), ReplayError("diverged")) is False
        refuse_retries()  # (a second replay error of the run: refused already)
        assert retrying._should_retry_on is decide
    assert retrying._should_retry_on is langgraphs


def test_nothing_is_refused_outside_a_run() -> None:
    retrying = pytest.importorskip("langgraph.pregel._retry")

    langgraphs = retrying._should_retry_on
    refuse_retries()
    assert retrying._should_retry_on is langgraphs
