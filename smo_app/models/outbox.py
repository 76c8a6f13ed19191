"""Outbox: side effects written in the same transaction as the change that causes them."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting to be sent (also while no bot token is configured)
    sending = "sending"  # claimed by a sender; the in-flight window
    sent = "sent"
    failed = "failed"  # will be retried at next_attempt_at
    dead = "dead"  # gave up; last_error says why
    skipped = "skipped"  # recipient unreachable (blocked the bot)


class Outbox(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=32, index=True)  # e.g. order_status, broadcast, staff_alert
    chat_id: int = Field(index=True, sa_type=BigInteger)  # 64-bit: users above 2**31, supergroups -100…
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    payload: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=128, unique=True)
    status: str = Field(default=OutboxStatus.pending, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    telegram_message_id: int | None = None
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
