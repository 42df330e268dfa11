"""A stand-in for a hosted chat-completion API client: the shape of a real SDK, no network.

``LLMClient.complete`` behaves like a remote call: it takes 10-50 ms, returns a fresh response
id on every call, and counts its calls in ``LLMClient.live_calls``. So a replayed test, which is
answered from the golden checkpoint, is fast and visibly never reaches it.
"""

from __future__ import annotations

import os
import time
from typing import Any

DEFAULT_MODEL = "acme-support-small"


def _latency() -> float:
    return 0.01 + os.urandom(1)[0] / 255 * 0.04


class LLMClient:
    """Chat-completion client for the (simulated) Acme LLM service."""

    live_calls = 0  # calls that reached the service, in this process

    def __init__(self, api_base: str = "https://llm.acme.invalid/v1") -> None:
        self.api_base = api_base

    def complete(self, prompt: str, model: str = DEFAULT_MODEL) -> dict[str, Any]:
        """Complete ``prompt``; returns ``{"id", "model", "text", "usage"}`` like real APIs."""
        LLMClient.live_calls += 1
        time.sleep(_latency())
        text = _simulated_model(prompt)
        return {
            "id": "cmpl-" + os.urandom(6).hex(),
            "model": model,
            "text": text,
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split())},
        }


def _simulated_model(prompt: str) -> str:
    """What the simulated model answers: keyword rules standing in for a real model."""
    lines = prompt.splitlines()
    customer = next((line for line in lines if line.startswith("Customer says:")), "").lower()
    if prompt.startswith("Decide the next action"):
        if any(word in customer for word in ("charged", "refund", "invoice")):
            return "ACTION create_ticket PRIORITY high"
        return "ACTION reply PRIORITY low"
    ticket = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Ticket:")),
                  "none")  # fmt: skip
    if ticket != "none":
        return (
            f"I'm sorry about the double charge. I've opened ticket {ticket} with our billing "
            "team, and the duplicate payment will be refunded within 5 business days."
        )
    article = next((line[2:] for line in lines if line.startswith("- ")), "our help centre")
    return f"Thanks for reaching out! This article should help: {article}"
