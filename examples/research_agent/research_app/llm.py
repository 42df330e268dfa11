"""A stand-in for a hosted LLM API client: the shape of a real SDK, no network.

``LLMClient.complete`` behaves like a remote call: 10-50 ms of latency, a fresh response id per
call, and a count of the calls that reached the service in ``LLMClient.live_calls``.
"""

from __future__ import annotations

import os
import time
from typing import Any

PRICE_PER_TOKEN_USD = 0.00002

FACTS = {
    "safety": "making AI systems reliably do what their designers intend",
    "risks": "misuse, accidents from misspecified goals, and loss of human oversight",
    "alignment": "reward modelling, interpretability and scalable oversight",
}


class LLMClient:
    """Completion client for the (simulated) research model."""

    live_calls = 0

    def complete(self, prompt: str, model: str = "research-large") -> dict[str, Any]:
        """Complete ``prompt``; returns ``{"id", "model", "text", "usage"}`` like real APIs."""
        LLMClient.live_calls += 1
        time.sleep(0.01 + os.urandom(1)[0] / 255 * 0.04)
        topic = next((fact for key, fact in FACTS.items() if key in prompt.lower()), None)
        text = f"Answer to: {prompt} In short: {topic or 'the literature is still unsettled'}."
        tokens = len(prompt.split()) + len(text.split())
        return {
            "id": "cmpl-" + os.urandom(6).hex(),
            "model": model,
            "text": text,
            "usage": {"total_tokens": tokens, "cost_usd": round(tokens * PRICE_PER_TOKEN_USD, 6)},
        }
