"""TravelAgent: a tool-calling loop on the OpenAI SDK's chat completions."""

from __future__ import annotations

import json
from typing import Any

import openai

from travel_app import tools
from travel_app.stand_in import make_client

MODEL = "gpt-4o-mini"
SYSTEM = "You are a travel agent. Search flights before you recommend one."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_flights",
            "description": "Search flights between two cities on a date (YYYY-MM-DD).",
            "parameters": {
                "type": "object",
                "required": ["origin", "destination", "date"],
                "properties": {
                    "origin": {"type": "string"},
                    "destination": {"type": "string"},
                    "date": {"type": "string"},
                },
            },
        },
    }
]
MAX_TURNS = 4


class TravelAgent:
    """Keeps its ``openai.OpenAI`` client in ``self.client``; no ``get_state()``: its state is
    its ``__dict__`` (the client is stored as a reference, never with its key)."""

    def __init__(
        self,
        model: str = MODEL,
        fallback_model: str | None = None,
        client: openai.OpenAI | None = None,
    ) -> None:
        self.client = client or make_client()
        self.model = model
        self.fallback_model = fallback_model
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
        self.rate_limits: list[dict[str, Any]] = []

    def ask(self, request: str) -> str:
        """Answer one request, running the tools the model asks for."""
        self.messages.append({"role": "user", "content": request})
        for _ in range(MAX_TURNS):
            message = self._complete()
            self.messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                return message.content or ""
            for call in message.tool_calls:
                found = tools.search_flights(**json.loads(call.function.arguments))
                self.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": json.dumps(found)}
                )
        raise RuntimeError(f"no answer after {MAX_TURNS} turns")

    def _complete(self) -> Any:
        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=self.messages, tools=TOOLS
            )
        except openai.RateLimitError as exc:
            if self.fallback_model is None:
                raise
            self.rate_limits.append(
                {
                    "model": self.model,
                    "status": exc.status_code,
                    "request_id": exc.request_id,
                    "code": exc.code,
                }
            )
            self.model, self.fallback_model = self.fallback_model, None
            return self._complete()
        return response.choices[0].message
