"""Backups (OP1): every backup made, by hand or by the daily job, with its result."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class BackupRun(SQLModel, table=True):
    """One backup. At most one runs at a time (a partial unique index on ``status = 'running'``) and
    the daily job makes one a day (``daily_key`` is the shop-time date, unique)."""

    __tablename__ = "backup_run"
    __table_args__ = (
        sa.Index("uq_backup_run_running", "status", unique=True,
                 sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # manual | daily
    status: str = Field(default="running", max_length=16)  # running | ok | failed
    daily_key: str | None = Field(default=None, max_length=10, unique=True)
    requested_by: str = Field(default="", max_length=128)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    file_name: str | None = Field(default=None, max_length=200)  # under var/backups; None once pruned
    size_bytes: int = 0
    duration_ms: int = 0
    tables: int = 0
    rows: int = 0
    files: int = 0
    encrypted: bool = False
    sent_to: int = 0  # Telegram chats the archive was queued to
    error: str | None = Field(default=None, max_length=500)
    uploaded_to: str | None = Field(default=None, max_length=300)  # the off-site copy, e.g. s3://bucket/backups/…
    upload_error: str | None = Field(default=None, max_length=500)  # why the off-site copy failed (the backup is ok)
