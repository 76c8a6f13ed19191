"""Stripe (PaymentIntent): the wire types, field names as Stripe sends them.

``POST /v1/payment_intents`` (form-encoded, ``Idempotency-Key``), ``GET /v1/payment_intents/{id}``,
``POST /v1/refunds``; events ``{"id": "evt_…", "object": "event", "type": "payment_intent.succeeded",
"data": {"object": {…}}}`` signed in the ``Stripe-Signature`` header (``t=…,v1=…``).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from integrations.payment_port import PaymentPort, ProviderPayment

__all__ = ["PaymentIntent", "StripeRefund", "PaymentPort", "to_port_status"]

_STATUS = {"succeeded": "succeeded", "canceled": "canceled", "requires_capture": "waiting_for_capture"}


def to_port_status(status: str) -> str:
    return _STATUS.get(status, "pending")


class PaymentIntent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = "payment_intent"
    amount: int
    amount_received: int = 0
    currency: str
    status: str
    client_secret: str | None = None
    metadata: dict[str, str] = {}
    cancellation_reason: str | None = None

    def to_port(self) -> ProviderPayment:
        meta = self.metadata or {}
        return ProviderPayment(
            provider="stripe", id=self.id, status=to_port_status(self.status),
            amount_minor=self.amount_received if self.status == "succeeded" and self.amount_received else self.amount,
            currency=self.currency.upper(), confirmation_url=None,
            order_id=int(meta["order_id"]) if str(meta.get("order_id", "")).isdigit() else None,
            payment_id=int(meta["payment_id"]) if str(meta.get("payment_id", "")).isdigit() else None,
            cancellation_reason=self.cancellation_reason)


class StripeRefund(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = "refund"
    amount: int
    currency: str
    payment_intent: str
    status: str  # pending | requires_action | succeeded | failed | canceled
