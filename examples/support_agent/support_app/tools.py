"""The agent's tools: a knowledge-base search and the ticketing system (simulated services)."""

from __future__ import annotations

import os
import time
from typing import Any

ARTICLES = [
    {
        "id": "kb-101",
        "title": "Duplicate charges",
        "body": "charged twice duplicate payment refund",
    },
    {"id": "kb-102", "title": "Resetting your password", "body": "password reset login email"},
    {"id": "kb-103", "title": "Downloading invoices", "body": "invoice download billing pdf"},
]


def search_kb(query: str, limit: int = 2) -> list[dict[str, str]]:
    """The knowledge-base articles that best match ``query`` (simulated search service)."""
    time.sleep(0.01)
    words = set(query.lower().replace("?", "").split())
    scored = [(len(words & set(a["body"].split())), a) for a in ARTICLES]
    hits = [a for score, a in sorted(scored, key=lambda s: -s[0]) if score > 0][:limit]
    return [{"id": a["id"], "title": a["title"]} for a in hits]


def create_ticket(customer_id: str, summary: str, priority: str = "normal") -> dict[str, Any]:
    """Open a ticket in the (simulated) helpdesk; the service assigns a fresh id."""
    time.sleep(0.02)
    return {
        "id": f"T-{int.from_bytes(os.urandom(2), 'big'):05d}",
        "customer_id": customer_id,
        "summary": summary,
        "priority": priority,
        "status": "open",
    }
