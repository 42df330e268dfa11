"""LangGraph's retry decision once a replay error was raised (:mod:`.golden.retries`):
a replay error is never retried, any other exception is retried as the node's policy says,
and the decision is LangGraph's own again when the run ends."""

from __future__ import annotations

from collections.abc import Callable

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


class _ConnectError(Exception):
    """(An HTTP library's connection error, raised from the blocked connection.)"""


def _strategies() -> list[object]:
    tenacity = pytest.importorskip("tenacity")
    return [
        tenacity.retry_unless_exception_type(KeyError),
        tenacity.retry_if_not_exception_message(message="rate limited"),
        tenacity.retry_if_exception_cause_type(_ConnectError),
    ]


@pytest.mark.parametrize(
    "index", [0, 1, 2], ids=["unless_exception_type", "not_message", "cause_type"]
)
def test_tenacity_strategies_with_their_own_decision_refuse_replay_errors_too(index: int) -> None:
    """tenacity's strategies that decide by their own ``__call__`` (not
    ``retry_if_exception``'s) retried a replay error: ``retry_unless_exception_type`` and
    ``retry_if_not_exception_message`` retry any exception but theirs, and
    ``retry_if_exception_cause_type`` one caused by a connection error (an SDK's error raised
    from the HTTP library's, raised from the blocked connection)."""
    tenacity = pytest.importorskip("tenacity")
    attempts: list[int] = []

    @tenacity.retry(
        retry=_strategies()[index],
        stop=tenacity.stop_after_attempt(3),
        wait=tenacity.wait_none(),
        reraise=True,
    )
    def step() -> None:
        attempts.append(1)
        try:
            try:
                raise ReplayError("blocked")
            except ReplayError as blocked:
                raise _ConnectError("connect failed") from blocked
        except _ConnectError as failed:
            raise RuntimeError("the SDK's connection error") from failed

    with ContextPropagation():
        refuse_retries()
        with pytest.raises(RuntimeError):
            step()
    assert len(attempts) == 1
    attempts.clear()
    with pytest.raises(RuntimeError):  # (outside a run: the strategy's own decision)
        step()
    assert len(attempts) == 3


def _raised_in_handling() -> None:
    try:
        raise ReplayError("diverged")
    except ReplayError:
        raise ValueError("the tool failed") from None  # (its context: the replay error)


def _raised_from_later() -> None:
    try:
        raise ReplayError("diverged")
    except ReplayError as exc:
        caught = exc
    raise ValueError("the tool failed") from caught  # (its cause only)


@pytest.mark.parametrize(
    "fail", [_raised_in_handling, _raised_from_later], ids=["context", "cause"]
)
def test_an_error_raised_while_handling_or_from_a_replay_error_is_not_retried(
    fail: Callable[[], None],
) -> None:
    tenacity = pytest.importorskip("tenacity")
    attempts: list[int] = []

    @tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_none(), reraise=True)
    def step() -> None:
        attempts.append(1)
        fail()

    with ContextPropagation():
        refuse_retries()
        with pytest.raises(ValueError):
            step()
    assert len(attempts) == 1


class _Chained(Exception):
    """(An exception whose cause is read at most a few times: a decision following a chain
    that leads back to where it began, round and round, is stopped here.)"""

    reads = 0

    @property
    def __cause__(self) -> BaseException | None:
        type(self).reads += 1
        if type(self).reads > 10:
            raise AssertionError("the chain of causes was followed round its loop")
        return self.cause

    @__cause__.setter
    def __cause__(self, value: BaseException | None) -> None:
        self.cause = value


def test_an_error_whose_causes_lead_back_to_it_is_decided_once() -> None:
    retrying = pytest.importorskip("langgraph.pregel._retry")
    from langgraph.types import RetryPolicy

    first, second = _Chained("tool failed"), _Chained("while handling")
    first.__cause__, second.__cause__ = second, first  # (a chain leading back to its start)
    with ContextPropagation():
        refuse_retries()
        assert retrying._should_retry_on(RetryPolicy(), first) is True
