"""ResearchAgent, as in the guide's complete example, with a real(istic) LLM client."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from pytest_clearstone.observability import Tracer

from research_app.llm import LLMClient

llm = LLMClient()


class ResearchAgent:
    """Answers research queries, keeping every query and result in ``memory``.

    Give it a tracer and each LLM call is recorded as an ``llm`` span (input: the prompt,
    output: the response), which is what replay answers ``call_llm`` from.
    """

    tracer: Tracer | None = None  # class default: an agent rehydrated from a checkpoint

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.memory: list[dict[str, Any]] = []
        self.total_cost = 0.0
        if tracer is not None:
            self.tracer = tracer

    def get_state(self) -> dict[str, Any]:
        return {"memory": self.memory, "total_cost": self.total_cost}

    def load_state(self, state: dict[str, Any]) -> None:
        self.memory = list(state["memory"])
        self.total_cost = state["total_cost"]

    def research(self, query: str) -> str:
        """Ask the LLM about ``query``; remember the query and the answer."""
        self.memory.append({"query": query})
        response = self.call_llm(query)
        self.memory.append({"result": response["text"]})
        self.total_cost = round(self.total_cost + response["usage"]["cost_usd"], 6)
        return str(response["text"])

    def call_llm(self, prompt: str) -> dict[str, Any]:
        """The LLM call (the target a replay patches)."""
        tracer = self.tracer
        block: Any = nullcontext() if tracer is None else tracer.span("call_llm", span_type="llm")
        with block as span:
            if span is not None:
                span.set_input({"prompt": prompt})
            response = llm.complete(prompt)
            if span is not None:
                span.set_output(response)
            return response
