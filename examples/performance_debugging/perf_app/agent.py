"""ReportAgent: fetch documents, rerank them, have the LLM summarise the best ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_clearstone.observability import Tracer

from perf_app import services


class ReportAgent:
    """Writes short reports. Given a tracer, each step is recorded as a typed span."""

    tracer: Tracer | None = None  # class default: an agent rehydrated from a checkpoint

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.reports: list[dict[str, Any]] = []
        self.llm = services.LLMClient()
        if tracer is not None:
            self.tracer = tracer

    def get_state(self) -> dict[str, Any]:
        return {"reports": self.reports}

    def load_state(self, state: dict[str, Any]) -> None:
        self.reports = list(state["reports"])
        if "llm" not in vars(self):  # rehydrated from a checkpoint, without __init__
            self.llm = services.LLMClient()

    def build_report(self, topic: str) -> str:
        """A two-source summary of ``topic``."""
        documents = self._step("fetch_documents", "tool", services.fetch_documents, topic)
        ranking = self._step("rerank", "tool", services.rerank, topic, documents)
        best = [d["text"] for d in sorted(documents, key=lambda d: ranking.index(d["doc_id"]))]
        prompt = f"Summarise for a report on {topic}:\n" + "\n".join(f"- {t}" for t in best[:2])
        response = self._step("summarize", "llm", self.llm.complete, prompt)
        self.reports.append({"topic": topic, "sources": ranking[:2], "text": response["text"]})
        return str(response["text"])

    def _step(self, name: str, span_type: str, fn: Callable[..., Any], *args: Any) -> Any:
        if self.tracer is None:
            return fn(*args)
        with self.tracer.span(name, span_type=span_type) as span:
            span.set_input({"args": list(args)})
            result = fn(*args)
            span.set_output(result)
            return result
