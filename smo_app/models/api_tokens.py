"""Staff API tokens (IN7) and the answers remembered for idempotency keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class ApiToken(SQLModel, table=True):
    """A named token an integration sends as ``Authorization: Bearer …``; we keep only its SHA-256.
    It acts as ``staff_id`` with at most ``scopes`` (comma-separated), until ``expires_at``."""

    __tablename__ = "api_token"
    # one token of a name until it is revoked (the screen's list and the audit name tokens by it)
    __table_args__ = (Index("uq_api_token_name_unrevoked", "name", unique=True,
                            sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)  # the secret's first characters, to recognise it in the list
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="staff.id")
    scopes: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiIdempotency(SQLModel, table=True):
    """The first answer to a POST with an ``Idempotency-Key``: a repeat with the same key gets it again."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id", index=True)
    key: str = Field(max_length=128)
    route: str = Field(max_length=200)
    status_code: int
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ApiWebhook(SQLModel, table=True):
    """A subscriber URL that gets the shop's events (``order.paid``, ``order.status_changed``,
    ``stock.low``) as signed POSTs through the outbox. The signing secret is kept encrypted (we must
    sign with it) and shown once."""

    __tablename__ = "api_webhook"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    events: str = Field(max_length=255)  # comma-separated
    secret_encrypted: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
