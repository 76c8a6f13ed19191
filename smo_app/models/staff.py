"""Staff accounts, their server-side sessions and sign-in attempts."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, text
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    manager = "manager"
    seller = "seller"


class Channel(StrEnum):
    backoffice = "backoffice"
    pos = "pos"


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    # one Telegram account, one staff member (staff alerts and the bot's staff commands find them by it)
    __table_args__ = (Index("uq_staff_telegram_id", "telegram_id", unique=True,
                            sqlite_where=text("telegram_id IS NOT NULL"),
                            postgresql_where=text("telegram_id IS NOT NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=128)
    role: str = Field(max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    pin_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    telegram_id: int | None = Field(default=None, sa_type=BigInteger)  # Telegram ids are 64-bit
    language: str = Field(default="ru", max_length=2)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A signed-in staff member: the browser holds the token, we keep only its SHA-256."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    channel: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInAttempt(SQLModel, table=True):
    """Every sign-in try; failures in a sliding window drive the lockout."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    username: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    success: bool
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
