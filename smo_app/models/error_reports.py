"""Error reports to the owner, throttled per distinct error."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class ErrorReport(SQLModel, table=True):
    """Throttle for error reports to the owner: one per distinct error per hour."""

    __tablename__ = "error_report"

    fingerprint: str = Field(primary_key=True, max_length=64)
    summary: str = Field(default="", max_length=500)
    count: int = 0
    first_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
