"""Outbox: side effects written in the same transaction as the change that causes them.

A row is either a Telegram message (``lane = telegram``: text, a photo or a document for
``chat_id``) or a task (``lane = task``: a provider call, an after-commit subscriber, … run by a
registered handler with ``payload``). Files sent as uploads are kept in ``outbox_blob``.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, LargeBinary
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting to be sent (also while no bot token is configured)
    sending = "sending"  # claimed by a sender or worker; the in-flight window
    sent = "sent"  # delivered (a message) or done (a task)
    failed = "failed"  # will be retried at next_attempt_at
    dead = "dead"  # gave up; last_error says why
    skipped = "skipped"  # recipient unreachable (blocked the bot)
    expired = "expired"  # no longer meaningful (past expires_at, or its order moved on): not sent


class OutboxLane(StrEnum):
    telegram = "telegram"  # delivered by the paced Telegram sender
    task = "task"  # run by the task worker through a registered handler; not bound to Telegram pacing


class Outbox(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    lane: str = Field(default=OutboxLane.telegram, max_length=16, index=True)
    kind: str = Field(max_length=32, index=True)  # e.g. order_status, broadcast, staff_alert, payment.capture
    chat_id: int | None = Field(default=None, sa_type=BigInteger, index=True)  # Telegram rows only
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    payload: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=128, unique=True)
    status: str = Field(default=OutboxStatus.pending, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # not sent after this
    order_id: int | None = Field(default=None, index=True)  # the order a message is about (expires with it)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    telegram_message_id: int | None = None
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)


class OutboxBlob(SQLModel, table=True):
    """The bytes of a document or photo upload queued in the outbox (one per row, deleted with it)."""

    __tablename__ = "outbox_blob"

    outbox_id: int = Field(foreign_key="outbox.id", primary_key=True, ondelete="CASCADE")
    filename: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
