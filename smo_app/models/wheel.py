"""Reward wheel (CR8): the prizes with their odds, and one spin per customer per period."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class PrizeKind(StrEnum):
    promo = "promo"  # a personal one-use promo code for ``value`` percent
    bonus = "bonus"  # ``value`` minor units of bonuses
    nothing = "nothing"  # "try again next time"


class WheelPrize(SQLModel, table=True):
    __tablename__ = "wheel_prize"
    __table_args__ = (CheckConstraint("weight >= 0", name="wheel_prize_weight"),
                      CheckConstraint("value >= 0", name="wheel_prize_value"))

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=64)
    kind: str = Field(default=PrizeKind.nothing, max_length=16)
    value: int = 0  # percent for promo, minor units for bonus
    weight: int = 1  # odds = weight / sum(weights of active prizes)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WheelSpin(SQLModel, table=True):
    """A customer's spin in a period; the unique (customer, period) holds "once per period"."""

    __tablename__ = "wheel_spin"
    __table_args__ = (UniqueConstraint("customer_id", "period", name="uq_wheel_spin_customer_period"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    period: str = Field(max_length=16)  # e.g. "2026-11-22" (daily) or "2026-W47" (weekly), shop time
    prize_id: int | None = Field(default=None, foreign_key="wheel_prize.id")
    kind: str = Field(max_length=16)
    label: str = Field(max_length=64)
    value: int = 0
    promo_code: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
