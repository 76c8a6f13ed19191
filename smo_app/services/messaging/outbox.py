"""Queueing messages for the bot sidecar. Called inside other services' transactions; no commit."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.permissions import require_staff
from smo_app.services.messaging.telegram_html import html_problem

from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Role, Staff


log = logging.getLogger(__name__)


def message_values(
    *,
    kind: str,
    chat_id: int,
    text: str | None = None,
    photo: str | None = None,
    buttons: list[list[dict[str, str]]] | None = None,
    parse_mode: str = "HTML",
    customer_id: int | None = None,
    staff_id: int | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of a new pending outbox row (for :func:`enqueue_message`, and for hot
    paths that insert with one Core statement in their own transaction)."""
    if not text and not photo:
        raise ValueError("an outbox message needs text or a photo")
    if parse_mode == "HTML" and text and html_problem(text):
        # Telegram would refuse it (400) and the message would be lost to the dead letters: a
        # name with "&" or "<" slipped in unescaped. Send it as plain text instead, and say so.
        log.warning("outbox %s message is not Telegram HTML (near %r); sending as plain text", kind,
                    html_problem(text))
        parse_mode = "plain"
    payload: dict[str, Any] = {"parse_mode": parse_mode}
    if text:
        payload["text"] = text
    if photo:
        payload["photo"] = photo
    if buttons:
        payload["buttons"] = buttons
    now = now or utcnow()
    return {
        "kind": kind, "chat_id": chat_id, "customer_id": customer_id, "staff_id": staff_id,
        "payload": payload, "dedupe_key": dedupe_key, "status": OutboxStatus.pending.value,
        "attempts": 0, "created_at": now, "next_attempt_at": now,
    }


def enqueue_message(
    session: Session,
    *,
    kind: str,
    chat_id: int,
    text: str | None = None,
    photo: str | None = None,
    buttons: list[list[dict[str, str]]] | None = None,
    parse_mode: str = "HTML",
    customer_id: int | None = None,
    staff_id: int | None = None,
    dedupe_key: str | None = None,
) -> Outbox | None:
    """Add a Telegram message to the outbox.

    ``buttons`` is rows of ``{"text": ..., "url"|"web_app"|"callback_data": ...}``.
    With ``dedupe_key``, a second call with the same key adds nothing and returns None.
    """
    if dedupe_key is not None:
        exists = session.exec(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key)).first()
        if exists is not None:
            return None
    row = Outbox(**message_values(kind=kind, chat_id=chat_id, text=text, photo=photo, buttons=buttons,
                                  parse_mode=parse_mode, customer_id=customer_id, staff_id=staff_id,
                                  dedupe_key=dedupe_key))
    session.add(row)
    return row


def enqueue_to_customer(session: Session, *, customer: Customer, kind: str, text: str, **kwargs) -> Outbox | None:
    """Message a customer if they have a Telegram chat and have not blocked the bot."""
    if customer.telegram_id is None or customer.unreachable:
        return None
    return enqueue_message(
        session, kind=kind, chat_id=customer.telegram_id, customer_id=customer.id, text=text, **kwargs
    )


def enqueue_staff_alert(
    session: Session,
    *,
    kind: str,
    text: str,
    roles: tuple[Role, ...] = (Role.owner, Role.admin),
    dedupe_key: str | None = None,
) -> list[Outbox]:
    """Alert every active staff member of ``roles`` who has linked a Telegram account."""
    staff = session.exec(
        select(Staff).where(Staff.is_active, Staff.telegram_id.is_not(None), Staff.role.in_([r.value for r in roles]))
    ).all()
    rows = []
    for member in staff:
        key = f"{dedupe_key}:staff{member.id}" if dedupe_key else None
        row = enqueue_message(
            session, kind=kind, chat_id=member.telegram_id, staff_id=member.id, text=text, dedupe_key=key
        )
        if row is not None:
            rows.append(row)
    return rows


def backlog(session: Session) -> dict[str, int]:
    """Counts by status of messages not yet sent (for /api/health and the backoffice)."""
    rows = session.exec(
        select(Outbox.status, func.count())
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]))
        .group_by(Outbox.status)
    ).all()
    return {status: count for status, count in rows}


# --- delivery side (used by the bot sidecar's sender) ---------------------------------------------
# A row moves pending/failed → sending (claim, committed) → sent | failed | dead | skipped.
# A crash between the Telegram call and ``mark_sent`` leaves it in ``sending``; the next sender that
# takes the outbox lease puts it back to pending: that message may go out twice (the documented
# in-flight window, one message with one sender in flight).

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (5, 30, 120, 600, 1800)
BROADCAST_KIND = "broadcast"


class WaitingRow(BaseModel):
    id: int
    created_at: datetime
    kind: str
    chat_id: int
    customer_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    preview: str


def _running_or_none():
    from smo_app.models.bot import Broadcast, BroadcastStatus

    running = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.running)
    return or_(Outbox.broadcast_id.is_(None), Outbox.broadcast_id.in_(running))


def due_candidates(session: Session, *, now: datetime | None = None, limit: int = 200) -> list[tuple[int, int]]:
    """(id, chat_id) of rows due now, transactional messages first, then broadcasts, oldest first."""
    now = now or utcnow()
    base = (
        select(Outbox.id, Outbox.chat_id)
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.failed]), Outbox.next_attempt_at <= now)
        .where(_running_or_none())
    )
    rows = list(session.exec(base.where(Outbox.broadcast_id.is_(None)).order_by(Outbox.id).limit(limit)).all())
    if len(rows) < limit:
        rows += list(
            session.exec(base.where(Outbox.broadcast_id.is_not(None)).order_by(Outbox.id).limit(limit - len(rows))).all()
        )
    session.rollback()
    return [(r[0], r[1]) for r in rows]


class Claimed(NamedTuple):
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int


_T = Outbox.__table__


def _claim_statement():
    from smo_app.models.bot import Broadcast, BroadcastStatus

    b = Broadcast.__table__
    running = select(b.c.id).where(b.c.status == BroadcastStatus.running.value).scalar_subquery()
    return (
        update(_T)
        .where(
            _T.c.id == bindparam("oid"),
            _T.c.status.in_([OutboxStatus.pending.value, OutboxStatus.failed.value]),
            _T.c.next_attempt_at <= bindparam("now", type_=_T.c.next_attempt_at.type),
            or_(_T.c.broadcast_id.is_(None), _T.c.broadcast_id.in_(running)),
        )
        .values(status=OutboxStatus.sending.value, attempts=_T.c.attempts + 1)
        .returning(_T.c.id, _T.c.chat_id, _T.c.payload, _T.c.attempts)
    )


_CLAIM = None
_MARK_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("oid"), _T.c.status == OutboxStatus.sending.value)
    .values(status=OutboxStatus.sent.value, sent_at=bindparam("sent_at", type_=_T.c.sent_at.type),
            telegram_message_id=bindparam("mid"), last_error=None)
)


def claim(session: Session, *, outbox_id: int, now: datetime | None = None) -> Claimed | None:
    """Atomically take one row for sending (safe with several senders); commit; None if lost.

    One prepared ``UPDATE … WHERE status IN (pending, failed) … RETURNING`` (SQLite ≥ 3.35, PostgreSQL):
    the row count decides who won, and the hot path stays cheap.
    """
    global _CLAIM
    if _CLAIM is None:
        _CLAIM = _claim_statement()
    row = session.connection().execute(_CLAIM, {"oid": outbox_id, "now": now or utcnow()}).first()
    session.commit()
    return Claimed(*row) if row is not None else None


def mark_sent(session: Session, *, outbox_id: int, message_id: int | None, now: datetime | None = None) -> None:
    session.connection().execute(_MARK_SENT, {"oid": outbox_id, "sent_at": now or utcnow(), "mid": message_id})
    session.commit()


def release_for_retry_after(session: Session, *, outbox_id: int, until: datetime, error: str) -> None:
    """A 429: not the message's fault; back to pending for when the pause ends, attempt not counted."""
    session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.status == OutboxStatus.sending)
        .values(status=OutboxStatus.pending, next_attempt_at=until, attempts=Outbox.attempts - 1, last_error=error[:1000])
        .execution_options(synchronize_session=False)
    )
    session.commit()


def mark_failed(session: Session, *, outbox_id: int, error: str, permanent: bool = False,
                now: datetime | None = None) -> str:
    """Retry with backoff, or dead-letter after MAX_ATTEMPTS (or at once if ``permanent``)."""
    now = now or utcnow()
    row = session.get(Outbox, outbox_id, populate_existing=True)
    if row is None:
        return OutboxStatus.dead
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.dead
    else:
        row.status = OutboxStatus.failed
        row.next_attempt_at = now + timedelta(seconds=BACKOFF_SECONDS[min(row.attempts, len(BACKOFF_SECONDS)) - 1])
    row.last_error = error[:1000]
    session.add(row)
    session.commit()
    return row.status


def mark_chat_unreachable(session: Session, *, outbox_id: int, chat_id: int, error: str,
                          now: datetime | None = None) -> int:
    """A 403 (blocked, deactivated): skip this row and every waiting row to that chat; flag the customer."""
    now = now or utcnow()
    session.execute(
        update(Customer)
        .where(Customer.telegram_id == chat_id, Customer.unreachable.is_(False))
        .values(unreachable=True, unreachable_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(Outbox)
        .where(
            Outbox.chat_id == chat_id,
            or_(Outbox.id == outbox_id, Outbox.status.in_([OutboxStatus.pending, OutboxStatus.failed])),
            Outbox.status.in_([OutboxStatus.pending, OutboxStatus.failed, OutboxStatus.sending]),
        )
        .values(status=OutboxStatus.skipped, last_error=error[:1000])
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def skip_unreachable(session: Session) -> int:
    """Skip waiting rows whose customer has blocked the bot (flag set elsewhere); commit."""
    unreachable = select(Customer.id).where(Customer.unreachable.is_(True))
    result = session.execute(
        update(Outbox)
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.failed]), Outbox.customer_id.in_(unreachable))
        .values(status=OutboxStatus.skipped, last_error="customer unreachable")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def requeue_stale_sending(session: Session) -> int:
    """Rows a dead sender left in ``sending`` go back to pending. Call only while holding the
    outbox lease (no other sender is live). Each may have reached Telegram already: the window."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.status == OutboxStatus.sending)
        .values(status=OutboxStatus.pending, last_error="requeued after an interrupted send")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def list_waiting(session: Session, *, actor: Actor, limit: int = 200) -> list[WaitingRow]:
    """The backoffice view: messages not yet delivered (pending, sending, failed) and dead letters."""
    require_staff(actor)
    rows = session.exec(
        select(Outbox)
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed, OutboxStatus.dead]))
        .order_by(Outbox.id)
        .limit(min(max(1, limit), 1000))
    ).all()
    out = []
    for r in rows:
        preview = (r.payload.get("text") or r.payload.get("photo") or "")[:120]
        out.append(WaitingRow(id=r.id, created_at=r.created_at, kind=r.kind, chat_id=r.chat_id,
                              customer_id=r.customer_id, status=r.status, attempts=r.attempts,
                              next_attempt_at=r.next_attempt_at, last_error=r.last_error, preview=preview))
    return out


def retry_dead(session: Session, *, actor: Actor, outbox_id: int) -> None:
    """Staff puts a dead letter back in the queue (audited)."""
    from smo_app.services.core import audit

    require_staff(actor)
    row = session.get(Outbox, outbox_id)
    if row is None or row.status != OutboxStatus.dead:
        raise NotFound("outbox", outbox_id)
    row.status = OutboxStatus.pending
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.add(row)
    audit.record(session, actor=actor, action="outbox.retry", entity="outbox", entity_id=outbox_id)
    session.commit()
