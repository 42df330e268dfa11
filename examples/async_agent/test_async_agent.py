"""Replaying an async agent: replay.run() returns an awaitable for a coroutine method."""

from __future__ import annotations

import asyncio

import pytest

from async_app.agent import OrderStatusAgent
from async_app.clients import AsyncLLMClient

MOCK = {
    "llm": "async_app.clients.AsyncLLMClient.acomplete",
    "tool": ["async_app.clients.lookup_order", "async_app.clients.track_shipment"],
}


@pytest.mark.replay("goldens/where_is_my_order.ckpt", mock=MOCK)
def test_where_is_my_order(replay):
    live_before = AsyncLLMClient.live_calls
    agent = OrderStatusAgent()

    answer = asyncio.run(replay.run(agent.ahandle, "Where is my order A-1042?"))

    assert answer.startswith("Your order A-1042 is shipped")
    assert agent.log[0]["tracking"].startswith("PC")
    targets = [c.target.rsplit(".", 1)[-1] for c in replay.calls]
    assert targets[0] == targets[-1] == "acomplete"
    assert sorted(targets[1:3]) == ["lookup_order", "track_shipment"]  # concurrent: any order
    assert AsyncLLMClient.live_calls - live_before == (2 if replay.recording else 0)
