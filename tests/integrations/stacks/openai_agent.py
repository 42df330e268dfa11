"""Agents written the way users write them against the ``openai`` SDK.

Mock targets used by the tests:
  SDK methods   ``openai.resources.chat.completions.Completions.create``,
                ``openai.resources.chat.completions.AsyncCompletions.create``,
                ``openai.resources.responses.Responses.create``,
                ``openai.resources.chat.completions.Completions.parse``
  user wrappers ``openai_agent.ask`` (a function taking the client), ``openai_agent.stream_words``
                (a generator), ``openai_agent.lookup`` / ``openai_agent.alookup`` (local tools)
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pydantic

MODEL = "gpt-4o-mini"
BUSY_MODEL = "gpt-4o-busy"  # the fake service answers 429 for it
SYSTEM = "You are a concise travel assistant."
ORDER = "llm-first"  # the sequential agent's order of calls; a mutation test flips it

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"Search {name.split('_')[1]}.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
    for name in ("search_flights", "search_hotels")
]


def messages_for(question: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


# -- user wrappers and tools ----------------------------------------------------------------------


def ask(client: openai.OpenAI, question: str) -> str:
    """The user's own wrapper around the SDK: the mock target of the wrapper scenarios."""
    response = client.chat.completions.create(model=MODEL, messages=messages_for(question))
    return response.choices[0].message.content or ""


def stream_words(client: openai.OpenAI, question: str) -> Iterator[str]:
    """A generator wrapper over a streamed completion."""
    stream = client.chat.completions.create(
        model=MODEL, messages=messages_for(question), stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            yield chunk.choices[0].delta.content


def type_names(*values: Any) -> list[str]:
    """The classes of ``values`` (a stream, one of its chunks), to check replayed types."""
    return [f"{type(v).__module__}.{type(v).__qualname__}" for v in values]


def lookup(name: str, query: str) -> dict[str, Any]:
    """A local tool (a real agent would call a flight/hotel API here)."""
    return {"tool": name, "query": query, "results": len(query) % 7 + 1}


async def alookup(name: str, query: str) -> dict[str, Any]:
    await asyncio.sleep(0.001 * (len(query) % 3))  # finish out of order now and then
    return lookup(name, query)


# -- agents ---------------------------------------------------------------------------------------


class _Stateful:
    """Agents that keep their client in ``self.client`` but expose only their memory."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.history: list[dict[str, Any]] = []
        self.tokens = 0

    def get_state(self) -> dict[str, Any]:
        return {"history": self.history, "tokens": self.tokens}

    def load_state(self, state: dict[str, Any]) -> None:
        self.history = list(state["history"])
        self.tokens = state["tokens"]


class Verdict(pydantic.BaseModel):
    """The structured output ``ChatAgent.structured`` asks for."""

    answer: str
    confident: bool


class ChatAgent(_Stateful):
    def structured(self, question: str) -> Verdict:
        """``chat.completions.parse``: the SDK returns ``ParsedChatCompletion[~ResponseFormatT]``
        with the parsed ``Verdict`` in each message."""
        response = self.client.chat.completions.parse(
            model=MODEL, messages=messages_for(question), response_format=Verdict
        )
        verdict = response.choices[0].message.parsed
        self.history.append({"q": question, "verdict": verdict})
        return verdict

    def complete(self, question: str) -> openai.types.chat.ChatCompletion:
        """Returns the SDK's ``ChatCompletion`` itself."""
        response = self.client.chat.completions.create(
            model=MODEL, messages=messages_for(question), temperature=0.2
        )
        self.history.append({"q": question, "a": response.choices[0].message.content})
        self.tokens += response.usage.total_tokens
        return response

    def answer_via_wrapper(self, question: str) -> str:
        answer = ask(self.client, question)
        self.history.append({"q": question, "a": answer})
        return answer

    def stream(self, question: str) -> str:
        stream = self.client.chat.completions.create(
            model=MODEL,
            messages=messages_for(question),
            stream=True,
            stream_options={"include_usage": True},
        )
        parts = []
        for chunk in stream:
            if chunk.usage:
                self.tokens += chunk.usage.total_tokens
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        answer = "".join(parts)
        self.history.append({"q": question, "a": answer, "types": type_names(stream, chunk)})
        return answer

    def stream_helper(self, question: str) -> str:
        """The SDK's ``chat.completions.stream()`` helper (it calls ``create(stream=True)``
        when entered and accumulates the chunks into events)."""
        with self.client.chat.completions.stream(
            model=MODEL, messages=messages_for(question)
        ) as stream:
            parts = [e.delta for e in stream if e.type == "content.delta"]
            final = stream.get_final_completion()
        answer = "".join(parts)
        self.history.append(
            {
                "q": question,
                "a": answer,
                "final": final.choices[0].message.content,
                "types": type_names(stream, final),
            }
        )
        return answer

    def first_words(self, question: str, count: int = 2) -> str:
        """Reads only the first chunks of a stream, then closes it."""
        parts = []
        with self.client.chat.completions.create(
            model=MODEL, messages=messages_for(question), stream=True
        ) as stream:
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
                if len(parts) == count:
                    break
        answer = "".join(parts)
        self.history.append({"q": question, "a": answer})
        return answer

    def stream_via_wrapper(self, question: str) -> str:
        answer = "".join(stream_words(self.client, question))
        self.history.append({"q": question, "a": answer})
        return answer

    def converse(self, text: str, model: str = MODEL) -> str:
        """A turn of a conversation: the user's message joins it before the call (and stays
        when the call raises), the answer after; the whole conversation is sent each time."""
        self.history.append({"role": "user", "content": text})
        response = self.client.chat.completions.create(
            model=model, messages=[{"role": "system", "content": SYSTEM}, *self.history]
        )
        answer = response.choices[0].message.content or ""
        self.history.append({"role": "assistant", "content": answer})
        return answer

    def answer_with_fallback(self, question: str) -> str:
        """Tries the busy model, catches the SDK's ``RateLimitError`` and falls back."""
        try:
            response = self.client.chat.completions.create(
                model=BUSY_MODEL, messages=messages_for(question)
            )
        except openai.RateLimitError as exc:
            self.history.append(
                {"error": exc.status_code, "request_id": exc.request_id, "code": exc.code}
            )
            response = self.client.chat.completions.create(
                model=MODEL, messages=messages_for(question)
            )
        answer = response.choices[0].message.content
        self.history.append({"q": question, "a": answer})
        return answer

    def respond(self, question: str) -> str:
        """The Responses API."""
        response = self.client.responses.create(model=MODEL, instructions=SYSTEM, input=question)
        self.history.append({"q": question, "a": response.output_text, "id": response.id})
        return response.output_text

    def respond_streaming(self, question: str) -> str:
        stream = self.client.responses.create(
            model=MODEL, instructions=SYSTEM, input=question, stream=True
        )
        text = []
        for event in stream:
            if event.type == "response.output_text.delta":
                text.append(event.delta)
            elif event.type == "response.completed":
                self.tokens += event.response.usage.total_tokens
        answer = "".join(text)
        self.history.append({"q": question, "a": answer, "types": type_names(stream, event)})
        return answer

    def research(self, question: str) -> str:
        """Sequential calls to two different targets; ``ORDER`` says which comes first."""
        if ORDER == "llm-first":
            answer = ask(self.client, question)
            facts = lookup("search_flights", question)
        else:
            facts = lookup("search_flights", question)
            answer = ask(self.client, question)
        self.history.append({"q": question, "a": answer, "facts": facts})
        return answer


class ToolAgent(_Stateful):
    """The tool-calling loop: the model asks for tools, the agent runs them, the model answers."""

    def _first(self, question: str) -> tuple[list[dict[str, Any]], list[Any]]:
        messages = messages_for(question)
        response = self.client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        return messages, list(message.tool_calls or [])

    def _last(
        self, messages: list[dict[str, Any]], calls: list[Any], results: list[dict[str, Any]]
    ) -> str:
        for call, result in zip(calls, results, strict=True):
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
        response = self.client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        answer = response.choices[0].message.content
        self.history.append({"q": question_of(messages), "tools": results, "a": answer})
        return answer

    def run(self, question: str) -> str:
        messages, calls = self._first(question)
        results = [
            lookup(c.function.name, json.loads(c.function.arguments)["query"]) for c in calls
        ]
        return self._last(messages, calls, results)

    def run_threaded(self, question: str) -> str:
        """Fans the tool calls out to a thread pool."""
        messages, calls = self._first(question)
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [
                pool.submit(lookup, c.function.name, json.loads(c.function.arguments)["query"])
                for c in calls
            ]
            results = [f.result() for f in futures]
        return self._last(messages, calls, results)


def question_of(messages: list[dict[str, Any]]) -> str:
    return next(m["content"] for m in messages if m.get("role") == "user")


class AsyncAgent(_Stateful):
    """Uses ``AsyncOpenAI``."""

    async def answer(self, question: str) -> str:
        response = await self.client.chat.completions.create(
            model=MODEL, messages=messages_for(question)
        )
        answer = response.choices[0].message.content
        self.history.append({"q": question, "a": answer})
        self.tokens += response.usage.total_tokens
        return answer

    async def respond(self, question: str) -> str:
        """The Responses API, with ``AsyncOpenAI``."""
        response = await self.client.responses.create(
            model=MODEL, instructions=SYSTEM, input=question
        )
        self.history.append({"q": question, "a": response.output_text, "id": response.id})
        return response.output_text

    async def stream(self, question: str) -> str:
        stream = await self.client.chat.completions.create(
            model=MODEL, messages=messages_for(question), stream=True
        )
        parts = []
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
        answer = "".join(parts)
        self.history.append({"q": question, "a": answer, "types": type_names(stream, chunk)})
        return answer

    async def run_gathered(self, question: str) -> str:
        """The tool loop with the tools run concurrently under ``asyncio.gather``, and two
        questions asked concurrently."""
        messages = messages_for(question)
        response = await self.client.chat.completions.create(
            model=MODEL, messages=messages, tools=TOOLS
        )
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        calls = list(message.tool_calls or [])
        results = await asyncio.gather(
            *(alookup(c.function.name, json.loads(c.function.arguments)["query"]) for c in calls)
        )
        for call, result in zip(calls, results, strict=True):
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
        final, side = await asyncio.gather(
            self.client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS),
            self.client.chat.completions.create(
                model=MODEL, messages=messages_for(f"one word for {question}")
            ),
        )
        answer = final.choices[0].message.content
        self.history.append(
            {
                "q": question,
                "tools": list(results),
                "a": answer,
                "side": side.choices[0].message.content,
            }
        )
        return answer


class PlainAgent:
    """Keeps its client in ``self.client`` and has no ``get_state()``."""

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client
        self.history: list[dict[str, Any]] = []

    def answer(self, question: str) -> str:
        response = self.client.chat.completions.create(model=MODEL, messages=messages_for(question))
        answer = response.choices[0].message.content
        self.history.append({"q": question, "a": answer})
        return answer


@dataclasses.dataclass
class Deps:
    """What an agent depends on, in one object (pydantic-ai's style of deps)."""

    client: openai.OpenAI
    user: str = "ann"


class DepsAgent:
    """Keeps its client inside ``self.deps`` and has no ``get_state()``."""

    def __init__(self, client: openai.OpenAI) -> None:
        self.deps = Deps(client)
        self.history: list[dict[str, Any]] = []

    def answer(self, question: str) -> str:
        response = self.deps.client.chat.completions.create(
            model=MODEL, messages=messages_for(question)
        )
        answer = response.choices[0].message.content
        self.history.append({"q": question, "a": answer})
        return answer
