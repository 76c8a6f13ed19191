"""Tracking links (CR4) and their unique visitors."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, UniqueConstraint

from smo_app.models.base import UTCDateTime, utcnow


class TrackingLink(SQLModel, table=True):
    """CR4: ``t.me/<bot>?start=link_<code>``; clicks and unique users counted on /start."""

    __tablename__ = "tracking_link"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    title: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    clicks: int = 0


class TrackingVisitor(SQLModel, table=True):
    """One row per (link, Telegram user): the unique users of a link; ``is_new`` = first /start ever."""

    __tablename__ = "tracking_visitor"
    __table_args__ = (UniqueConstraint("link_id", "telegram_id", name="uq_tracking_visitor_link_user"),)

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="tracking_link.id", index=True)
    telegram_id: int = Field(sa_type=BigInteger)  # Telegram user ids are 64-bit
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    is_new: bool = False
    first_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
