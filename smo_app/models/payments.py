"""Payments (PA1–PA4): one row per attempt to pay an order through a provider, its refunds, the
customer's proof for a manual transfer, and the reconciliation log.

The database holds the money rules: a payment is unique by its idempotency key (derived from our
own ids) and by (provider, provider payment id); at most one payment per order is ``succeeded``
(a partial unique index), so a replayed or concurrent notification can never credit twice.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class PaymentProvider(StrEnum):
    yookassa = "yookassa"  # YooKassa API v3: redirect or QR confirmation
    stripe = "stripe"  # Stripe PaymentIntent
    telegram = "telegram"  # Telegram Payments through a payment provider token
    stars = "stars"  # Telegram Stars (XTR)
    manual = "manual"  # a transfer the customer proves with a screenshot; staff confirm


class PaymentStatus(StrEnum):
    pending = "pending"  # created; waiting for the customer or the provider
    succeeded = "succeeded"  # money received and credited to the order (once)
    unmatched = "unmatched"  # money received but not credited (order cancelled, already paid, sums differ): a dead letter offers a refund
    canceled = "canceled"  # the provider cancelled or it expired: no money moved
    rejected = "rejected"  # a manual proof staff refused
    refunded = "refunded"  # the whole amount went back


class RefundStatus(StrEnum):
    pending = "pending"  # recorded; the provider call waits in the outbox, or the provider has not finished
    succeeded = "succeeded"  # the provider confirmed it
    failed = "failed"  # the provider refused it (a dead letter says why)


PAYMENT_STATUSES = tuple(s.value for s in PaymentStatus)
REFUND_STATUSES = tuple(s.value for s in RefundStatus)
PAYMENT_PROVIDERS = tuple(p.value for p in PaymentProvider)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_payment_id", name="uq_payment_provider_payment_id"),
        sa.CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),
        sa.CheckConstraint(_in("provider", PAYMENT_PROVIDERS), name="provider"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"),
        sa.Index("uq_payment_one_succeeded_per_order", "order_id", unique=True,
                 sqlite_where=sa.text("status = 'succeeded'"), postgresql_where=sa.text("status = 'succeeded'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    provider: str = Field(max_length=16, index=True)
    provider_payment_id: str | None = Field(default=None, max_length=128)
    idempotency_key: str = Field(max_length=64, unique=True)  # derived from (order, provider, attempt)
    attempt: int = 1
    amount_minor: int
    currency: str = Field(default="RUB", max_length=3)
    status: str = Field(default=PaymentStatus.pending, max_length=16, index=True)
    confirmation_url: str | None = Field(default=None, max_length=2000)  # redirect / invoice link / QR data
    refunded_minor: int = 0
    failure: str | None = Field(default=None, max_length=64)  # a reason code when not credited
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Refund(SQLModel, table=True):
    __tablename__ = "payment_refund"
    __table_args__ = (
        sa.CheckConstraint(_in("status", REFUND_STATUSES), name="status"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    amount_minor: int  # in the payment's currency (kopecks; stars for Telegram Stars)
    # what the confirmed refund took off the order's paid total (kopecks; 0 while pending, and for
    # a payment that was never credited to the order)
    order_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reason: str = Field(max_length=500)
    status: str = Field(default=RefundStatus.pending, max_length=16, index=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    provider_refund_id: str | None = Field(default=None, max_length=128, index=True)  # refund webhooks look it up
    error: str | None = Field(default=None, max_length=500)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PaymentProof(SQLModel, table=True):
    """The customer's screenshot of a manual transfer (one per manual payment)."""

    __tablename__ = "payment_proof"

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", unique=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=64)
    content: bytes = Field(sa_type=sa.LargeBinary)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="staff.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=500)


class ReconciliationRun(SQLModel, table=True):
    """One pass of the reconciliation job: what it asked the providers and what it changed."""

    __tablename__ = "payment_reconciliation"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked: int = 0
    applied: int = 0
    expired: int = 0
    errors: int = 0
    # refunds still pending at the provider that this pass asked about, and those it settled
    # (confirmed or failed)
    refunds_checked: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    refunds_done: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    note: str | None = Field(default=None, max_length=500)
