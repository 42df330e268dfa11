"""The ResearchAgent of the "Time-Travel Debugging" guide (docs/index.md), calling a
module-level LLM function that tests can trace.

``call_llm`` is looked up in this module's globals at call time, so a test can replace it with a
traced version (``tracer.traced(span_type="llm")(call_llm)``) and a replay can patch it with the
recorded answers (mock target ``cs_research_agent.call_llm``).
"""

from __future__ import annotations

from typing import Any

#: Prompts that reached the live function (a replay must not add to it).
LIVE_CALLS: list[str] = []


def call_llm(prompt: str) -> str:
    """The "live" model: records the call and answers deterministically."""
    LIVE_CALLS.append(prompt)
    return f"Answer to: {prompt}"


class ResearchAgent:
    """The guide's complete example agent."""

    def __init__(self) -> None:
        self.memory: list[dict[str, Any]] = []
        self.total_cost = 0.0

    def get_state(self) -> dict[str, Any]:
        return {"memory": self.memory, "total_cost": self.total_cost}

    def load_state(self, state: dict[str, Any]) -> None:
        self.memory = state["memory"]
        self.total_cost = state["total_cost"]

    def research(self, query: str) -> str:
        self.memory.append({"query": query})
        result = call_llm(query)
        self.memory.append({"result": result})
        self.total_cost += 0.01
        return result

    def research_swallowing(self, query: str) -> str:
        """Like :meth:`research`, but hides every error (as some agents do)."""
        try:
            return self.research(query)
        except Exception:
            return "fallback"


class SimpleAgent:
    """No get_state/load_state: its ``__dict__`` is captured."""

    def __init__(self) -> None:
        self.memory: list[Any] = []
        self.count = 0

    def step(self, text: str) -> int:
        self.memory.append(text)
        self.count += 1
        return self.count
