"""RefundAgent: looks up the charge, asks the LLM for a decision, refunds or issues credit."""

from __future__ import annotations

from typing import Any

from refund_app.clients import LLMClient, PaymentError, PaymentsClient

PROMPT = """You decide refund requests for Acme Shop.
Customer says: {message}
Charge: {amount} {currency}
Answer APPROVE <amount> or DENY <reason>."""


class RefundAgent:
    """Handles refund requests. State: the refunds made and the store credit issued."""

    def __init__(self, llm: LLMClient | None = None, payments: PaymentsClient | None = None
                 ) -> None:  # fmt: skip
        self.llm = llm or LLMClient()
        self.payments = payments or PaymentsClient()
        self.refunds: list[dict[str, Any]] = []
        self.store_credit_cents = 0

    def get_state(self) -> dict[str, Any]:
        return {"refunds": self.refunds, "store_credit_cents": self.store_credit_cents}

    def load_state(self, state: dict[str, Any]) -> None:
        self.refunds = list(state["refunds"])
        self.store_credit_cents = state["store_credit_cents"]
        if "llm" not in vars(self):  # rehydrated from a checkpoint, without __init__
            self.llm, self.payments = LLMClient(), PaymentsClient()

    def process_refund(self, order_id: str, message: str) -> str:
        """Decide and carry out the refund of ``order_id``; return the reply to the customer."""
        charge = self.payments.get_charge(order_id)
        prompt = PROMPT.format(message=message, amount=f"{charge['amount_cents'] / 100:.2f}",
                               currency=charge["currency"])  # fmt: skip
        verdict, detail = self.llm.complete(prompt)["text"].split(" ", 1)
        if verdict != "APPROVE":
            return f"We could not approve this refund: {detail}."
        cents = round(float(detail) * 100)
        try:
            receipt = self.payments.refund(order_id, cents)
        except PaymentError as exc:
            return self._on_payment_error(order_id, cents, exc)
        self.refunds.append({"order_id": order_id, "refund_id": receipt["refund_id"]})
        return f"Refunded {detail} {charge['currency']} to your card ({receipt['refund_id']})."

    def _on_payment_error(self, order_id: str, cents: int, exc: PaymentError) -> str:
        # The fix for incident ORD-1042 (goldens/incident_ORD-1042.ckpt): before it, a refused
        # refund escaped as an exception and the customer got an error page.
        self.store_credit_cents += cents
        return (
            f"Your card could not take the refund ({exc}), so we added {cents / 100:.2f} as "
            "store credit to your account."
        )
