"""A local stand-in for the OpenAI chat completions API, answered through ``httpx2``'s
``MockTransport``: the real JSON, no network, no API key.

It behaves like the hosted API where a test would notice: each answer takes 10-30 ms, has fresh
``chatcmpl-``/``call_`` ids and an ``x-request-id`` header, and ``gpt-4.1`` is over its quota
(HTTP 429, the API's rate-limit body). ``REQUESTS`` counts the requests that reached it.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import httpx2
import openai

RATE_LIMITED_MODELS = {"gpt-4.1"}
REQUESTS = [0]  # requests that reached the stand-in, in this process
_TRIP = re.compile(r"from (?P<origin>\w+) to (?P<destination>\w+) on (?P<date>[\d-]+)")


def make_client() -> openai.OpenAI:
    """The agent's client. In your project: ``openai.OpenAI()``."""
    return openai.OpenAI(
        api_key=os.environ.get("OPENAI_API_KEY", "sk-stand-in"),
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
        max_retries=0,
    )


def _id(prefix: str) -> str:
    return prefix + os.urandom(12).hex()


def handle(request: httpx2.Request) -> httpx2.Response:
    REQUESTS[0] += 1
    time.sleep(0.01 + os.urandom(1)[0] / 255 * 0.02)
    body = json.loads(request.content)
    headers = {"x-request-id": _id("req_")}
    if body["model"] in RATE_LIMITED_MODELS:
        return httpx2.Response(
            429,
            headers={**headers, "retry-after": "20"},
            json={
                "error": {
                    "message": f"Rate limit reached for {body['model']} on requests per min (RPM): "
                    "Limit 500, Used 500, Requested 1. Please try again in 20s.",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            },
        )
    message = _answer(body["messages"])
    return httpx2.Response(
        200,
        headers=headers,
        json={
            "id": _id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if "tool_calls" in message else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": len(request.content) // 4,
                "completion_tokens": 24,
                "total_tokens": len(request.content) // 4 + 24,
            },
        },
    )


def _answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the stand-in model says: search first, then recommend the cheapest flight found."""
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if messages[-1]["role"] == "tool":
        flights = json.loads(messages[-1]["content"])
        best = min(flights, key=lambda f: f["price_eur"])
        message["content"] = (
            f"The cheapest flight from {best['origin']} to {best['destination']} on "
            f"{best['date']} is {best['flight']} at {best['departs']} for EUR {best['price_eur']}."
        )
        return message
    trip = _TRIP.search(messages[-1]["content"])
    if trip is None:
        message["content"] = "Where from, where to, and on which date?"
        return message
    message["tool_calls"] = [
        {
            "id": _id("call_"),
            "type": "function",
            "function": {"name": "search_flights", "arguments": json.dumps(trip.groupdict())},
        }
    ]
    return message
