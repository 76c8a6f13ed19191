"""Stripe (PaymentIntent): the wire types, field names as Stripe sends them.

``POST /v1/payment_intents`` (form-encoded, ``Idempotency-Key``), ``GET /v1/payment_intents/{id}``,
``POST /v1/refunds``, ``GET /v1/refunds/{id}``; events ``{"id": "evt_…", "object": "event", "type":
"payment_intent.succeeded", "data": {"object": {…}}}`` signed in the ``Stripe-Signature`` header
(``t=…,v1=…``). Refunds are told by ``refund.created`` / ``refund.updated`` / ``refund.failed`` (every
refund since API version 2024-10-28; before it ``charge.refund.updated``), each with the refund
object, and by ``charge.refunded`` with the charge (its ``refunds`` list only in older versions).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from integrations.ports.payment import PaymentPort, ProviderPayment, ProviderRefund

__all__ = ["Charge", "PaymentIntent", "StripeRefund", "PaymentPort", "to_port_status"]

_STATUS = {"succeeded": "succeeded", "canceled": "canceled", "requires_capture": "waiting_for_capture"}
_REFUND_STATUS = {"succeeded": "succeeded", "failed": "canceled", "canceled": "canceled"}  # else pending


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
    payment_intent: str | None = None
    charge: str | None = None
    status: str  # pending | requires_action | succeeded | failed | canceled
    failure_reason: str | None = None  # failed: lost_or_stolen_card, expired_or_canceled_card, unknown …

    def to_port(self) -> ProviderRefund:
        return ProviderRefund(provider="stripe", id=self.id, payment_id=self.payment_intent or "",
                              status=_REFUND_STATUS.get(self.status, "pending"), amount_minor=self.amount,
                              currency=self.currency.upper(),
                              failure_reason=self.failure_reason or (self.status if self.status == "canceled" else None))


class RefundList(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[StripeRefund] = []
    has_more: bool = False


class Charge(BaseModel):
    """The ``charge.refunded`` event's object: which PaymentIntent, and (older API versions) its refunds."""

    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = "charge"
    payment_intent: str | None = None
    amount_refunded: int = 0
    refunds: RefundList | None = None
