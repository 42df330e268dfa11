"""Stand-ins for async service clients (an LLM API, the order and shipping services): the shape
of real async SDKs, no network. Each call awaits 10-50 ms and returns fresh ids."""

from __future__ import annotations

import asyncio
import os
from typing import Any


async def _network() -> None:
    await asyncio.sleep(0.01 + os.urandom(1)[0] / 255 * 0.04)


class AsyncLLMClient:
    """Async chat-completion client for the (simulated) LLM service."""

    live_calls = 0

    async def acomplete(self, prompt: str, model: str = "acme-fast") -> dict[str, Any]:
        """Complete ``prompt``; returns ``{"id", "model", "text"}`` like real async SDKs."""
        AsyncLLMClient.live_calls += 1
        await _network()
        if prompt.startswith("Extract"):
            words = prompt.replace("?", " ").replace(".", " ").split()
            order = next((w for w in words if w.startswith("A-")), "unknown")
            text = f"order={order}"
        else:
            facts = dict(line.split(": ", 1) for line in prompt.splitlines() if ": " in line)
            text = (
                f"Your order {facts.get('Order', '?')} is {facts.get('Status', 'unknown')}; "
                f"the carrier expects delivery on {facts.get('ETA', 'a date to be confirmed')}."
            )
        return {"id": "cmpl-" + os.urandom(6).hex(), "model": model, "text": text}


async def lookup_order(order_id: str) -> dict[str, Any]:
    """The order service's record of ``order_id``."""
    await _network()
    return {"order_id": order_id, "status": "shipped", "items": 2, "request": os.urandom(3).hex()}


async def track_shipment(order_id: str) -> dict[str, Any]:
    """The carrier's tracking of ``order_id``'s parcel."""
    await _network()
    return {"order_id": order_id, "carrier": "ParcelCo", "eta": "2025-03-14",
            "tracking": "PC" + os.urandom(4).hex().upper()}  # fmt: skip
