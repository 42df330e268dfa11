"""Stand-ins for the LLM API and the payment provider: the shape of real clients, no network.

Given a tracer, each client records its calls as spans (``llm``/``tool``; input: the call's
arguments, output: the response or the exception), as the production service does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pytest_clearstone.observability import Span, Tracer

CHARGES = {  # the payment provider's (simulated) records
    "ORD-1042": {"amount_cents": 12900, "currency": "EUR", "card": "visa-4242", "expired": True},
    "ORD-1043": {"amount_cents": 4500, "currency": "EUR", "card": "mc-5454", "expired": False},
}


class PaymentError(Exception):
    """The payment provider refused an operation."""


class CardExpiredError(PaymentError):
    """The card the order was paid with has expired: the refund cannot go back to it."""


def _network() -> None:
    time.sleep(0.01 + os.urandom(1)[0] / 255 * 0.04)


@contextmanager
def _traced(tracer: Tracer | None, name: str, span_type: str, inputs: dict[str, Any]
            ) -> Iterator[Span | None]:  # fmt: skip
    if tracer is None:
        yield None
        return
    with tracer.span(name, span_type=span_type) as span:
        span.set_input(inputs)
        yield span


class LLMClient:
    """Completion client for the (simulated) LLM service."""

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.tracer = tracer

    def complete(self, prompt: str, model: str = "acme-reasoning") -> dict[str, Any]:
        """Complete ``prompt``; returns ``{"id", "model", "text"}``."""
        inputs = {"prompt": prompt, "model": model}
        with _traced(self.tracer, "LLMClient.complete", "llm", inputs) as span:
            _network()
            wants = any(w in prompt.lower() for w in ("charged twice", "duplicate", "refund"))
            total = prompt.split("Charge: ", 1)[1].split()[0] if "Charge: " in prompt else "0"
            text = f"APPROVE {total}" if wants else "DENY no refund requested"
            response = {"id": "cmpl-" + os.urandom(6).hex(), "model": model, "text": text}
            if span is not None:
                span.set_output(response)
            return response


class PaymentsClient:
    """Client of the (simulated) payment provider."""

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.tracer = tracer

    def get_charge(self, order_id: str) -> dict[str, Any]:
        """The charge of ``order_id``: amount, currency and card."""
        with _traced(self.tracer, "PaymentsClient.get_charge", "tool",
                     {"order_id": order_id}) as span:  # fmt: skip
            _network()
            charge = {"order_id": order_id, **CHARGES[order_id]}
            del charge["expired"]
            if span is not None:
                span.set_output(charge)
            return charge

    def refund(self, order_id: str, amount_cents: int, reason: str = "duplicate"
               ) -> dict[str, Any]:  # fmt: skip
        """Refund ``amount_cents`` of ``order_id``'s charge to the card; raises
        :class:`CardExpiredError` when that card has expired."""
        inputs = {"order_id": order_id, "amount_cents": amount_cents, "reason": reason}
        with _traced(self.tracer, "PaymentsClient.refund", "tool", inputs) as span:
            _network()
            charge = CHARGES[order_id]
            if charge["expired"]:
                raise CardExpiredError(f"card {charge['card']} has expired; refund refused")
            receipt = {"refund_id": "re_" + os.urandom(6).hex(), "status": "succeeded",
                       "amount_cents": amount_cents}  # fmt: skip
            if span is not None:
                span.set_output(receipt)
            return receipt
