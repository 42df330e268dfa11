"""Which recorded exceptions are cancellations (a replay waits to be cancelled again only for
those), and what a recording keeps of a live one: only an anyio cancel scope's message loses its
address and the cancelling task; any other exception is kept as it is."""

from __future__ import annotations

import asyncio

import pytest

from pytest_clearstone.golden.cancellations import as_recorded, is_cancellation, is_cancelled


@pytest.mark.parametrize(
    "error",
    [
        {"type": "CancelledError", "module": "asyncio.exceptions"},
        {"type": "Cancelled", "module": "trio._core._exceptions"},
    ],
)
def test_asyncio_and_trio_cancellations_are_cancelled_from_outside(error):
    assert is_cancelled(error)


@pytest.mark.parametrize(
    "error",
    [
        # a future given up on, not a call cancelled from outside
        {"type": "CancelledError", "module": "concurrent.futures._base"},
        # another package's exception of the same name
        {"type": "Cancelled", "module": "jobqueue.errors"},
        # another of trio's exceptions
        {"type": "TooSlowError", "module": "trio"},
    ],
)
def test_other_exceptions_are_not_cancelled_from_outside(error):
    assert not is_cancelled(error)


def test_only_asyncio_cancellation_is_a_live_cancellation():
    assert is_cancellation(asyncio.CancelledError())
    assert not is_cancellation(KeyboardInterrupt())
    assert not is_cancellation(ValueError("cancelled"))


def test_an_exception_that_is_no_cancellation_is_recorded_as_it_is():
    error = RuntimeError("Cancelled via cancel scope 7f3a9c1d2e40 by <Task 'main'>")
    assert as_recorded(error) is error


def test_an_anyio_scope_message_loses_a_task_whose_name_spans_lines():
    cancelled = asyncio.CancelledError(
        "Cancelled via cancel scope 7f3a9c1d2e40 by <Task pending name='fetch\n2'>"
    )
    recorded = as_recorded(cancelled)
    assert type(recorded) is asyncio.CancelledError
    assert recorded.args == ("Cancelled via cancel scope",)


def test_a_cancellation_whose_message_is_no_text_is_recorded_as_it_is():
    """``task.cancel(msg)`` takes any object: a recording keeps it, and does not fail on it."""
    cancelled = asyncio.CancelledError(42)
    assert as_recorded(cancelled) is cancelled


def test_a_cancellation_with_a_message_of_its_own_is_recorded_as_it_is():
    cancelled = asyncio.CancelledError("the user gave up")
    cancelled.__cause__ = TimeoutError("deadline")
    assert as_recorded(cancelled) is cancelled


def test_a_cancellation_without_a_message_is_recorded_as_it_is():
    # (asyncio.timeout's and wait_for's: no argument at all)
    cancelled = asyncio.CancelledError()
    assert as_recorded(cancelled) is cancelled
