"""The inbound webhook inbox: store the raw event first, then apply it exactly once.

1. The HTTP edge verifies the request (signature, secret, freshness — per provider) and calls
   :func:`receive`, which inserts the raw body unless (provider, event_id) is already stored. A
   duplicate — a provider retry, a replay, or the same event arriving on two workers at once — is
   reported as ``duplicate`` and never raises (``INSERT … ON CONFLICT DO NOTHING``; PostgreSQL makes
   a concurrent twin wait and then do nothing).
2. :func:`process` applies a stored event with the caller's ``handler`` in one transaction that
   first moves the event to ``processed`` with a conditional UPDATE (rowcount checked): of two
   concurrent processors one applies it, the other sees ``already``. A handler that raises rolls
   everything back; a :class:`~smo_app.services.core.errors.DomainError` (the event cannot be
   applied: unknown order, amount mismatch …) makes it dead at once, any other exception counts as a
   failed try, and after ``max_attempts`` tries it is dead too. A dead event leaves a dead letter
   with the reason for the backoffice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.integrations import WebhookEvent, WebhookStatus
from smo_app.services.core.errors import DomainError
from smo_app.services.integrations.dead_letters import record_dead_letter

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
# Headers worth keeping with the raw body (signatures, ids, timestamps); never cookies or auth.
KEPT_HEADERS = frozenset({
    "content-type", "user-agent", "x-forwarded-for", "x-real-ip", "stripe-signature",
    "x-telegram-bot-api-secret-token", "x-request-id", "x-event-id", "x-signature", "x-timestamp",
})
PROCESSABLE = (WebhookStatus.received.value, WebhookStatus.failed.value)


class WebhookEventOut(BaseModel):
    id: int
    provider: str
    event_id: str
    body: str
    headers: dict[str, Any]
    received_at: datetime
    status: str
    attempts: int
    error: str | None
    processed_at: datetime | None


class ReceiveOut(BaseModel):
    outcome: Literal["stored", "duplicate"]
    event: WebhookEventOut


class ProcessOut(BaseModel):
    outcome: Literal["processed", "already", "failed", "dead"]
    event_id: int
    error: str | None = None


Handler = Callable[[Session, WebhookEventOut], None]


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): str(v)[:1000] for k, v in headers.items() if k.lower() in KEPT_HEADERS}


def receive(
    session: Session,
    *,
    provider: str,
    event_id: str,
    body: bytes | str,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ReceiveOut:
    """Store a verified inbound event once. Raises ``webhook.bad_event`` for an empty provider/event id."""
    provider, event_id = (provider or "").strip(), (event_id or "").strip()
    if not provider or not event_id or len(provider) > 32 or len(event_id) > 128:
        raise DomainError("webhook.bad_event", "provider and event id are required (≤32/≤128 chars)")
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    values = dict(provider=provider, event_id=event_id, body=text, headers=kept_headers(headers or {}),
                  received_at=now or utcnow(), status=WebhookStatus.received.value, attempts=0)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = WebhookEvent.__table__
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(table.c.id))
    try:
        stored = session.execute(stmt).first() is not None
        row = session.exec(select(WebhookEvent).where(WebhookEvent.provider == provider,
                                                      WebhookEvent.event_id == event_id)).one()
        out = _out(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if not stored:
        log.info("webhook %s/%s: duplicate, kept the first", provider, event_id)
    return ReceiveOut(outcome="stored" if stored else "duplicate", event=out)


def process(
    session: Session,
    *,
    webhook_event_id: int,
    handler: Handler,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> ProcessOut:
    """Apply a stored event once with ``handler(session, event)`` (which must not commit)."""
    now = now or utcnow()
    try:
        claimed = session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == webhook_event_id, WebhookEvent.status.in_(PROCESSABLE))
            .values(status=WebhookStatus.processed.value, attempts=WebhookEvent.attempts + 1,
                    processed_at=now, error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            session.rollback()
            return ProcessOut(outcome="already", event_id=webhook_event_id)
        row = session.get(WebhookEvent, webhook_event_id, populate_existing=True)
        handler(session, _out(row))
        session.commit()
        return ProcessOut(outcome="processed", event_id=webhook_event_id)
    except DomainError as exc:
        session.rollback()
        return _give_up_or_retry(session, webhook_event_id, exc.code, repr(exc), permanent=True,
                                 max_attempts=max_attempts, now=now)
    except Exception as exc:  # noqa: BLE001 - any handler failure is recorded, never lost
        session.rollback()
        log.exception("webhook %s: handler failed", webhook_event_id)
        return _give_up_or_retry(session, webhook_event_id, "webhook.handler_failed", f"{type(exc).__name__}: {exc}",
                                 permanent=False, max_attempts=max_attempts, now=now)


def pending(session: Session, *, provider: str | None = None, limit: int = 100) -> list[WebhookEventOut]:
    """Events stored but not applied yet (received or failed), oldest first — for a retry job."""
    query = select(WebhookEvent).where(WebhookEvent.status.in_(PROCESSABLE))
    if provider:
        query = query.where(WebhookEvent.provider == provider)
    rows = session.exec(query.order_by(WebhookEvent.id).limit(limit)).all()
    out = [_out(r) for r in rows]
    session.rollback()
    return out


def _give_up_or_retry(session: Session, event_pk: int, reason: str, detail: str, *, permanent: bool,
                      max_attempts: int, now: datetime) -> ProcessOut:
    try:
        row = session.get(WebhookEvent, event_pk, populate_existing=True, with_for_update=True)
        if row is None or row.status not in PROCESSABLE:
            session.rollback()
            return ProcessOut(outcome="already", event_id=event_pk)
        row.attempts += 1
        row.error = detail[:500]
        dead = permanent or row.attempts >= max_attempts
        row.status = WebhookStatus.dead.value if dead else WebhookStatus.failed.value
        session.add(row)
        if dead:
            record_dead_letter(session, provider=row.provider, kind="webhook", reference=row.event_id, reason=reason,
                               detail=detail, payload={"body": row.body[:10_000], "headers": row.headers},
                               webhook_event_id=row.id, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ProcessOut(outcome="dead" if dead else "failed", event_id=event_pk, error=reason)


def _out(row: WebhookEvent) -> WebhookEventOut:
    return WebhookEventOut.model_validate(row, from_attributes=True)
