"""A pydantic-ai agent on ``OpenAIChatModel`` whose provider's ``httpx2.AsyncClient`` is answered
by the fake OpenAI service.

Mock targets used by the tests: ``pydantic_ai.models.openai.OpenAIChatModel.request`` (async),
``pydantic_ai.models.openai.OpenAIChatModel.request_stream`` (an async context manager), the
user wrapper ``pydantic_ai_agent.research`` and the tool backend ``pydantic_ai_agent.lookup``.

A model whose name contains ``busy`` is answered 429: ``OpenAIChatModel.request`` raises
``ModelHTTPError`` (also a ``ModelRateLimitError``). The OpenAI SDK under it would retry a 429
twice, honouring ``retry-after`` (20 s), so the busy model has ``max_retries=0`` in its settings
(pydantic-ai hands it to the SDK client). Two fallbacks: the agent's own ``except ModelHTTPError``
and pydantic-ai's ``FallbackModel``.
"""

from __future__ import annotations

from typing import Any

import services
from pydantic_ai import Agent, ModelHTTPError, ModelRateLimitError
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

MODEL = "gpt-4o-mini"
BUSY_MODEL = "gpt-4o-busy"  # the fake service answers 429 for it
SYSTEM = "You are a friendly museum guide."


def make_model(name: str = MODEL) -> OpenAIChatModel:
    """The key comes from OPENAI_API_KEY."""
    provider = OpenAIProvider(http_client=services.OPENAI.async_client())
    return OpenAIChatModel(name, provider=provider)


def make_busy_model() -> OpenAIChatModel:
    """A model the service answers 429, with no SDK retry (it would wait out retry-after)."""
    provider = OpenAIProvider(http_client=services.OPENAI.async_client())
    return OpenAIChatModel(BUSY_MODEL, provider=provider, settings={"max_retries": 0})


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
        self.answers.append(
            {
                "q": question,
                "a": result.output,
                "tokens": result.usage.total_tokens,
                "messages": [type(m).__name__ for m in result.all_messages()],
            }
        )
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

    def ask_with_fallback(self, question: str) -> str:
        """A busy model first (429, no SDK retry); on a rate limit, this guide's own agent."""
        busy = Agent(make_busy_model(), system_prompt=SYSTEM)
        try:
            result = busy.run_sync(question)
        except ModelHTTPError as exc:
            self.answers.append(
                {
                    "q": question,
                    "error": exc.status_code,
                    "rate_limit": isinstance(exc, ModelRateLimitError),
                    "model": exc.model_name,
                }
            )
            result = self.agent.run_sync(question)
        self.answers.append(
            {
                "q": question,
                "a": result.output,
                "messages": [type(m).__name__ for m in result.all_messages()],
            }
        )
        return result.output

    def ask_fallback_model(self, question: str) -> str:
        """pydantic-ai's ``FallbackModel``: the busy model first, then this guide's model."""
        agent = Agent(FallbackModel(make_busy_model(), self.agent.model), system_prompt=SYSTEM)
        result = agent.run_sync(question)
        self.answers.append(
            {
                "q": question,
                "a": result.output,
                "model": result.response.model_name,
                "messages": [type(m).__name__ for m in result.all_messages()],
            }
        )
        return result.output

    async def via_wrapper(self, question: str) -> str:
        answer = await research(self.agent, question)
        self.answers.append({"q": question, "a": answer})
        return answer


class ClientGuide:
    """Keeps only its SDK client in ``self.client`` and builds the pydantic-ai agent per run;
    no ``get_state()``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.answers: list[str] = []

    def ask(self, question: str) -> str:
        model = OpenAIChatModel(MODEL, provider=OpenAIProvider(openai_client=self.client))
        result = make_agent(model).run_sync(question)
        self.answers.append(result.output)
        return result.output


class PlainGuide:
    """Keeps its ``pydantic_ai.Agent`` in ``self.agent``; no ``get_state()``."""

    def __init__(self, model: Any) -> None:
        self.agent = make_agent(model)
        self.answers: list[str] = []

    def ask(self, question: str) -> str:
        result = self.agent.run_sync(question)
        self.answers.append(result.output)
        return result.output
