"""Inbound webhooks stored raw before anything is applied, and dead letters: events and provider
calls that could not be applied and wait for a person."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow


class WebhookStatus(StrEnum):
    received = "received"  # stored, not applied yet
    processed = "processed"  # applied exactly once
    failed = "failed"  # the last try failed; another try may apply it
    dead = "dead"  # given up: a dead letter says why


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_event"
    __table_args__ = (
        sa.UniqueConstraint("provider", "event_id", name="uq_webhook_event_provider_event_id"),
        sa.CheckConstraint("status IN ('received', 'processed', 'failed', 'dead')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    event_id: str = Field(max_length=128)
    body: str = Field(sa_type=sa.Text)  # exactly as received (decoded UTF-8), for audits and replays
    headers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # an allow-listed subset
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default=WebhookStatus.received, max_length=16, index=True)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=500)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeadLetterResolution(StrEnum):
    dismissed = "dismissed"  # looked at, nothing to do (with a reason)
    applied = "applied"  # applied by hand (e.g. a payment credited to the right order)
    refunded = "refunded"  # money sent back


class DeadLetter(SQLModel, table=True):
    __tablename__ = "dead_letter"
    __table_args__ = (
        sa.CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)", name="resolved_with_resolution"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32, index=True)  # cdek, yookassa, telegram …
    kind: str = Field(max_length=32)  # webhook | call | …
    reference: str | None = Field(default=None, max_length=128)  # event id, order id, outbox id …
    reason: str = Field(max_length=64)  # a stable code, translated in the backoffice when known
    detail: str | None = Field(default=None, max_length=500)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    webhook_event_id: int | None = Field(default=None, foreign_key="webhook_event.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    resolved_by: int | None = Field(default=None, foreign_key="staff.id")
    resolution: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=500)
