"""What payment screens and callers get back."""
from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel


class FromRow(BaseModel):
    @classmethod
    def of(cls, row) -> Self:
        """The table row as this screen model (its columns read by name)."""
        return cls.model_validate(row, from_attributes=True)


class PaymentOut(FromRow):
    id: int
    order_id: int
    provider: str
    provider_payment_id: str | None
    amount_minor: int
    currency: str
    status: str
    confirmation_url: str | None
    refunded_minor: int
    failure: str | None
    created_at: datetime
    paid_at: datetime | None
    # a manual transfer's screenshot: "waiting" (staff have not decided), "accepted", "rejected"; None: none sent
    proof: str | None = None


class RefundOut(FromRow):
    id: int
    payment_id: int
    order_id: int
    amount_minor: int
    order_minor: int = 0  # what it took off the order's paid total once confirmed
    reason: str
    status: str
    provider_refund_id: str | None
    error: str | None
    created_at: datetime
    done_at: datetime | None


class ApplyOut(BaseModel):
    """What applying a provider's fact did: ``paid`` (credited now), ``already`` (credited before),
    ``dead`` (money not credited: a dead letter and an alert), ``canceled``, ``ignored``."""

    outcome: str
    payment_id: int | None = None
    order_id: int | None = None
    reason: str | None = None
