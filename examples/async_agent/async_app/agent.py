"""OrderStatusAgent: an async agent that asks the LLM, then calls two services concurrently."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from async_app import clients


class OrderStatusAgent:
    """Answers "where is my order?" questions. State: the conversation log."""

    def __init__(self, llm: clients.AsyncLLMClient | None = None) -> None:
        self.llm = llm or clients.AsyncLLMClient()
        self.log: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"log": self.log}

    def load_state(self, state: dict[str, Any]) -> None:
        self.log = list(state["log"])
        if "llm" not in vars(self):  # rehydrated from a checkpoint, without __init__
            self.llm = clients.AsyncLLMClient()

    async def ahandle(self, message: str) -> str:
        """Answer ``message``: extract the order id, then look it up and track it concurrently."""
        extracted = await self.llm.acomplete(f"Extract the order id from: {message}")
        order_id = extracted["text"].removeprefix("order=")
        order, shipment = await asyncio.gather(
            clients.lookup_order(order_id), clients.track_shipment(order_id)
        )
        facts = f"Order: {order_id}\nStatus: {order['status']}\nETA: {shipment['eta']}"
        reply = await self.llm.acomplete(f"Write the customer a one-line update.\n{facts}")
        self.log.append({
            "id": str(uuid.uuid4()), "at": time.time(), "question": message,
            "tracking": shipment["tracking"], "answer": reply["text"],
        })  # fmt: skip
        return str(reply["text"])
