"""Regression test for incident ORD-1042, replayed from the checkpoint production saved."""

from __future__ import annotations

import pytest
from pytest_clearstone.debugging import CheckpointManager

from refund_app.clients import CardExpiredError
from reproduce_incident import MESSAGE
from reproduce_incident import main as reproduce

MOCK = {
    "llm": "refund_app.clients.LLMClient.complete",
    "tool": [
        "refund_app.clients.PaymentsClient.get_charge",
        "refund_app.clients.PaymentsClient.refund",
    ],
}


# strict: the fixed agent must make exactly the calls of the incident, with the same arguments
@pytest.mark.replay("goldens/incident_ORD-1042.ckpt", mock=MOCK, strict=True)
def test_refused_refund_becomes_store_credit(replay):
    reply = replay.run("process_refund", "ORD-1042", MESSAGE)

    assert "store credit" in reply
    assert replay.agent.store_credit_cents == 12900
    assert replay.agent.refunds == []
    refund_call = replay.calls[-1]
    assert refund_call.target == MOCK["tool"][1]
    assert isinstance(refund_call.error, CardExpiredError)  # the recorded error, raised again


def test_service_saves_a_checkpoint_when_a_request_fails(tmp_path, capsys):
    with pytest.raises(CardExpiredError):
        reproduce(str(tmp_path / "traces.db"), str(tmp_path / "goldens"))

    saved = CheckpointManager(tmp_path / "goldens").load_checkpoint("incident_ORD-1042.ckpt")
    assert saved.span.name == "refund_request" and saved.span.status == "ERROR"
    assert [s.span_type for s in saved.trace.spans] == [None, "tool", "llm", "tool"]
    assert saved.trace.spans[-1].error["type"] == "CardExpiredError"
    assert saved.metadata["incident"] == "ORD-1042"
    assert "Error checkpoint saved" in capsys.readouterr().out
