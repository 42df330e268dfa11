"""A call a trio cancel scope cut off when recorded: its ``trio.Cancelled`` belongs to that
scope and cannot be replayed; the replay says so, once, instead of raising a ``Cancelled`` that
escapes every scope (and whose ``str()`` fails)."""

from __future__ import annotations

import pytest

from pytest_clearstone.errors import RecordedError
from pytest_clearstone.golden.responses import RecordedCall

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
    assert "replaying a call cut off by a cancel scope is supported on asyncio only" in message
    assert "docs/how-to/async-agents.md" in message
