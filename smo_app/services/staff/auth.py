"""Staff sign-in (password for the backoffice, PIN for the POS), sessions and lockout."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import bindparam, update
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.staff import Channel, SignInAttempt, Staff, StaffSession
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.staff.passwords import verify_secret
from smo_app.services.core.permissions import Perm, can
from smo_app.services.staff.dto import StaffOut
from smo_app.settings import get_settings

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
DEFAULT_SESSION_TTL = timedelta(hours=12)
S = TypeVar("S")  # a session row: StaffSession or CustomerSession
O = TypeVar("O")  # who is behind it
TOUCH_EVERY = timedelta(minutes=5)  # a session's last-seen stamp is written at most this often (staff and customers)


class SignedIn(BaseModel):
    token: str
    staff: StaffOut
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_ttl() -> timedelta:
    try:
        return timedelta(hours=get_settings().staff_session_hours)
    except Exception:  # settings invalid in a bare test environment
        return DEFAULT_SESSION_TTL


def sign_in_password(
    session: Session, *, username: str, password: str, now: datetime | None = None
) -> SignedIn:
    """Backoffice sign-in. Raises ``auth.invalid_credentials``, ``auth.locked`` or ``auth.no_access``."""
    return _sign_in(session, username=username, secret=password, channel=Channel.backoffice, now=now)


def sign_in_pin(session: Session, *, username: str, pin: str, now: datetime | None = None) -> SignedIn:
    """POS sign-in on the shop tablet with the seller's PIN."""
    return _sign_in(session, username=username, secret=pin, channel=Channel.pos, now=now)


def _sign_in(session: Session, *, username: str, secret: str, channel: Channel, now: datetime | None) -> SignedIn:
    now = now or utcnow()
    name = (username or "").strip().lower()
    if not name or not secret:
        raise DomainError("auth.fields_required", "username and secret are required")
    # lock the account row: tries on one account run one at a time, so parallel guesses are counted
    # and the lockout holds (without it each try saw only its own failure and none locked)
    staff = session.exec(
        select(Staff).where(Staff.username == name).with_for_update().execution_options(populate_existing=True)
    ).first()

    if staff is not None and staff.locked_until is not None and staff.locked_until > now:
        audit.record(
            session, actor=Actor.anonymous(name), action="auth.sign_in_refused_locked",
            entity="staff", entity_id=staff.id, after={"channel": channel.value},
        )
        session.commit()
        raise DomainError("auth.locked", "account locked", until=staff.locked_until, minutes=_minutes_left(staff.locked_until, now))

    stored = None
    if staff is not None and staff.is_active:
        stored = staff.password_hash if channel == Channel.backoffice else staff.pin_hash
    ok = verify_secret(secret, stored) and staff is not None and staff.is_active

    if not ok:
        session.add(SignInAttempt(staff_id=staff.id if staff else None, username=name[:64], channel=channel, success=False, created_at=now))
        audit.record(
            session, actor=Actor.anonymous(name), action="auth.sign_in_failed",
            entity="staff", entity_id=staff.id if staff else None, after={"channel": channel.value, "username": name[:64]},
        )
        session.flush()
        if staff is not None and _recent_failures(session, staff, now) >= MAX_FAILURES:
            staff.locked_until = now + LOCK_DURATION
            session.add(staff)
            audit.record(
                session, actor=Actor.system(), action="auth.locked", entity="staff", entity_id=staff.id,
                after={"locked_until": staff.locked_until, "channel": channel.value},
            )
            session.commit()
            raise DomainError("auth.locked", "account locked", until=staff.locked_until, minutes=_minutes_left(staff.locked_until, now))
        session.commit()
        raise DomainError("auth.invalid_credentials", "wrong username or password")

    staff_out = StaffOut.of(staff)
    perm = Perm.backoffice_access if channel == Channel.backoffice else Perm.pos_access
    if not can(staff_out.actor(), perm):
        session.rollback()
        raise DomainError(f"auth.no_access_{channel.value}", f"role {staff.role} has no {channel.value} access")

    token = secrets.token_urlsafe(32)
    expires_at = now + _session_ttl()
    session.add(SignInAttempt(staff_id=staff.id, username=name, channel=channel, success=True, created_at=now))
    session.add(StaffSession(token_hash=hash_token(token), staff_id=staff.id, channel=channel, created_at=now, last_seen_at=now, expires_at=expires_at))
    if staff.locked_until is not None:
        staff.locked_until = None
        session.add(staff)
    audit.record(session, actor=staff_out.actor(), action="auth.sign_in", entity="staff", entity_id=staff.id, after={"channel": channel.value})
    session.commit()
    return SignedIn(token=token, staff=StaffOut.of(staff), expires_at=expires_at)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 59) // 60)


def _recent_failures(session: Session, staff: Staff, now: datetime) -> int:
    """Failures in the window, counting only those after the last success and the last lock."""
    since = now - FAILURE_WINDOW
    last_success = session.exec(
        select(func.max(SignInAttempt.created_at)).where(SignInAttempt.staff_id == staff.id, SignInAttempt.success)
    ).one()
    for bound in (last_success, staff.locked_until):
        if bound is not None and bound > since:
            since = bound
    return session.exec(
        select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.staff_id == staff.id,
            SignInAttempt.success == False,  # noqa: E712
            SignInAttempt.created_at > since,
        )
    ).one()


def resolve_session(session: Session, *, token: str | None, now: datetime | None = None) -> StaffOut | None:
    """The staff member behind a session token, or None if it is unknown, expired, revoked or inactive."""
    staff, stale = peek_session(session, token=token, now=now)
    if staff is not None and stale:
        touch_session(session, token=token, now=now)
    return staff


def peek_session_row(session: Session, model: type[S], token: str | None, now: datetime | None,
                     load: Callable[[S], O | None]) -> tuple[O | None, bool]:
    """(what ``load`` makes of the session row of ``token`` — a ``StaffSession`` or ``CustomerSession``
    neither revoked nor expired —, whether its last-seen stamp is due); ``(None, False)`` for no
    such row or when ``load`` finds nobody behind it."""
    if not token:
        return None, False
    now = now or utcnow()
    row = session.exec(select(model).where(model.token_hash == hash_token(token))).first()
    stale = None if row is None else touch_due(row, now)
    if stale is None:
        return None, False
    out = load(row)
    return (None, False) if out is None else (out, stale)


def touch_due(row, now: datetime) -> bool | None:
    """For a session row (or a row of its ``revoked_at``, ``expires_at`` and ``last_seen_at``):
    None when it is revoked or expired, else whether its last-seen stamp is due."""
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    return now - row.last_seen_at > TOUCH_EVERY


def peek_session(session: Session, *, token: str | None, now: datetime | None = None) -> tuple[StaffOut | None, bool]:
    """Like :func:`resolve_session` but read-only: (the staff member or None, whether the session's
    last-seen stamp is due). Screens resolve a session on every event; reading only keeps those
    resolutions out of the write lock, and :func:`touch_session` writes the stamp now and then."""
    def active(row: StaffSession) -> StaffOut | None:
        staff = session.get(Staff, row.staff_id)
        return StaffOut.of(staff) if staff is not None and staff.is_active else None

    return peek_session_row(session, StaffSession, token, now, active)


def touch_session(session: Session, *, token: str, now: datetime | None = None) -> None:
    """Record that the session was seen (one conditional UPDATE; commits)."""
    now = now or utcnow()
    session.execute(update(StaffSession).where(StaffSession.token_hash == hash_token(token),
                                               StaffSession.last_seen_at < now - TOUCH_EVERY)
                    .values(last_seen_at=now))
    session.commit()


_S, _ST = StaffSession.__table__.c, Staff.__table__.c
_ACTOR_OF_SESSION = (
    select(_S.channel, _S.revoked_at, _S.expires_at, _S.last_seen_at,
           _ST.id, _ST.role, _ST.full_name, _ST.username, _ST.is_active)
    .join_from(StaffSession.__table__, Staff.__table__, _ST.id == _S.staff_id)
    .where(_S.token_hash == bindparam("token_hash"))  # built once: no statement to build per event
)


def peek_channel_actor(session: Session, *, token: str | None, channel: Channel | str,
                       now: datetime | None = None) -> tuple[Actor | None, bool]:
    """What the calling seam resolves on every event: the actor of a live session opened on
    ``channel`` by an active staff member, and whether its last-seen stamp is due — the answer of
    :func:`resolve_channel_session` (without its write) in one indexed read of plain columns (no ORM objects: this runs
    before every call a screen makes)."""
    if not token:
        return None, False
    row = session.execute(_ACTOR_OF_SESSION, {"token_hash": hash_token(token)}).first()
    if row is None or row.channel != Channel(channel).value or not row.is_active:
        return None, False
    stale = touch_due(row, now or utcnow())
    if stale is None:
        return None, False
    return Actor.staff(row.id, row.role, row.full_name or row.username), stale


def session_channel(session: Session, *, token: str | None) -> str | None:
    if not token:
        return None
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    return row.channel if row else None


def sign_out(session: Session, *, token: str | None, now: datetime | None = None) -> None:
    """Revoke the session (idempotent)."""
    if not token:
        return
    now = now or utcnow()
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return
    # conditional: of two sign-outs at the same moment only one closes (and audits) the session
    closed = session.execute(
        update(StaffSession).where(StaffSession.id == row.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        session.rollback()
        return
    staff = session.get(Staff, row.staff_id)
    actor = StaffOut.of(staff).actor() if staff else Actor.system()
    audit.record(session, actor=actor, action="auth.sign_out", entity="staff", entity_id=row.staff_id, after={"channel": row.channel})
    session.commit()


def revoke_all_sessions(session: Session, *, staff_id: int, now: datetime | None = None) -> int:
    """Revoke every live session of a staff member; no commit (callers' transaction)."""
    now = now or utcnow()
    rows = session.exec(select(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def resolve_channel_session(
    session: Session, *, token: str | None, channel: Channel | str, now: datetime | None = None
) -> StaffOut | None:
    """Like :func:`resolve_session`, but only for a session opened on ``channel``.

    A PIN session from the shop tablet must never open the backoffice (and vice versa), even if
    its token is copied into the other cookie.
    """
    if not token:
        return None
    if session_channel(session, token=token) != Channel(channel).value:
        return None
    return resolve_session(session, token=token, now=now)
