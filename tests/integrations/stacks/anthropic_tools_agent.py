"""Agents on anthropic's beta tool runner (``client.beta.messages.tool_runner``) with tools made
by ``@beta_tool`` and ``@beta_async_tool``: callable *instances* (``BetaFunctionTool``,
``BetaAsyncFunctionTool``) that the runner reads (``to_dict()``) and calls (``tool.call``)."""

from __future__ import annotations

import json
from typing import Any

from anthropic import beta_async_tool, beta_tool

MODEL = "claude-sonnet-4-5"
SYSTEM = "You are a weather assistant."
#: what the tools add to their answer (a test edits it to change the tools' output)
UNIT = "celsius"


@beta_tool
def get_weather(query: str) -> str:
    """Get the weather for a city.

    Args:
        query: The city name.
    """
    return json.dumps({"city": query, "temp": len(query) * 3, "unit": UNIT})


@beta_async_tool
async def aget_weather(query: str) -> str:
    """Get the weather for a city.

    Args:
        query: The city name.
    """
    return json.dumps({"city": query, "temp": len(query) * 3, "unit": UNIT})


class Forecaster:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.log: list[Any] = []

    def get_state(self) -> dict[str, Any]:
        return {"log": self.log}

    def load_state(self, state: dict[str, Any]) -> None:
        self.log = list(state["log"])

    def forecast(self, question: str) -> str:
        runner = self.client.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=256,
            system=SYSTEM,
            tools=[get_weather],
            messages=[{"role": "user", "content": question}],
        )
        final = runner.until_done()
        self.log.append(final.content[-1].text)
        return self.log[-1]

    async def aforecast(self, question: str) -> str:
        runner = self.client.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=256,
            system=SYSTEM,
            tools=[aget_weather],
            messages=[{"role": "user", "content": question}],
        )
        final = await runner.until_done()
        self.log.append(final.content[-1].text)
        return self.log[-1]
