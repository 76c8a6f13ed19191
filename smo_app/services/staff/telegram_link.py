"""Linking a staff member's Telegram account: a one-time code sent to the bot, and unlinking.

The profile page asks for a code (``create_link_code``) and shows ``t.me/<bot>?start=staff_<code>``;
the bot's /start hands the code and the sender's Telegram id to ``bind_telegram``. A code is
single-use (conditional UPDATE on ``used_at IS NULL``), expires after ``CODE_TTL``, and only its
SHA-256 is stored. Every link and unlink is audited.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.presence import StaffLinkCode
from smo_app.models.staff import Staff
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from smo_app.services.staff import accounts

START_PREFIX = "staff_"
CODE_TTL = timedelta(minutes=10)


class LinkCodeOut(BaseModel):
    code: str
    start_param: str  # what follows /start
    deep_link: str | None  # t.me/<bot>?start=… when the bot's username is known
    expires_at: datetime


class TelegramLinkOut(BaseModel):
    staff_id: int
    full_name: str
    telegram_id: int | None


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _staff_of(session: Session, actor: Actor) -> Staff:
    if not actor.is_staff or actor.id is None:
        raise PermissionDenied("only staff link a Telegram account")
    staff = session.get(Staff, actor.id, populate_existing=True)
    if staff is None or not staff.is_active:
        raise NotFound("staff", actor.id)
    return staff


def link_status(session: Session, *, actor: Actor) -> TelegramLinkOut:
    staff = _staff_of(session, actor)
    out = TelegramLinkOut(staff_id=staff.id, full_name=staff.full_name, telegram_id=staff.telegram_id)
    session.rollback()
    return out


def create_link_code(session: Session, *, actor: Actor, bot_username: str | None = None,
                     now: datetime | None = None) -> LinkCodeOut:
    """A fresh code for the signed-in staff member; earlier unused codes of theirs stop working. Commits."""
    now = now or utcnow()
    staff = _staff_of(session, actor)
    session.execute(update(StaffLinkCode).where(StaffLinkCode.staff_id == staff.id, StaffLinkCode.used_at.is_(None))
                    .values(expires_at=now).execution_options(synchronize_session=False))
    code = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")  # [A-Za-z0-9]: a valid start param
    row = StaffLinkCode(staff_id=staff.id, code_hash=_hash(code), created_at=now, expires_at=now + CODE_TTL)
    session.add(row)
    audit.record(session, actor=actor, action="staff.telegram_code", entity="staff", entity_id=staff.id,
                 after={"expires_at": row.expires_at.isoformat()})
    session.commit()
    param = START_PREFIX + code
    return LinkCodeOut(code=code, start_param=param, expires_at=row.expires_at,
                       deep_link=f"https://t.me/{bot_username}?start={param}" if bot_username else None)


def parse_start_param(start_param: str | None) -> str | None:
    """The code inside a ``staff_<code>`` deep link, or None for any other /start parameter."""
    if start_param and start_param.startswith(START_PREFIX):
        return start_param[len(START_PREFIX):]
    return None


def bind_telegram(session: Session, *, code: str, telegram_id: int, now: datetime | None = None) -> TelegramLinkOut:
    """The bot got ``/start staff_<code>`` from ``telegram_id``: link it to the code's staff member. Commits.

    Refused (``staff.link_code_invalid``) when the code is unknown, used or expired — a code works once
    even when two messages race (the conditional UPDATE decides).
    """
    now = now or utcnow()
    if not code or len(code) > 64:
        raise ValidationFailed("staff.link_code_invalid", "empty or oversized code")
    claimed = session.execute(
        update(StaffLinkCode)
        .where(StaffLinkCode.code_hash == _hash(code), StaffLinkCode.used_at.is_(None), StaffLinkCode.expires_at > now)
        .values(used_at=now, used_by_telegram_id=telegram_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise DomainError("staff.link_code_invalid", "unknown, used or expired link code")
    row = session.exec(select(StaffLinkCode).where(StaffLinkCode.code_hash == _hash(code))).one()
    staff = session.get(Staff, row.staff_id, populate_existing=True)
    if staff is None or not staff.is_active:
        session.rollback()
        raise DomainError("staff.link_code_invalid", "staff member is gone")
    actor = Actor.staff(staff.id, staff.role, staff.full_name)
    try:
        accounts.assign_telegram_id(session, actor=actor, staff=staff, telegram_id=telegram_id, now=now)
    except DomainError:
        session.rollback()
        raise
    session.commit()
    return TelegramLinkOut(staff_id=staff.id, full_name=staff.full_name, telegram_id=telegram_id)


def unlink_telegram(session: Session, *, actor: Actor, now: datetime | None = None) -> TelegramLinkOut:
    """Forget the signed-in staff member's Telegram account. Commits."""
    staff = _staff_of(session, actor)
    if staff.telegram_id is None:
        raise DomainError("staff.telegram_not_linked", "no Telegram account linked")
    before = staff.telegram_id
    staff.telegram_id = None
    staff.updated_at = now or utcnow()
    session.add(staff)
    audit.record(session, actor=actor, action="staff.telegram_unlink", entity="staff", entity_id=staff.id,
                 before={"telegram_id": before}, after={"telegram_id": None})
    session.commit()
    return TelegramLinkOut(staff_id=staff.id, full_name=staff.full_name, telegram_id=None)
