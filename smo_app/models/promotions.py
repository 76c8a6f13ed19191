"""Promo codes (CR5) and gift certificates (CR6)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class PromoCode(SQLModel, table=True):
    __tablename__ = "promo_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)  # stored upper-case
    pct: int = Field(ge=1, le=100)
    usage_limit: int | None = Field(default=None, ge=1)
    used_count: int = 0  # changed only by a conditional UPDATE
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    once_per_customer: bool = False
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PromoUse(SQLModel, table=True):
    """One counted use of a promo code by an order. ``once_per_customer`` is copied from the code
    when the use is counted, so the database can hold "once per customer": a partial unique index
    on (promo, customer) over those uses."""

    __tablename__ = "promo_use"
    __table_args__ = (
        Index("uq_promo_use_once_per_customer", "promo_id", "customer_id", unique=True,
              sqlite_where=text("once_per_customer"), postgresql_where=text("once_per_customer")),
    )

    id: int | None = Field(default=None, primary_key=True)
    promo_id: int = Field(foreign_key="promo_code.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    order_id: int = Field(foreign_key="order.id", unique=True)
    discount_minor: int = 0
    once_per_customer: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CertificateStatus(StrEnum):
    active = "active"  # can be applied at checkout
    reserved = "reserved"  # applied to an unpaid order; back to active if it is cancelled
    redeemed = "redeemed"  # the order was paid; single use, never again
    void = "void"


class GiftCertificate(SQLModel, table=True):
    __tablename__ = "gift_certificate"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)  # stored upper-case
    face_minor: int = Field(gt=0)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=CertificateStatus.active, max_length=16, index=True)
    order_id: int | None = Field(default=None, index=True)  # no FK: order → certificate already (no cycle)
    redeemed_by_customer_id: int | None = Field(default=None, foreign_key="customer.id")
    redeemed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
