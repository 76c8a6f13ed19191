"""The bot sidecar's heartbeat and the one-time codes that link a staff member's Telegram account."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class SidecarMode(StrEnum):
    online = "online"  # polling Telegram and sending the outbox
    offline = "offline"  # running without a bot token: jobs run, messages wait


class SidecarHeartbeat(SQLModel, table=True):
    """One row per running sidecar instance, updated every few seconds (never holds the token)."""

    __tablename__ = "sidecar_heartbeat"

    instance: str = Field(primary_key=True, max_length=64)
    mode: str = Field(max_length=16)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class StaffLinkCode(SQLModel, table=True):
    """A one-time code a staff member sends to the bot (``/start staff_<code>``); only its SHA-256 is kept."""

    __tablename__ = "staff_link_code"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_telegram_id: int | None = Field(default=None, sa_type=sa.BigInteger)
