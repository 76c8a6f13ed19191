"""Named leases in the database: only the holder of an unexpired lease runs that job.

Works the same on SQLite and PostgreSQL: an INSERT for a new name, otherwise one conditional
UPDATE (``WHERE expires_at < now OR holder = me``) whose rowcount says who won. Two sidecars
running at once never both hold a lease (within clock skew between them, which the TTL covers).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.leases import JobLease
from smo_app.services.core.unique import insert_first


def acquire(session: Session, *, name: str, holder: str, ttl_seconds: float, now: datetime | None = None) -> bool:
    """Take or renew ``name`` for ``ttl_seconds``; True if ``holder`` holds it now. Commits."""
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    result = session.execute(
        update(JobLease)
        .where(JobLease.name == name, or_(JobLease.expires_at < now, JobLease.holder == holder))
        .values(holder=holder, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        session.commit()
        return True
    session.rollback()
    if session.get(JobLease, name) is not None:
        session.rollback()
        return False
    return insert_first(session, JobLease(name=name, holder=holder, expires_at=expires, acquired_at=now))


def release(session: Session, *, name: str, holder: str) -> None:
    session.execute(
        delete(JobLease).where(JobLease.name == name, JobLease.holder == holder).execution_options(synchronize_session=False)
    )
    session.commit()


def holder_of(session: Session, *, name: str, now: datetime | None = None) -> str | None:
    now = now or utcnow()
    row = session.get(JobLease, name, populate_existing=True)
    session.rollback()
    if row is None or row.expires_at < now:
        return None
    return row.holder
