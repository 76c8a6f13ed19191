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
3. :func:`receive_and_apply` does both for an event the edge has fully verified (a signed
   Stripe event, a Telegram update): the raw row is inserted already ``processed`` and the
   handler runs in the same transaction — one transaction, no re-reads. If the handler fails,
   everything is rolled back and the raw event is stored again on its own (``failed``, or
   ``dead`` with its dead letter), so a stored-first guarantee still holds: whatever happens to
   the apply, the raw event is kept (or, if even that cannot be written, the provider is answered
   500 and delivers again). A concurrent twin waits on the unique key and then sees a duplicate.
"""
from __future__ import annotations

import functools
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
    values = _values(provider, event_id, body, headers, now)
    provider, event_id = values["provider"], values["event_id"]
    try:
        new_id = _insert_once(session, values)
        out = WebhookEventOut(id=new_id, error=None, processed_at=None, **values) if new_id is not None \
            else _stored(session, provider, event_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if new_id is None:
        log.info("webhook %s/%s: duplicate, kept the first", provider, event_id)
    return ReceiveOut(outcome="stored" if new_id is not None else "duplicate", event=out)


def _values(provider: str, event_id: str, body: bytes | str, headers: Mapping[str, str] | None,
            now: datetime | None) -> dict[str, Any]:
    provider, event_id = (provider or "").strip(), (event_id or "").strip()
    if not provider or not event_id or len(provider) > 32 or len(event_id) > 128:
        raise DomainError("webhook.bad_event", "provider and event id are required (≤32/≤128 chars)")
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return dict(provider=provider, event_id=event_id, body=text, headers=kept_headers(headers or {}),
                received_at=now or utcnow(), status=WebhookStatus.received.value, attempts=0)


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """``INSERT … ON CONFLICT (provider, event_id) DO NOTHING RETURNING id``: the new row's id, or
    None when the event is already stored (a concurrent twin waits for the first to finish)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = WebhookEvent.__table__
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(table.c.id))
    return session.connection().execute(stmt).scalar()


def _stored(session: Session, provider: str, event_id: str) -> WebhookEventOut:
    row = session.exec(select(WebhookEvent).where(WebhookEvent.provider == provider,
                                                  WebhookEvent.event_id == event_id)).one()
    return _out(row)


class DeliveryOut(BaseModel):
    """:func:`receive_and_apply`: was the event new (``stored``) or a ``duplicate``, and what applying did."""

    received: Literal["stored", "duplicate"]
    outcome: Literal["processed", "already", "failed", "dead"]
    event_id: int | None = None  # the stored row (not read for a duplicate already applied)
    error: str | None = None


def receive_and_apply(
    session: Session,
    *,
    provider: str,
    event_id: str,
    body: bytes | str,
    headers: Mapping[str, str] | None = None,
    handler: Handler,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> DeliveryOut:
    """Store a fully verified event and apply it with ``handler`` in one transaction (see the
    module docstring). A duplicate whose first delivery failed is applied again (as
    :func:`process` would); one already applied or dead is left alone."""
    now = now or utcnow()
    values = _values(provider, event_id, body, headers, now)
    applied = {**values, "status": WebhookStatus.processed.value, "attempts": 1, "processed_at": now}
    try:
        found = session.connection().execute(_upsert(session.get_bind().dialect.name), applied).first()
        if found is None or found.status != WebhookStatus.processed.value:
            session.rollback()
            if found is None:
                log.info("webhook %s/%s: duplicate, kept the first", provider, event_id)
                return DeliveryOut(received="duplicate", outcome="already")
            done = process(session, webhook_event_id=found.id, handler=handler, max_attempts=max_attempts, now=now)
            return DeliveryOut(received="duplicate", outcome=done.outcome, event_id=found.id, error=done.error)
        new_id = found.id
        handler(session, WebhookEventOut(id=new_id, error=None, **applied))
        session.commit()
        return DeliveryOut(received="stored", outcome="processed", event_id=new_id)
    except DomainError as exc:
        session.rollback()
        return _keep_failed(session, values, exc.code, repr(exc), permanent=True, max_attempts=max_attempts, now=now)
    except Exception as exc:  # noqa: BLE001 - any handler failure is recorded, never lost
        session.rollback()
        log.exception("webhook %s/%s: handler failed", provider, event_id)
        return _keep_failed(session, values, "webhook.handler_failed", f"{type(exc).__name__}: {exc}",
                            permanent=False, max_attempts=max_attempts, now=now)


class AcceptOut(BaseModel):
    """:func:`accept`: what the provider is answered."""

    outcome: Literal["processed", "already", "failed", "dead", "stored", "duplicate"]
    retry: bool = False  # applying failed in a way a later try may fix: the provider should deliver again


def accept(session: Session, *, provider: str, event_id: str, body: bytes | str, headers: Mapping[str, str],
           handler: Handler, inline: bool = False, now: datetime | None = None) -> AcceptOut:
    """A verified inbound event, as the HTTP edge takes it: ``inline`` (the request proves the event
    itself) stored and applied in one transaction (:func:`receive_and_apply`); otherwise stored and
    committed first (:func:`receive`), then applied (:func:`process`) unless it was already settled.
    A duplicate is answered ``duplicate`` (or, when it was already settled, as it was stored)."""
    if inline:
        out = receive_and_apply(session, provider=provider, event_id=event_id, body=body, headers=headers,
                                handler=handler, now=now)
        return AcceptOut(outcome=out.outcome if out.received == "stored" else "duplicate", retry=out.outcome == "failed")
    received = receive(session, provider=provider, event_id=event_id, body=body, headers=headers, now=now)
    if received.event.status not in PROCESSABLE:
        return AcceptOut(outcome=received.outcome)
    done = process(session, webhook_event_id=received.event.id, handler=handler, now=now)
    return AcceptOut(outcome=done.outcome if received.outcome == "stored" else "duplicate",
                     retry=done.outcome == "failed")


@functools.cache
def _upsert(dialect: str):
    """One statement (built once per dialect): our new row comes back ``processed``; a stored twin
    still to apply comes back as it is (``received``/``failed``, touched by a no-op update); one
    applied or dead does not come back at all."""
    table = WebhookEvent.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(table)
            .on_conflict_do_update(index_elements=["provider", "event_id"], set_={"status": table.c.status},
                                   where=table.c.status.in_(PROCESSABLE))
            .returning(table.c.id, table.c.status))


def _keep_failed(session: Session, values: dict[str, Any], reason: str, detail: str, *, permanent: bool,
                 max_attempts: int, now: datetime) -> DeliveryOut:
    """The apply part was rolled back: store the raw event on its own and count the failed try
    (a concurrent twin may have stored, or even applied, it meanwhile: then that row is used)."""
    try:
        pk = mine = _insert_once(session, values)
        if pk is None:
            pk = _stored(session, values["provider"], values["event_id"]).id
        session.commit()
    except BaseException:
        session.rollback()
        raise
    done = _give_up_or_retry(session, pk, reason, detail, permanent=permanent, max_attempts=max_attempts, now=now)
    return DeliveryOut(received="stored" if mine is not None else "duplicate", outcome=done.outcome, event_id=pk,
                       error=done.error)


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
        table = WebhookEvent.__table__
        claimed = session.execute(
            update(table)
            .where(table.c.id == webhook_event_id, table.c.status.in_(PROCESSABLE))
            .values(status=WebhookStatus.processed.value, attempts=table.c.attempts + 1, processed_at=now, error=None)
            .returning(*table.c)
        ).mappings().first()
        if claimed is None:
            session.rollback()
            return ProcessOut(outcome="already", event_id=webhook_event_id)
        handler(session, WebhookEventOut.model_validate(dict(claimed)))
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
