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
from sqlalchemy import bindparam, or_, select as sa_select, update
from sqlmodel import Session, func, select

from smo_app.models.base import UTCDateTime, utcnow
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


_MARK_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("oid"), _T.c.status == OutboxStatus.sending.value)
    .values(status=OutboxStatus.sent.value, sent_at=bindparam("sent_at", type_=_T.c.sent_at.type),
            telegram_message_id=bindparam("mid"), last_error=None)
)
_B = OutboxBlob.__table__

Sent = tuple[int, int | None, bool]  # (outbox id, Telegram message id, had an upload)


def claim(session: Session, *, outbox_id: int, now: datetime | None = None) -> Claimed | None:
    """Atomically take one row for sending (safe with several senders); commit; None if lost or expired.

    One ``UPDATE … WHERE status IN (pending, failed) … RETURNING`` (SQLite ≥ 3.35, PostgreSQL):
    the row count decides who won (:func:`mark_sent_and_claim` without marks).
    """
    won = mark_sent_and_claim(session, sent=[], outbox_ids=[outbox_id], now=now)
    return won[0] if won else None


def mark_sent_and_claim(session: Session, *, sent: list[Sent], outbox_ids: list[int],
                        now: datetime | None = None) -> list[Claimed]:
    """The sender's hot path in one transaction: mark the messages sent since the last claim
    ``sent`` and claim the next batch ``outbox_ids`` (``UPDATE … WHERE id IN (…) AND status IN
    (pending, failed) … RETURNING``) — one commit for a whole batch. Every message is still claimed
    before it is sent, so the rows ``sending`` afterwards are exactly the batch about to go (the
    kill -9 window). The rows won, in the order asked; a row another sender took, or one no longer
    due, is left out.

    Run as plain SQL on the session's own DBAPI connection and transaction (:class:`_HotPath`):
    on PostgreSQL marking and claiming are one statement, on SQLite two (and the upload files'
    delete when there are any)."""
    now = now or utcnow()
    conn = session.connection()  # the session's transaction (SQLite: BEGIN IMMEDIATE)
    dialect = conn.dialect
    hot = _HOT_PATHS.get((dialect.name, dialect.driver)) or _hot_path(dialect)
    cursor = conn.connection.driver_connection.cursor()
    try:
        rows = hot.run(cursor, sent, outbox_ids, now)
    finally:
        cursor.close()
    session.commit()
    if len(rows) > 1 and len(outbox_ids) > 1:
        order = {oid: i for i, oid in enumerate(outbox_ids)}
        rows.sort(key=lambda row: order[row.id])
    return rows


class _HotPath:
    """``mark_sent_and_claim``'s SQL for one dialect, run on the raw DBAPI cursor: no statement
    compiled, no result object and no ORM per call. Dates are bound and the payload read through
    the columns' own type processors (the same values SQLAlchemy would bind and return)."""

    _RETURNING = "RETURNING outbox.id, outbox.chat_id, outbox.payload, outbox.attempts, outbox.kind"

    def __init__(self, dialect) -> None:
        self.postgres = dialect.name == "postgresql"
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise NotImplementedError(f"outbox hot path: paramstyle {dialect.paramstyle}")
        self.p = mark
        self.bind_time = UTCDateTime().dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        self.load_payload = _T.c.payload.type.dialect_impl(dialect).result_processor(dialect, None) or (lambda v: v)
        sent, sending = OutboxStatus.sent.value, OutboxStatus.sending.value
        self.claim_where = (
            f"outbox.status IN ('{OutboxStatus.pending.value}', '{OutboxStatus.failed.value}')"
            f" AND outbox.next_attempt_at <= {mark} AND (outbox.expires_at IS NULL OR outbox.expires_at > {mark})"
            f" AND (outbox.broadcast_id IS NULL OR outbox.broadcast_id IN"
            f" (SELECT broadcast.id FROM broadcast WHERE broadcast.status = '{BroadcastStatus.running.value}'))"
        )
        self.claim_set = f"status = '{sending}', attempts = outbox.attempts + 1"
        self.mark_sql = (f"UPDATE outbox SET status = '{sent}', sent_at = {mark}, telegram_message_id = {mark},"
                         f" last_error = NULL WHERE outbox.id = {mark} AND outbox.status = '{sending}'")
        self.drop_blob_sql = f"DELETE FROM outbox_blob WHERE outbox_blob.outbox_id = {mark}"
        self._claims: dict[int, str] = {}
        # PostgreSQL: the marks (an unnest of ids and message ids), the upload files' delete and the
        # claim in one statement — each part touches other rows (marked: sending; claimed: waiting)
        self.pg_sql = (
            f"WITH marked AS (UPDATE outbox SET status = '{sent}', sent_at = %s, telegram_message_id = v.mid,"
            f" last_error = NULL FROM unnest(%s::integer[], %s::integer[]) AS v(oid, mid)"
            f" WHERE outbox.id = v.oid AND outbox.status = '{sending}' RETURNING outbox.id),"
            f" dropped AS (DELETE FROM outbox_blob WHERE outbox_blob.outbox_id = ANY(%s::integer[]) RETURNING 1)"
            f" UPDATE outbox SET {self.claim_set} WHERE outbox.id = ANY(%s::integer[]) AND {self.claim_where}"
            f" {self._RETURNING}"
        )

    def claim_sql(self, n: int) -> str:
        sql = self._claims.get(n)
        if sql is None:
            ids = ", ".join([self.p] * n)
            sql = self._claims[n] = (f"UPDATE outbox SET {self.claim_set} WHERE outbox.id IN ({ids})"
                                     f" AND {self.claim_where} {self._RETURNING}")
        return sql

    def run(self, cursor, sent: list[Sent], outbox_ids: list[int], now: datetime) -> list[Claimed]:
        at = self.bind_time(now)
        if self.postgres:
            cursor.execute(self.pg_sql, (at, [s[0] for s in sent], [s[1] for s in sent],
                                         [s[0] for s in sent if s[2]], list(outbox_ids), at, at))
        else:
            if sent:
                cursor.executemany(self.mark_sql, [(at, mid, oid) for oid, mid, _ in sent])
                uploads = [(oid,) for oid, _, had_upload in sent if had_upload]
                if uploads:  # delivered: the file need not stay in the database
                    cursor.executemany(self.drop_blob_sql, uploads)
            if not outbox_ids:
                return []
            cursor.execute(self.claim_sql(len(outbox_ids)), (*outbox_ids, at, at))
        load = self.load_payload
        return [Claimed(r[0], r[1], load(r[2]), r[3], r[4]) for r in cursor.fetchall()]


_HOT_PATHS: dict[tuple[str, str], _HotPath] = {}


def _hot_path(dialect) -> _HotPath:
    hot = _HOT_PATHS[(dialect.name, dialect.driver)] = _HotPath(dialect)
    return hot


def upload_of(session: Session, *, outbox_id: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of a queued document/photo upload."""
    row = session.connection().execute(sa_select(_B.c.filename, _B.c.content).where(_B.c.outbox_id == outbox_id)).first()
    session.rollback()
    return (row[0], bytes(row[1])) if row is not None else None


def mark_sent(session: Session, *, sent: list[Sent], now: datetime | None = None) -> None:
    """Mark messages Telegram accepted ``sent`` (their Telegram message ids; an upload's file is
    dropped); one commit (:func:`mark_sent_and_claim` without claims)."""
    mark_sent_and_claim(session, sent=sent, outbox_ids=[], now=now)


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
