"""Stripe (Checkout Session, PaymentIntent): the wire types, field names as Stripe sends them.

A payment is a Checkout Session: ``POST /v1/checkout/sessions`` (form-encoded, ``mode=payment``,
``line_items[0][price_data][…]``, ``success_url``/``cancel_url``, ``metadata``, ``Idempotency-Key``)
answers ``{"id": "cs_…", "object": "checkout.session", "url": …, "status": "open", "payment_status":
"unpaid", "amount_total": …, "currency": …, "payment_intent": null, "metadata": {…}}``; the customer
pays on its ``url``; ``checkout.session.completed`` (``payment_status`` ``paid``) /
``checkout.session.async_payment_succeeded`` / ``checkout.session.expired`` carry the session;
``GET /v1/checkout/sessions/{id}`` reads it again (its ``payment_intent`` is set once paid).
Payments made before sessions are PaymentIntents:
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

__all__ = ["Charge", "CheckoutSession", "PaymentIntent", "StripeRefund", "PaymentPort", "to_port_status"]

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
        return ProviderPayment(
            provider="stripe", id=self.id, status=to_port_status(self.status),
            amount_minor=self.amount_received if self.status == "succeeded" and self.amount_received else self.amount,
            currency=self.currency.upper(), confirmation_url=None,
            cancellation_reason=self.cancellation_reason, **_our_ids(self.metadata))


def _our_ids(meta: dict[str, str] | None) -> dict[str, int | None]:
    meta = meta or {}
    return {key: int(meta[key]) if str(meta.get(key, "")).isdigit() else None for key in ("order_id", "payment_id")}


class CheckoutSession(BaseModel):
    """A Checkout Session in ``mode=payment``: ``status`` open | complete | expired, ``payment_status``
    paid | unpaid | no_payment_required; ``url`` is Stripe's hosted page while the session is open."""

    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = "checkout.session"
    url: str | None = None
    status: str | None = None
    payment_status: str = "unpaid"
    amount_total: int | None = None
    currency: str | None = None
    payment_intent: str | None = None
    metadata: dict[str, str] = {}

    def to_port(self) -> ProviderPayment:
        if self.payment_status in ("paid", "no_payment_required"):
            status = "succeeded"
        else:
            status = "canceled" if self.status == "expired" else "pending"
        return ProviderPayment(provider="stripe", id=self.id, status=status, amount_minor=self.amount_total or 0,
                               currency=(self.currency or "").upper(),
                               confirmation_url=self.url if status == "pending" else None,
                               cancellation_reason="expired" if status == "canceled" else None,
                               **_our_ids(self.metadata))


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
    metadata: dict[str, str] = {}  # ours: checkout_session names the session a shop's refund is of

    def to_port(self) -> ProviderRefund:
        paid_by = (self.metadata or {}).get("checkout_session") or self.payment_intent or ""
        return ProviderRefund(provider="stripe", id=self.id, payment_id=paid_by,
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
