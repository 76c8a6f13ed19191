"""Append-only audit log: who did what, before/after, when."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, event
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_kind: str = Field(max_length=16)  # staff | customer | system | anonymous
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=128)
    action: str = Field(max_length=64, index=True)
    entity: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    note: str | None = Field(default=None, max_length=500)


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_args):  # pragma: no cover - guarded by a test
    raise RuntimeError("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_args):  # pragma: no cover - guarded by a test
    raise RuntimeError("audit entries are append-only")
