"""Stand-ins for a document search API, a reranking service and an LLM API (no network).

Their latencies are real (``time.sleep``), and the reranker is the slow one: 60 ms plus 15 ms
per document, the kind of step a trace store shows you.
"""

from __future__ import annotations

import os
import time
from typing import Any

CORPUS = {
    "churn": ["Q3 churn rose 2.1 points", "Churn is highest on monthly plans",
              "Exit surveys cite pricing", "Annual plans churn 4x less"],
    "pricing": ["The Pro tier was repriced in July", "Discounts drive 30% of upgrades"],
}  # fmt: skip


def fetch_documents(topic: str) -> list[dict[str, Any]]:
    """Search the document store for ``topic``."""
    time.sleep(0.01)
    key = next((k for k in CORPUS if k in topic.lower()), "")
    return [{"doc_id": f"{key}-{i}", "text": t} for i, t in enumerate(CORPUS.get(key, []))]


def rerank(query: str, documents: list[dict[str, Any]]) -> list[str]:
    """The reranking service: document ids, most relevant first (slow)."""
    time.sleep(0.06 + 0.015 * len(documents))
    words = set(query.lower().split())
    scored = sorted(documents, key=lambda d: -len(words & set(d["text"].lower().split())))
    return [d["doc_id"] for d in scored]


class LLMClient:
    """Completion client for the (simulated) LLM service."""

    live_calls = 0

    def complete(self, prompt: str, model: str = "acme-writer") -> dict[str, Any]:
        """Complete ``prompt``; returns ``{"id", "model", "text"}``."""
        LLMClient.live_calls += 1
        time.sleep(0.01 + os.urandom(1)[0] / 255 * 0.04)
        bullets = [line[2:] for line in prompt.splitlines() if line.startswith("- ")]
        text = "Summary: " + "; ".join(bullets[:2]) + "." if bullets else "Summary: no sources."
        return {"id": "cmpl-" + os.urandom(6).hex(), "model": model, "text": text}
