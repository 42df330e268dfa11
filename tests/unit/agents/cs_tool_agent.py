"""An agent whose methods call every kind of tool in :mod:`cs_tools` (all patched in replay)."""

from __future__ import annotations

from typing import Any

import cs_tools


class ToolAgent:
    def __init__(self) -> None:
        self.memory: list[Any] = []

    def lookup(self, query: str) -> Any:
        result = cs_tools.fetch(query)
        self.memory.append(result)
        return result

    def lookup_twice(self, first: str, second: str) -> list[Any]:
        return [cs_tools.fetch(first), cs_tools.fetch(second)]

    def lookup_swallowing(self, query: str) -> Any:
        try:
            return cs_tools.fetch(query)
        except Exception as exc:  # the kind of agent code that hides replay errors
            return f"fallback ({type(exc).__name__})"

    def both_tools(self, query: str) -> Any:
        return cs_tools.fetch(query), cs_tools.second_tool(1)

    def ask(self, prompt: str) -> str:
        return cs_tools.client.complete(prompt, temperature=0.5)

    def ask_new_client(self, prompt: str) -> str:
        return cs_tools.Client("other").complete(prompt)

    def ping_and_create(self) -> tuple[str, str, str]:
        return (
            cs_tools.Client.ping("h1"),
            cs_tools.client.ping("h2"),
            cs_tools.Client.create("m"),
        )

    async def alookup(self, query: str) -> str:
        return await cs_tools.afetch(query)

    def stream_answer(self, prompt: str) -> str:
        return "".join(cs_tools.stream(prompt))

    async def astream_answer(self, prompt: str) -> str:
        return "".join([chunk async for chunk in cs_tools.astream(prompt)])

    def numbered(self) -> Any:
        for i in range(2):
            yield cs_tools.fetch(str(i))

    async def anumbered(self) -> Any:
        for i in range(2):
            yield cs_tools.fetch(str(i))
