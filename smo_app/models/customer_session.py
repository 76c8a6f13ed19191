"""Signed-in customers (Mini App): the client holds an opaque token, we keep only its SHA-256."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class CustomerSession(SQLModel, table=True):
    __tablename__ = "customer_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(default="miniapp", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
