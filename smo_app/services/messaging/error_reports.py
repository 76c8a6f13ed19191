"""Throttling error reports to the owner: one report per distinct error per hour."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.error_reports import ErrorReport
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.models.staff import Role
from smo_app.i18n import t

REPORT_EVERY = timedelta(hours=1)


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:64]


def note_error(session: Session, *, key: str, summary: str, now: datetime | None = None) -> bool:
    """Count one occurrence of error ``key``; True if it should be reported now. Commits."""
    now = now or utcnow()
    fp = fingerprint(key)
    result = session.execute(
        update(ErrorReport)
        .where(ErrorReport.fingerprint == fp,
               or_(ErrorReport.last_reported_at.is_(None), ErrorReport.last_reported_at <= now - REPORT_EVERY))
        .values(count=ErrorReport.count + 1, last_at=now, last_reported_at=now, summary=summary[:500])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        session.commit()
        return True
    counted = session.execute(  # relative: two occurrences at once count twice
        update(ErrorReport).where(ErrorReport.fingerprint == fp)
        .values(count=ErrorReport.count + 1, last_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if counted:
        session.commit()
        return False
    session.add(ErrorReport(fingerprint=fp, summary=summary[:500], count=1, first_at=now, last_at=now,
                            last_reported_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def report_error(session: Session, *, key: str, summary: str, text: str, now: datetime | None = None) -> bool:
    """Queue an alert to owners (once per ``key`` per hour). Commits. True if queued."""
    if not note_error(session, key=key, summary=summary, now=now):
        return False
    row = session.get(ErrorReport, fingerprint(key))
    if row is not None and row.count > 1:  # it recurred: how often, since when (UTC)
        text = f"{text}\n{t('errors.repeats', 'ru', count=row.count, since=row.first_at.strftime('%Y-%m-%d %H:%M'))}"
    enqueue_staff_alert(session, kind="error", text=text[:4000], roles=(Role.owner,))
    session.commit()
    return True
