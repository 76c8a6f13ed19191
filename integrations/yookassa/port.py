"""YooKassa API v3: the wire types (field names are YooKassa's own) and the shop's payment port.

``POST /v3/payments`` (``Idempotence-Key`` required), ``GET /v3/payments/{id}``, ``POST /v3/refunds``,
``GET /v3/refunds/{id}``. Sums travel as ``{"value": "123.45", "currency": "RUB"}``; notifications are
``{"type": "notification", "event": "payment.succeeded", "object": {…payment…}}`` (``refund.succeeded``
carries the refund object) and are not signed, so the shop trusts one only after fetching the
payment or refund back.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from integrations.ports.payment import PaymentPort, ProviderPayment, ProviderRefund, value_to_minor

__all__ = ["Amount", "Confirmation", "YooPayment", "YooRefund", "Notification", "PaymentPort"]


class Amount(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str
    currency: str = "RUB"

    @property
    def minor(self) -> int:
        return value_to_minor(self.value)


class Confirmation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    confirmation_url: str | None = None  # redirect
    confirmation_data: str | None = None  # qr (an SBP link to show as a QR code)
    return_url: str | None = None


class CancellationDetails(BaseModel):
    model_config = ConfigDict(extra="ignore")

    party: str
    reason: str


class YooPayment(BaseModel):
    """A payment object (answer of create/get, and ``object`` of a payment notification)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: str  # pending | waiting_for_capture | succeeded | canceled
    paid: bool = False
    amount: Amount
    confirmation: Confirmation | None = None
    created_at: str | None = None
    description: str | None = None
    metadata: dict[str, str] = {}
    cancellation_details: CancellationDetails | None = None
    refundable: bool = False
    test: bool = False

    def to_port(self) -> ProviderPayment:
        meta = self.metadata or {}
        url = None
        if self.confirmation is not None:
            url = self.confirmation.confirmation_url or self.confirmation.confirmation_data
        return ProviderPayment(
            provider="yookassa", id=self.id, status=self.status, amount_minor=self.amount.minor,
            currency=self.amount.currency, confirmation_url=url,
            order_id=int(meta["order_id"]) if str(meta.get("order_id", "")).isdigit() else None,
            payment_id=int(meta["payment_id"]) if str(meta.get("payment_id", "")).isdigit() else None,
            cancellation_reason=self.cancellation_details.reason if self.cancellation_details else None)


class YooRefund(BaseModel):
    """A refund object (answer of create/get, and ``object`` of a ``refund.succeeded`` notification)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    payment_id: str
    status: str  # pending | succeeded | canceled
    amount: Amount
    created_at: str | None = None
    description: str | None = None
    cancellation_details: CancellationDetails | None = None  # canceled: who and why

    def to_port(self) -> ProviderRefund:
        status = self.status if self.status in ("pending", "succeeded", "canceled") else "pending"
        return ProviderRefund(provider="yookassa", id=self.id, payment_id=self.payment_id, status=status,
                              amount_minor=self.amount.minor, currency=self.amount.currency,
                              failure_reason=self.cancellation_details.reason if self.cancellation_details else None)


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    event: str
    object: dict
