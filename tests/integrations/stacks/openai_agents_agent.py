"""An agent on the OpenAI Agents SDK (``openai-agents``): ``agents.Agent`` run by ``Runner`` on
``OpenAIResponsesModel`` over an ``openai.AsyncOpenAI`` whose HTTP the fake service answers.

Mock target: ``openai.resources.responses.AsyncResponses.create``.
"""

from __future__ import annotations

import openai
import services
from agents import Agent, OpenAIResponsesModel, Runner

INSTRUCTIONS = "You are a concise travel assistant."


def make_agent() -> Agent:
    client = openai.AsyncOpenAI(http_client=services.OPENAI.async_client(), max_retries=0)
    return Agent(
        name="Travel",
        instructions=INSTRUCTIONS,
        model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
    )


def ask(question: str) -> str:
    return str(Runner.run_sync(make_agent(), question).final_output)


async def ask_streamed(question: str) -> tuple[str, int]:
    """``Runner.run_streamed``: the final output and the number of text deltas streamed."""
    result = Runner.run_streamed(make_agent(), question)
    deltas = 0
    async for event in result.stream_events():
        if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
            deltas += 1
    return str(result.final_output), deltas
