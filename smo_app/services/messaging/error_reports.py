"""Throttling error reports to the owner: one report per distinct error per hour."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.error_reports import ErrorReport
from smo_app.services.core.unique import insert_first
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.models.staff import Role

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
    return insert_first(session, ErrorReport(fingerprint=fp, summary=summary[:500], count=1, first_at=now, last_at=now,
                                             last_reported_at=now))


def report_error(session: Session, *, key: str, summary: str, text: str | Callable[[str], str],
                 now: datetime | None = None, repeats_text: str | Callable[[str], str] = "") -> bool:
    """Queue an alert to owners (once per ``key`` per hour), each in their language when ``text`` is
    a function of the language. Commits. True if queued.

    ``repeats_text`` (with ``{count}`` and ``{since}``, UTC ``dd.mm HH:MM``) is added when the
    error has happened before: how often since it was first seen."""
    if not note_error(session, key=key, summary=summary, now=now):
        return False
    row = session.exec(select(ErrorReport).where(ErrorReport.fingerprint == fingerprint(key))).first()

    def render(lang: str) -> str:
        body = text(lang) if callable(text) else text
        if repeats_text and row is not None and row.count > 1:
            line = repeats_text(lang) if callable(repeats_text) else repeats_text
            body = f"{body}\n{line.format(count=row.count, since=row.first_at.strftime('%d.%m %H:%M'))}"
        return body[:4000]

    enqueue_staff_alert(session, kind="error", text=render, roles=(Role.owner,))
    session.commit()
    return True
