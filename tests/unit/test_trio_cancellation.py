"""A call a trio cancel scope cut off when recorded: its ``trio.Cancelled`` belongs to that
scope and cannot be raised again; where the call cannot wait to be cancelled again (it is not an
async function's: tests/plugin/test_cancel_scope_messages.py), the replay says so, once, instead
of raising a ``Cancelled`` that escapes every scope (and whose ``str()`` fails)."""

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
    assert "only the call of an async function cut off so waits on replay" in message
    assert "docs/how-to/async-agents.md" in message
