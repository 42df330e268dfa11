"""A call a trio cancel scope cut off when recorded: its ``trio.Cancelled`` belongs to that
scope and cannot be raised again; where the call cannot wait to be cancelled again (it is not an
async function's: tests/plugin/test_cancel_scope_messages.py), the replay says so, once, instead
of raising a ``Cancelled`` that escapes every scope (and whose ``str()`` fails)."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest

from pytest_clearstone.errors import RecordedError
from pytest_clearstone.golden.responses import RecordedCall

WHEN = dt.datetime(2024, 1, 15, 12, 30, 45, tzinfo=dt.timezone.utc)
TRIO_CANCELLED = {
    "type": "Cancelled",
    "module": "trio",
    "message": "cancelled due to deadline",
    "args": {"__cs__": "tuple", "v": []},
}


def test_a_recorded_trio_cancellation_is_replayed_as_one_clear_error():
    with pytest.raises(RecordedError) as caught:
        RecordedCall(error=TRIO_CANCELLED).respond()
    message = str(caught.value)
    assert message.startswith("trio.Cancelled: cancelled due to deadline")
    assert "only the call of an async function cut off so waits on replay" in message
    assert "docs/how-to/async-agents.md" in message


def test_an_async_call_cancelled_when_recorded_waits_under_trio_as_long_as_it_ran_and_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (on trio's virtual clock: as long as it ran when recorded, 0.5 s, and a second more)
    import trio
    from trio.testing import MockClock

    from pytest_clearstone.debugging import DeterministicExecutionContext, Responses
    from pytest_clearstone.errors import ReplayDivergenceError

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "agents"))
    tools = importlib.import_module("cs_tools")
    call = RecordedCall(error=TRIO_CANCELLED, ran_ms=500.0, span_id="s1")

    async def wait() -> float:
        start = trio.current_time()
        with pytest.raises(ReplayDivergenceError) as caught:
            await tools.afetch("a")
        assert "nothing cancelled it on replay within 1.500 s" in str(caught.value)
        return trio.current_time() - start

    with DeterministicExecutionContext(WHEN, {"cs_tools.afetch": Responses([call])}):
        waited = trio.run(wait, clock=MockClock(autojump_threshold=0))
    assert waited == 1.5
