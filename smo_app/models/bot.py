"""Tables of the bot sidecar: broadcasts, tracking links and their clicks, job leases, error reports."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, UniqueConstraint

from smo_app.models.base import UTCDateTime, utcnow


class BroadcastStatus(StrEnum):
    draft = "draft"  # created, not started; preview allowed
    running = "running"  # recipients materialised as outbox rows; the sender delivers them
    paused = "paused"  # outbox rows kept pending; the sender skips them
    cancelled = "cancelled"  # remaining rows skipped
    finished = "finished"  # nothing left to send


class Segment(StrEnum):
    all = "all"
    with_orders = "with_orders"
    new = "new"  # first seen within segment_days
    wholesale = "wholesale"


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_kind: str = Field(default="system", max_length=16)
    created_by_id: int | None = None
    text: str | None = Field(default=None, max_length=4096)
    photo: str | None = Field(default=None, max_length=500)
    button_text: str | None = Field(default=None, max_length=64)
    button_url: str | None = Field(default=None, max_length=500)
    segment: str = Field(default=Segment.all, max_length=16)
    segment_days: int | None = None
    status: str = Field(default=BroadcastStatus.draft, max_length=16, index=True)
    total: int = 0  # recipients materialised at start
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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
    telegram_id: int = Field(sa_type=BigInteger)  # Telegram ids are 64-bit
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    is_new: bool = False
    first_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobLease(SQLModel, table=True):
    """A named lease: whoever holds an unexpired row runs that job (sender, scheduler jobs)."""

    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ErrorReport(SQLModel, table=True):
    """Throttle for error reports to the owner: one per distinct error per hour."""

    __tablename__ = "error_report"

    fingerprint: str = Field(primary_key=True, max_length=64)
    summary: str = Field(default="", max_length=500)
    count: int = 0
    first_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
