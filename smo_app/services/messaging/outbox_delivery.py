"""The outbox, delivery side: claiming rows, marking the outcome, expiry, and the backoffice view.

Used by the bot sidecar's Telegram sender and task worker (``bot_sidecar.outbox``); each call
commits its own short transaction.

A row moves pending/failed → sending (claim, committed) → sent | failed | dead | skipped | expired.
A crash between the Telegram call (or the task's provider call) and the mark leaves it in
``sending``; the next process that takes that lane's lease puts it back to pending: it may run
twice (the documented in-flight window: the Telegram sender's batch, one task on the task lane).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import bindparam, delete, or_, select as sa_select, update
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.broadcast import Broadcast, BroadcastStatus
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxBlob, OutboxLane, OutboxStatus
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core import audit

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (5, 30, 120, 600, 1800)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing row is retried: after attempt n it waits ``backoff_seconds[n-1]`` (the
    last value repeats); after ``max_attempts`` it is dead."""

    max_attempts: int = MAX_ATTEMPTS
    backoff_seconds: tuple[float, ...] = BACKOFF_SECONDS

    def delay(self, attempts: int) -> float:
        steps = self.backoff_seconds or (0,)
        return steps[min(max(attempts, 1), len(steps)) - 1]


_T = Outbox.__table__
_WAITING = (OutboxStatus.pending.value, OutboxStatus.failed.value)


def _not_expired(now_param):
    return or_(_T.c.expires_at.is_(None), _T.c.expires_at > now_param)


# --------------------------------------------------------------------------- Telegram lane

def due_candidates(session: Session, *, now: datetime | None = None, limit: int = 200,
                   transactional_only: bool = False) -> list[tuple[int, int, bool]]:
    """(id, chat_id, paid) of Telegram rows due now, transactional messages first, then broadcasts, oldest
    first; ``paid``: a paid broadcast's row (sent with allow_paid_broadcast at its own pace).
    ``transactional_only``: just the first part (the sender's cheap look between full refills)."""
    now = now or utcnow()
    running = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.running)
    paid = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.running, Broadcast.paid.is_(True))
    base = (
        select(Outbox.id, Outbox.chat_id, Outbox.broadcast_id.in_(paid))
        .where(Outbox.status.in_(_WAITING), Outbox.next_attempt_at <= now, Outbox.lane == OutboxLane.telegram.value)
        .where(or_(Outbox.expires_at.is_(None), Outbox.expires_at > now))
        .where(or_(Outbox.broadcast_id.is_(None), Outbox.broadcast_id.in_(running)))
    )
    rows = list(session.exec(base.where(Outbox.broadcast_id.is_(None)).order_by(Outbox.id).limit(limit)).all())
    if len(rows) < limit and not transactional_only:
        rows += list(
            session.exec(base.where(Outbox.broadcast_id.is_not(None)).order_by(Outbox.id).limit(limit - len(rows))).all()
        )
    session.rollback()
    return [(r[0], r[1], bool(r[2])) for r in rows]


class Claimed(NamedTuple):
    id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int
    kind: str = ""


def _claim_statement(many: bool = False, size: int = 0):
    """The claim: of one row (``oid``), of ``size`` rows (``oid0``…: no list to expand on each call)
    or of ``many`` (``oids``, expanded)."""
    b = Broadcast.__table__
    running = sa_select(b.c.id).where(b.c.status == BroadcastStatus.running.value).scalar_subquery()
    now = bindparam("now", type_=_T.c.next_attempt_at.type)
    if size:
        which = _T.c.id.in_([bindparam(f"oid{i}") for i in range(size)])
    else:
        which = _T.c.id.in_(bindparam("oids", expanding=True)) if many else _T.c.id == bindparam("oid")
    return (
        update(_T)
        .where(
            which,
            _T.c.status.in_(_WAITING),
            _T.c.next_attempt_at <= now,
            _not_expired(now),
            or_(_T.c.broadcast_id.is_(None), _T.c.broadcast_id.in_(running)),
        )
        .values(status=OutboxStatus.sending.value, attempts=_T.c.attempts + 1)
        .returning(_T.c.id, _T.c.chat_id, _T.c.payload, _T.c.attempts, _T.c.kind)
    )


_CLAIM = _claim_statement()
_CLAIM_MANY = _claim_statement(many=True)
_CLAIM_SIZED = {n: _claim_statement(size=n) for n in range(2, 17)}  # the sender's batches (≤ 16)
_MARK_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("oid"), _T.c.status == OutboxStatus.sending.value)
    .values(status=OutboxStatus.sent.value, sent_at=bindparam("sent_at", type_=_T.c.sent_at.type),
            telegram_message_id=bindparam("mid"), last_error=None)
)
_B = OutboxBlob.__table__
_DROP_BLOB = delete(_B).where(_B.c.outbox_id == bindparam("oid"))

Sent = tuple[int, int | None, bool]  # (outbox id, Telegram message id, had an upload)


def claim(session: Session, *, outbox_id: int, now: datetime | None = None) -> Claimed | None:
    """Atomically take one row for sending (safe with several senders); commit; None if lost or expired.

    One prepared ``UPDATE … WHERE status IN (pending, failed) … RETURNING`` (SQLite ≥ 3.35, PostgreSQL):
    the row count decides who won, and the hot path stays cheap.
    """
    row = session.connection().execute(_CLAIM, {"oid": outbox_id, "now": now or utcnow()}).first()
    session.commit()
    return Claimed(*row) if row is not None else None


def mark_sent_and_claim(session: Session, *, sent: list[Sent], outbox_ids: list[int],
                        now: datetime | None = None) -> list[Claimed]:
    """The sender's hot path in one transaction: mark the messages sent since the last claim
    ``sent`` (one executemany) and claim the next batch ``outbox_ids`` (one
    ``UPDATE … WHERE id IN (…) AND status IN (pending, failed) … RETURNING``) — one commit for a
    whole batch. Every message is still claimed before it is sent, so the rows ``sending``
    afterwards are exactly the batch about to go (the kill -9 window). The rows won, in the order
    asked; a row another sender took, or one no longer due, is left out."""
    now = now or utcnow()
    conn = session.connection()
    if sent:
        _mark_many(conn, sent, now)
    won = {}
    if len(outbox_ids) == 1:  # the free pace's usual case: no expanding IN to render
        won = {r[0]: Claimed(*r) for r in conn.execute(_CLAIM, {"oid": outbox_ids[0], "now": now})}
    elif len(outbox_ids) in _CLAIM_SIZED:
        params = {f"oid{i}": oid for i, oid in enumerate(outbox_ids)}
        params["now"] = now
        won = {r[0]: Claimed(*r) for r in conn.execute(_CLAIM_SIZED[len(outbox_ids)], params)}
    elif outbox_ids:
        won = {r[0]: Claimed(*r) for r in conn.execute(_CLAIM_MANY, {"oids": list(outbox_ids), "now": now})}
    session.commit()
    return [won[i] for i in outbox_ids if i in won]


def upload_of(session: Session, *, outbox_id: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of a queued document/photo upload."""
    row = session.connection().execute(sa_select(_B.c.filename, _B.c.content).where(_B.c.outbox_id == outbox_id)).first()
    session.rollback()
    return (row[0], bytes(row[1])) if row is not None else None


def mark_sent(session: Session, *, sent: list[Sent], now: datetime | None = None) -> None:
    """Mark messages Telegram accepted ``sent`` (their Telegram message ids; an upload's file is
    dropped); one commit."""
    if sent:
        _mark_many(session.connection(), sent, now or utcnow())
    session.commit()


def _mark_many(conn, sent: list[Sent], now: datetime) -> None:
    conn.execute(_MARK_SENT, [{"oid": oid, "sent_at": now, "mid": mid} for oid, mid, _ in sent])
    uploads = [{"oid": oid} for oid, _, had_upload in sent if had_upload]
    if uploads:  # delivered: the file need not stay in the database
        conn.execute(_DROP_BLOB, uploads)


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
                now: datetime | None = None, policy: RetryPolicy | None = None) -> str:
    """Retry with backoff, or dead-letter after the policy's attempts (or at once if ``permanent``).
    Telegram rows use MAX_ATTEMPTS/BACKOFF_SECONDS; tasks their kind's policy."""
    now = now or utcnow()
    policy = policy or RetryPolicy(MAX_ATTEMPTS, BACKOFF_SECONDS)
    row = session.get(Outbox, outbox_id, populate_existing=True)
    if row is None:
        return OutboxStatus.dead
    if permanent or row.attempts >= policy.max_attempts:
        row.status = OutboxStatus.dead
    else:
        row.status = OutboxStatus.failed
        row.next_attempt_at = now + timedelta(seconds=policy.delay(row.attempts))
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
            or_(Outbox.id == outbox_id, Outbox.status.in_(_WAITING)),
            Outbox.status.in_([*_WAITING, OutboxStatus.sending.value]),
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
        .where(Outbox.status.in_(_WAITING), Outbox.customer_id.in_(unreachable))
        .values(status=OutboxStatus.skipped, last_error="customer unreachable")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """Mark ``expired`` every waiting row (either lane) past its ``expires_at``; commit."""
    now = now or utcnow()
    result = session.execute(
        update(Outbox)
        .where(Outbox.status.in_(_WAITING), Outbox.expires_at.is_not(None), Outbox.expires_at <= now)
        .values(status=OutboxStatus.expired.value, last_error="expired before it could be sent")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def requeue_stale_sending(session: Session, *, lane: str = OutboxLane.telegram.value) -> int:
    """Rows of ``lane`` a dead process left in ``sending`` go back to pending. Call only while
    holding that lane's lease (no other sender is live). Each may have been delivered already: the window."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.status == OutboxStatus.sending, Outbox.lane == str(lane))
        .values(status=OutboxStatus.pending, last_error="requeued after an interrupted send")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


# --------------------------------------------------------------------------- task lane

def due_tasks(session: Session, *, now: datetime | None = None, limit: int = 50) -> list[int]:
    """Ids of tasks due now, oldest first."""
    now = now or utcnow()
    ids = list(session.exec(
        select(Outbox.id).where(Outbox.lane == OutboxLane.task.value, Outbox.status.in_(_WAITING),
                                Outbox.next_attempt_at <= now, or_(Outbox.expires_at.is_(None), Outbox.expires_at > now))
        .order_by(Outbox.id).limit(limit)).all())
    session.rollback()
    return ids


def mark_done_in(session: Session, *, outbox_id: int, now: datetime | None = None) -> None:
    """Mark a claimed task done inside the caller's transaction (with the handler's own writes)."""
    session.connection().execute(_MARK_SENT, {"oid": outbox_id, "sent_at": now or utcnow(), "mid": None})


# --------------------------------------------------------------------------- backoffice view

def backlog(session: Session) -> dict[str, int]:
    """Counts by status of rows not yet done (for /api/health and the backoffice)."""
    rows = session.exec(
        select(Outbox.status, func.count())
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]))
        .group_by(Outbox.status)
    ).all()
    return {status: count for status, count in rows}


class WaitingRow(BaseModel):
    id: int
    created_at: datetime
    lane: str = OutboxLane.telegram.value
    kind: str
    chat_id: int | None
    customer_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    preview: str


def _preview(row: Outbox) -> str:
    p = row.payload or {}
    if row.lane == OutboxLane.task.value:
        return ", ".join(f"{k}={v}" for k, v in list(p.items())[:4])[:120]
    if p.get("upload"):
        return f"[{p['upload']}] {p.get('text') or ''}"[:120]
    return (p.get("text") or p.get("photo") or "")[:120]


def list_waiting(session: Session, *, actor: Actor, limit: int = 200) -> list[WaitingRow]:
    """The backoffice view: rows not yet delivered (pending, sending, failed) and dead letters.
    Needs the broadcasts permission (messages carry customers' texts)."""
    require(actor, Perm.broadcasts_manage)
    rows = session.exec(
        select(Outbox)
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed, OutboxStatus.dead]))
        .order_by(Outbox.id)
        .limit(min(max(1, limit), 1000))
    ).all()
    return [WaitingRow(id=r.id, created_at=r.created_at, lane=r.lane, kind=r.kind, chat_id=r.chat_id,
                       customer_id=r.customer_id, status=r.status, attempts=r.attempts,
                       next_attempt_at=r.next_attempt_at, last_error=r.last_error, preview=_preview(r))
            for r in rows]


def retry_dead(session: Session, *, actor: Actor, outbox_id: int) -> None:
    """Staff with the broadcasts permission put a dead letter back in the queue (audited)."""
    require(actor, Perm.broadcasts_manage)
    row = session.get(Outbox, outbox_id)
    if row is None or row.status != OutboxStatus.dead:
        raise NotFound("outbox", outbox_id)
    row.status = OutboxStatus.pending
    row.attempts = 0
    row.next_attempt_at = utcnow()
    if row.expires_at is not None and row.expires_at <= row.next_attempt_at:
        row.expires_at = None  # staff asked for it explicitly: send it even if late
    session.add(row)
    audit.record(session, actor=actor, action="outbox.retry", entity="outbox", entity_id=outbox_id)
    session.commit()
