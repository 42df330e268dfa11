"""SupportAgent: searches the knowledge base, lets the LLM decide, opens tickets, replies."""

from __future__ import annotations

import time
import uuid
from typing import Any

from support_app import tools
from support_app.clients import LLMClient

MODEL = "acme-support-small"

TRIAGE_PROMPT = """Decide the next action for Acme Cloud support.
Customer says: {message}
Knowledge base:
{articles}
Answer with one line: ACTION <create_ticket|reply> PRIORITY <low|normal|high>"""

REPLY_PROMPT = """Write a short, friendly reply to the customer.
Customer says: {message}
Ticket: {ticket}
Knowledge base:
{articles}"""


class SupportAgent:
    """Handles one customer's messages. Its state: the conversation, tickets and token usage."""

    def __init__(self, customer_id: str = "cus_1042", llm: LLMClient | None = None) -> None:
        self.customer_id = customer_id
        self.llm = llm or LLMClient()
        self.messages: list[dict[str, Any]] = []
        self.tickets: list[str] = []
        self.total_tokens = 0

    def get_state(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "messages": self.messages,
            "tickets": self.tickets,
            "total_tokens": self.total_tokens,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.customer_id = state["customer_id"]
        self.messages = list(state["messages"])
        self.tickets = list(state["tickets"])
        self.total_tokens = state["total_tokens"]
        if "llm" not in vars(self):  # rehydrated from a checkpoint, without __init__
            self.llm = LLMClient()

    def handle(self, message: str) -> str:
        """Answer one customer message, opening a ticket when the LLM says so."""
        self._log("customer", message)
        hits = tools.search_kb(message)
        articles = "\n".join(f"- {a['title']} ({a['id']})" for a in hits) or "- none"
        decision = self._complete(TRIAGE_PROMPT.format(message=message, articles=articles))
        _, action, _, priority = decision["text"].split()
        ticket = "none"
        if action == "create_ticket":
            created = tools.create_ticket(self.customer_id, summary=message, priority=priority)
            ticket = created["id"]
            self.tickets.append(ticket)
        reply = self._complete(
            REPLY_PROMPT.format(message=message, ticket=ticket, articles=articles)
        )
        self._log("agent", reply["text"], response_id=reply["id"])
        return str(reply["text"])

    def _complete(self, prompt: str) -> dict[str, Any]:
        response = self.llm.complete(prompt, model=MODEL)
        self.total_tokens += sum(response["usage"].values())
        return response

    def _log(self, role: str, content: str, **extra: Any) -> None:
        self.messages.append(
            {"id": str(uuid.uuid4()), "at": time.time(), "role": role, "content": content, **extra}
        )
