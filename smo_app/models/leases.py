"""Job leases: which process runs a job (the outbox sender, the task worker, scheduler jobs)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class JobLease(SQLModel, table=True):
    """A named lease: whoever holds an unexpired row runs that job (sender, scheduler jobs)."""

    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
