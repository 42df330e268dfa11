"""A pydantic-ai agent on ``OpenAIChatModel`` whose provider's ``httpx2.AsyncClient`` is answered
by the fake OpenAI service.

Mock targets used by the tests: ``pydantic_ai.models.openai.OpenAIChatModel.request`` (async),
``pydantic_ai.models.openai.OpenAIChatModel.request_stream`` (an async context manager), the
user wrapper ``pydantic_ai_agent.research`` and the tool backend ``pydantic_ai_agent.lookup``.
"""

from __future__ import annotations

from typing import Any

import services
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

MODEL = "gpt-4o-mini"
SYSTEM = "You are a friendly museum guide."


def make_model() -> OpenAIChatModel:
    """The key comes from OPENAI_API_KEY."""
    provider = OpenAIProvider(http_client=services.OPENAI.async_client())
    return OpenAIChatModel(MODEL, provider=provider)


def lookup(kind: str, query: str) -> str:
    return f"{kind}: {len(query)} exhibits about {query}"


def make_agent(model: Any, tools: bool = False) -> Agent:
    agent = Agent(model, system_prompt=SYSTEM)
    if tools:
        @agent.tool_plain
        def search_flights(query: str) -> str:
            """Search the collection."""
            return lookup("collection", query)

        @agent.tool_plain
        def search_hotels(query: str) -> str:
            """Search the archive."""
            return lookup("archive", query)
    return agent


async def research(agent: Agent, question: str) -> str:
    """The user's own wrapper around a pydantic-ai run."""
    result = await agent.run(question)
    return result.output


class Guide:
    def __init__(self, model: Any, tools: bool = False) -> None:
        self.agent = make_agent(model, tools)
        self.answers: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"answers": self.answers}

    def load_state(self, state: dict[str, Any]) -> None:
        self.answers = list(state["answers"])

    def ask(self, question: str) -> str:
        result = self.agent.run_sync(question)
        self.answers.append({"q": question, "a": result.output,
                             "tokens": result.usage.total_tokens,
                             "messages": [type(m).__name__ for m in result.all_messages()]})
        return result.output

    async def aask(self, question: str) -> str:
        result = await self.agent.run(question)
        self.answers.append({"q": question, "a": result.output})
        return result.output

    async def stream(self, question: str) -> str:
        async with self.agent.run_stream(question) as result:
            text = await result.get_output()
        self.answers.append({"q": question, "a": text})
        return text

    async def via_wrapper(self, question: str) -> str:
        answer = await research(self.agent, question)
        self.answers.append({"q": question, "a": answer})
        return answer
