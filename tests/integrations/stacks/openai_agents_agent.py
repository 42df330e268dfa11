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


def lookup_fare(route: str) -> str:
    """The fares service a tool asks (not called by the fake service's answers)."""
    return f"{route}: 42 EUR"


async def ask_streamed_with_tools(question: str) -> str:
    """``Runner.run_streamed`` of an agent with a ``@function_tool`` and a handoff: the model's
    calls carry the SDK's ``FunctionTool`` and ``Handoff``, each holding the function that runs
    it (and the agent handed to, by weak reference) beside what the model is sent."""
    from agents import function_tool

    @function_tool
    def fare(route: str) -> str:
        """The fare of a ferry route."""
        return lookup_fare(route)

    bookings = Agent(name="Bookings", instructions="You book ferries.", model=make_agent().model)
    agent = make_agent().clone(tools=[fare], handoffs=[bookings])
    result = Runner.run_streamed(agent, question)
    async for _ in result.stream_events():
        pass
    return str(result.final_output)
