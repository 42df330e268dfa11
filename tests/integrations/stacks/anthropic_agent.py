"""Agents written the way users write them against the ``anthropic`` SDK.

Mock targets used by the tests:
  SDK methods   ``anthropic.resources.messages.Messages.create``,
                ``anthropic.resources.messages.AsyncMessages.create``
  user wrappers ``anthropic_agent.ask_claude`` (takes the client), ``anthropic_agent.lookup``
"""

from __future__ import annotations

from typing import Any

import anthropic

MODEL = "claude-sonnet-5-5"
BUSY_MODEL = "claude-opus-5-busy"  # the fake service answers 429 for it
SYSTEM = "You are a careful research assistant."

TOOLS = [
    {
        "name": name,
        "description": f"Look up {name}.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    }
    for name in ("search_papers", "search_news")
]


def ask_claude(client: anthropic.Anthropic, question: str) -> str:
    message = client.messages.create(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=[{"role": "user", "content": question}]
    )
    return message.content[0].text


def lookup(name: str, query: str) -> str:
    return f"{name}: {len(query)} results for {query}"


def type_names(*values: Any) -> list[str]:
    """The classes of ``values`` (a stream, one of its events), to check replayed types."""
    return [f"{type(v).__module__}.{type(v).__qualname__}" for v in values]


class ResearchAgent:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.notes: list[dict[str, Any]] = []
        self.output_tokens = 0

    def get_state(self) -> dict[str, Any]:
        return {"notes": self.notes, "output_tokens": self.output_tokens}

    def load_state(self, state: dict[str, Any]) -> None:
        self.notes = list(state["notes"])
        self.output_tokens = state["output_tokens"]

    def _ask(self, question: str, model: str = MODEL, **extra: Any) -> anthropic.types.Message:
        return self.client.messages.create(
            model=model,
            max_tokens=256,
            system=SYSTEM,
            messages=[{"role": "user", "content": question}],
            **extra,
        )

    def message(self, question: str) -> anthropic.types.Message:
        message = self._ask(question)
        self.output_tokens += message.usage.output_tokens
        self.notes.append({"q": question, "a": message.content[0].text})
        return message

    async def amessage(self, question: str) -> str:
        message = await self.client.messages.create(
            model=MODEL,
            max_tokens=256,
            system=SYSTEM,
            messages=[{"role": "user", "content": question}],
        )
        self.notes.append({"q": question, "a": message.content[0].text})
        return message.content[0].text

    def stream(self, question: str) -> str:
        text = []
        stream = self._ask(question, stream=True)
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                text.append(event.delta.text)
            elif event.type == "message_delta":
                self.output_tokens += event.usage.output_tokens
        answer = "".join(text)
        self.notes.append({"q": question, "a": answer, "types": type_names(stream, event)})
        return answer

    async def astream(self, question: str) -> str:
        text = []
        stream = await self.client.messages.create(
            model=MODEL,
            max_tokens=256,
            system=SYSTEM,
            messages=[{"role": "user", "content": question}],
            stream=True,
        )
        async with stream:
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    text.append(event.delta.text)
        answer = "".join(text)
        self.notes.append({"q": question, "a": answer, "types": type_names(stream, event)})
        return answer

    def with_tools(self, question: str) -> str:
        messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
        first = self.client.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=messages, tools=TOOLS
        )
        messages.append(
            {
                "role": "assistant",
                "content": [b.model_dump(exclude_none=True) for b in first.content],
            }
        )
        results = [
            {
                "type": "tool_result",
                "tool_use_id": block.id,
                "content": lookup(block.name, block.input["query"]),
            }
            for block in first.content
            if block.type == "tool_use"
        ]
        messages.append({"role": "user", "content": results})
        final = self.client.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=messages, tools=TOOLS
        )
        answer = final.content[0].text
        self.notes.append({"q": question, "a": answer, "tools": len(results)})
        return answer

    def with_fallback(self, question: str) -> str:
        try:
            message = self._ask(question, model=BUSY_MODEL)
        except anthropic.RateLimitError as exc:
            self.notes.append(
                {
                    "error": exc.status_code,
                    "request_id": exc.request_id,
                    "type": exc.body["error"]["type"],
                }
            )
            message = self._ask(question)
        self.notes.append({"q": question, "a": message.content[0].text})
        return message.content[0].text

    def via_wrapper(self, question: str) -> str:
        answer = ask_claude(self.client, question)
        self.notes.append({"q": question, "a": answer})
        return answer


class PlainAgent:
    """Keeps its client in ``self.client`` and has no ``get_state()``."""

    def __init__(self, client: anthropic.Anthropic) -> None:
        self.client = client
        self.answers: list[str] = []

    def answer(self, question: str) -> str:
        message = self.client.messages.create(
            model=MODEL,
            max_tokens=256,
            system=SYSTEM,
            messages=[{"role": "user", "content": question}],
        )
        self.answers.append(message.content[0].text)
        return message.content[0].text
