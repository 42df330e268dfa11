"""Golden tests of the support agent: recorded once live, replayed from goldens/ ever after."""

from __future__ import annotations

import pytest

from support_app.agent import SupportAgent
from support_app.clients import LLMClient

MOCK = {
    "llm": "support_app.clients.LLMClient.complete",
    "tool": ["support_app.tools.search_kb", "support_app.tools.create_ticket"],
}


@pytest.mark.replay("goldens/billing.ckpt", mock=MOCK)
def test_double_charge_opens_a_billing_ticket(replay):
    live_before = LLMClient.live_calls
    agent = SupportAgent(customer_id="cus_1042")

    answer = replay.run(agent.handle, "I was charged twice")

    assert "refund" in answer
    assert len(agent.tickets) == 1 and agent.tickets[0] in answer
    assert [c.target.rsplit(".", 1)[-1] for c in replay.calls] == [
        "search_kb", "complete", "create_ticket", "complete",
    ]  # fmt: skip
    # the uuid4 ids and time.time() stamps in the agent's state are the recorded ones
    assert [m["role"] for m in agent.messages] == ["customer", "agent"]
    # recording calls the (simulated) LLM service twice; replaying never calls it
    assert LLMClient.live_calls - live_before == (2 if replay.recording else 0)


@pytest.mark.replay("goldens/password.ckpt", mock=MOCK)
def test_how_to_question_gets_an_article_and_no_ticket(replay):
    agent = SupportAgent(customer_id="cus_2001")

    answer = replay.run(agent.handle, "How do I reset my password?")

    assert "Resetting your password" in answer
    assert agent.tickets == []
    assert "support_app.tools.create_ticket" not in {c.target for c in replay.calls}
