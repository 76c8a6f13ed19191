"""Customer sessions for the Mini App: bound only after Telegram initData verification.

Like the staff sessions: the client holds an opaque random token, the database keeps its SHA-256
with an expiry; a session can be revoked. A customer session never opens anything staff-only.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.customer_session import CustomerSession
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.tx import atomic
from smo_app.services.customers.registration import CustomerOut, StartOut, register_telegram_user
from smo_app.services.customers.telegram_init_data import DEMO_TELEGRAM_ID, TelegramInitData, verify_init_data
from smo_app.services.core.actor import Actor
from smo_app.services.staff.auth import TOUCH_EVERY, hash_token, peek_session_row, touch_due
from smo_app.settings import get_settings

DEFAULT_TTL = timedelta(days=7)
DEFAULT_MAX_AGE = timedelta(hours=24)


class CustomerSignedIn(BaseModel):
    token: str
    expires_at: datetime
    customer: CustomerOut
    is_new: bool
    start: StartOut  # what the start_param deep link asked for (inviter, product, tracking link)
    init_data: TelegramInitData | None = None  # None: the demo sign-in (no init data at all)


def _settings_or_none():
    try:
        return get_settings()
    except Exception:  # noqa: BLE001 - invalid settings in a bare test environment
        return None


def _ttl() -> timedelta:
    s = _settings_or_none()
    return timedelta(hours=s.customer_session_hours) if s else DEFAULT_TTL


def default_max_age() -> timedelta:
    s = _settings_or_none()
    return timedelta(hours=s.init_data_max_age_hours) if s else DEFAULT_MAX_AGE


@atomic
def start_customer_session(
    session: Session, *, customer_id: int, channel: str = "miniapp", ttl: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """Open a session for a customer and return its token (shown once, stored only as a hash)."""
    if session.get(Customer, customer_id) is None:
        raise NotFound("customer", customer_id)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(CustomerSession(token_hash=hash_token(token), customer_id=customer_id, channel=channel[:16],
                                created_at=now, last_seen_at=now, expires_at=now + (ttl or _ttl())))
    session.commit()
    return token


def resolve_customer_session(session: Session, *, token: str | None, now: datetime | None = None) -> CustomerOut | None:
    """The customer behind a token, or None if unknown, expired or revoked (records, now and then,
    that the session was seen: :func:`peek_customer_session` then :func:`touch_customer_session`)."""
    customer, stale = peek_customer_session(session, token=token, now=now)
    if customer is not None and stale:
        touch_customer_session(session, token=token or "", now=now)
    else:
        session.rollback()
    return customer


def peek_customer_session(session: Session, *, token: str | None,
                          now: datetime | None = None) -> tuple[CustomerOut | None, bool]:
    """Like :func:`resolve_customer_session` but read-only: (the customer or None, whether the
    session's last-seen stamp is due). The Mini App resolves the session on every event; reading
    only keeps those resolutions out of the write lock, and :func:`touch_customer_session` writes
    the stamp at most every few minutes."""
    def customer_of(row: CustomerSession) -> CustomerOut | None:
        customer = session.get(Customer, row.customer_id)
        return None if customer is None else CustomerOut.model_validate(customer, from_attributes=True)

    return peek_session_row(session, CustomerSession, token, now, customer_of)


_S, _C = CustomerSession.__table__.c, Customer.__table__.c
_ACTOR_OF_SESSION = (
    select(_S.revoked_at, _S.expires_at, _S.last_seen_at, _C.id, _C.full_name, _C.language)
    .join_from(CustomerSession.__table__, Customer.__table__, _C.id == _S.customer_id)
    .where(_S.token_hash == bindparam("token_hash"))  # built once: no statement to build per event
)


def peek_customer_actor(session: Session, *, token: str | None,
                        now: datetime | None = None) -> tuple[Actor | None, bool, str | None]:
    """What the calling seam resolves on every Mini App event: (the customer's actor or None, whether
    the session's last-seen stamp is due, the customer's language) — :func:`peek_customer_session`'s
    answer in one indexed read of plain columns (no ORM objects: this runs before every call)."""
    if not token:
        return None, False, None
    row = session.execute(_ACTOR_OF_SESSION, {"token_hash": hash_token(token)}).first()
    stale = None if row is None else touch_due(row, now or utcnow())
    if stale is None:
        return None, False, None
    return Actor.customer(row.id, name=row.full_name), stale, row.language


def touch_customer_session(session: Session, *, token: str, now: datetime | None = None) -> None:
    """Record that the session was seen (one conditional UPDATE, so concurrent touches are harmless; commits)."""
    now = now or utcnow()
    session.execute(
        update(CustomerSession)
        .where(CustomerSession.token_hash == hash_token(token), CustomerSession.last_seen_at < now - TOUCH_EVERY)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def end_customer_session(session: Session, *, token: str | None, now: datetime | None = None) -> None:
    """Revoke the session (idempotent)."""
    if not token:
        return
    session.execute(
        update(CustomerSession)
        .where(CustomerSession.token_hash == hash_token(token), CustomerSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()


def end_all_customer_sessions(session: Session, *, customer_id: int, now: datetime | None = None) -> int:
    """Revoke every live session of a customer (e.g. the tester reset, a blocked customer)."""
    n = session.execute(
        update(CustomerSession)
        .where(CustomerSession.customer_id == customer_id, CustomerSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return n


def sign_in_with_init_data(
    session: Session,
    *,
    init_data: str,
    bot_token: str,
    max_age: timedelta | None = None,
    now: datetime | None = None,
) -> CustomerSignedIn:
    """Verify Telegram initData, then register/update the customer (deep links included, as the bot's
    /start does) and bind a session. Refused data raises before anything is written."""
    now = now or utcnow()
    data = verify_init_data(init_data, bot_token=bot_token, max_age=max_age or default_max_age(), now=now)
    start = register_telegram_user(
        session, telegram_id=data.user.id, username=data.user.username, full_name=data.user.full_name,
        language=data.user.language_code, start_param=data.start_param, now=now,
    )
    ttl = _ttl()
    token = start_customer_session(session, customer_id=start.customer.id, ttl=ttl, now=now)
    return CustomerSignedIn(token=token, expires_at=now + ttl, customer=start.customer, is_new=start.is_new,
                            start=start, init_data=data)


def sign_in_telegram(session: Session, *, init_data: str, now: datetime | None = None) -> CustomerSignedIn:
    """The Mini App's sign-in: ``init_data`` verified with the shop's bot token (``SMO_BOT_TOKEN``).
    Without a bot token nothing can be verified, so nobody signs in this way (``identity.no_bot``);
    a demo shop without a bot uses :func:`sign_in_demo_customer`."""
    settings = _settings_or_none()
    token = settings.bot_token.get_secret_value() if settings is not None and settings.bot_token else ""
    if not token:
        raise DomainError("identity.init_data_missing", "no bot token: init data cannot be verified")
    return sign_in_with_init_data(session, init_data=init_data, bot_token=token, now=now)


def sign_in_demo_customer(session: Session, *, now: datetime | None = None) -> CustomerSignedIn:
    """Demo mode only (``SMO_DEMO=1``): sign in the demo customer, chosen here on the server — the
    browser names nobody, and no init data (however signed) is involved. Refused outside demo mode."""
    settings = _settings_or_none()
    if settings is None or not settings.demo:
        raise DomainError("identity.init_data_missing", "demo sign-in outside demo mode")
    now = now or utcnow()
    start = register_telegram_user(session, telegram_id=DEMO_TELEGRAM_ID, username=None, full_name="Demo",
                                   language="ru", start_param=None, now=now)
    ttl = _ttl()
    token = start_customer_session(session, customer_id=start.customer.id, ttl=ttl, now=now)
    return CustomerSignedIn(token=token, expires_at=now + ttl, customer=start.customer, is_new=start.is_new,
                            start=start)
