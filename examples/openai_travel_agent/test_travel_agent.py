"""Golden tests of the travel agent: recorded once against the (stand-in) OpenAI API, replayed
from goldens/ ever after, with no API key and no request reaching the service."""

from __future__ import annotations

import openai
import pytest

from travel_app import stand_in
from travel_app.agent import TravelAgent

MOCK = {
    "llm": "openai.resources.chat.completions.Completions.create",
    "tool": "travel_app.tools.search_flights",
}


@pytest.mark.replay("goldens/lisbon_berlin.ckpt", mock=MOCK)
def test_searches_flights_then_recommends_the_cheapest(replay):
    requests_before = stand_in.REQUESTS[0]
    agent = TravelAgent()

    answer = replay.run(agent.ask, "Find me a flight from Lisbon to Berlin on 2026-03-14")

    assert answer.startswith("The cheapest flight from Lisbon to Berlin on 2026-03-14 is ")
    assert [c.target.rsplit(".", 1)[-1] for c in replay.calls] == [
        "create", "search_flights", "create",
    ]  # fmt: skip
    assert [m["role"] for m in agent.messages] == ["system", "user", "assistant", "tool",
                                                   "assistant"]  # fmt: skip
    assert isinstance(agent.client, openai.OpenAI)
    # recording asks the service twice; replaying never reaches it
    assert stand_in.REQUESTS[0] - requests_before == (2 if replay.recording else 0)


@pytest.mark.replay("goldens/rate_limited.ckpt", mock=MOCK)
def test_falls_back_to_another_model_on_a_429(replay):
    agent = TravelAgent(model="gpt-4.1", fallback_model="gpt-4o-mini")

    answer = replay.run(agent.ask, "Find me a flight from Porto to Paris on 2026-04-02")

    assert answer.startswith("The cheapest flight from Porto to Paris")
    assert agent.model == "gpt-4o-mini"
    [limit] = agent.rate_limits
    assert limit["status"] == 429 and limit["code"] == "rate_limit_exceeded"
    assert limit["request_id"].startswith("req_")
