"""Broadcasts (CR5): a message to a segment of customers, delivered through the outbox."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

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
    # paid broadcast (Bot API allow_paid_broadcast): up to 1,000 msg/s, 0.1 Star per message from the bot's balance
    paid: bool = False
    stars_cost: int | None = None  # Stars the paid broadcast was started for (recipients × 0.1, rounded up)
