"""Customers from the bot's point of view: /start registration, deep links, inviter binding (CO1)."""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import normalize_language
from smo_app.models.base import utcnow
from smo_app.models.tracking import TrackingLink, TrackingVisitor
from smo_app.models.customer import Customer
from smo_app.services.core.locks import xact_lock
from smo_app.services.core.shop_locale import shop_language
from smo_app.services.core.unique import unique_violation

_REF = re.compile(r"^ref(\d{1,12})$")
_PRODUCT = re.compile(r"^p(\d{1,12})$")
_LINK = re.compile(r"^link_([A-Za-z0-9_-]{1,32})$")
MAX_INVITER_DEPTH = 1000


class CustomerOut(BaseModel):
    id: int
    telegram_id: int | None
    username: str | None
    full_name: str
    language: str
    kind: str
    inviter_id: int | None
    unreachable: bool
    first_seen_at: datetime
    last_seen_at: datetime


class TelegramProfile(BaseModel):
    """A Telegram user as an update describes them (the bot passes it on; Telegram vouches for it)."""

    telegram_id: int
    username: str | None = None
    full_name: str = ""
    language: str | None = None  # Telegram's language_code


class StartOut(BaseModel):
    """What /start did: the customer, whether they are new, and what the deep link asked for."""

    customer: CustomerOut
    is_new: bool
    inviter_bound: bool = False
    product_id: int | None = None
    tracking_code: str | None = None  # a known, active tracking link that was counted


def parse_start_param(param: str | None) -> tuple[str, str] | None:
    """("ref", "12") / ("product", "5") / ("link", "promo") or None for anything else."""
    if not param:
        return None
    for kind, pattern in (("ref", _REF), ("product", _PRODUCT), ("link", _LINK)):
        m = pattern.match(param.strip())
        if m:
            return kind, m.group(1)
    return None


def register_telegram_user(
    session: Session,
    *,
    telegram_id: int,
    username: str | None,
    full_name: str,
    language: str | None,
    start_param: str | None = None,
    now: datetime | None = None,
) -> StartOut:
    """Create or update the customer of a Telegram user and apply the deep link; one commit."""
    now = now or utcnow()
    customer = session.exec(select(Customer).where(Customer.telegram_id == telegram_id)).first()
    is_new = customer is None
    if customer is None:
        customer = Customer(telegram_id=telegram_id, first_seen_at=now)
    customer.username = (username or None) and username[:64]
    customer.full_name = (full_name or "").strip()[:128]
    # the customer's Telegram language when the shop speaks it, else the shop's (settings page)
    customer.language = normalize_language(language, default=shop_language(session))
    customer.last_seen_at = now
    if customer.unreachable:  # they came back: deliver again
        customer.unreachable = False
        customer.unreachable_at = None
    session.add(customer)
    try:
        session.flush()
    except IntegrityError as exc:  # the same user's first /start raced with another: take the winner's row
        if not is_new or unique_violation(exc) != ("customer", frozenset({"telegram_id"})):
            raise
        session.rollback()
        return register_telegram_user(session, telegram_id=telegram_id, username=username, full_name=full_name,
                                      language=language, start_param=start_param, now=now)
    result = StartOut(customer=_out(customer), is_new=is_new)
    parsed = parse_start_param(start_param)
    if parsed:
        kind, value = parsed
        if kind == "ref":
            result.inviter_bound = bind_inviter(session, customer=customer, inviter_id=int(value))
        elif kind == "product":
            result.product_id = int(value)
        elif kind == "link":
            if _count_click(session, code=value, customer=customer, is_new=is_new, now=now):
                result.tracking_code = value
    session.commit()
    result.customer = _out(customer)
    return result


def bind_inviter(session: Session, *, customer: Customer, inviter_id: int) -> bool:
    """Bind ``inviter_id`` as the customer's inviter: only once, never oneself, never a cycle.

    No commit: part of the caller's transaction. True if bound now. Bindings run one at a time
    (a transaction lock), and read the chain fresh: two customers opening each other's links at
    the same moment, or one customer opening two links, bind at most once and never make a cycle.
    """
    if customer.inviter_id is not None or inviter_id == customer.id:
        return False
    xact_lock(session, "customer.bind_inviter")
    session.refresh(customer, ["inviter_id"])
    if customer.inviter_id is not None:
        return False
    inviter = session.get(Customer, inviter_id, populate_existing=True)
    if inviter is None:
        return False
    # walk up the inviter chain: meeting the customer means binding would close a cycle
    current, depth = inviter, 0
    while current.inviter_id is not None and depth < MAX_INVITER_DEPTH:
        if current.inviter_id == customer.id:
            return False
        current = session.get(Customer, current.inviter_id, populate_existing=True)
        depth += 1
        if current is None:
            break
    customer.inviter_id = inviter_id
    session.add(customer)
    return True


def _count_click(session: Session, *, code: str, customer: Customer, is_new: bool, now: datetime) -> bool:
    link = session.exec(select(TrackingLink).where(TrackingLink.code == code)).first()
    if link is None or link.archived_at is not None:
        return False
    session.execute(
        update(TrackingLink).where(TrackingLink.id == link.id).values(clicks=TrackingLink.clicks + 1)
        .execution_options(synchronize_session=False)
    )
    seen = session.exec(
        select(TrackingVisitor.id).where(TrackingVisitor.link_id == link.id,
                                         TrackingVisitor.telegram_id == customer.telegram_id)
    ).first()
    # no race with a concurrent /start of the same user: both updated the customer row first (last_seen_at),
    # so the second waits for the first to commit and sees its visitor row here
    if seen is None:
        session.add(TrackingVisitor(link_id=link.id, telegram_id=customer.telegram_id, customer_id=customer.id,
                                    is_new=is_new, first_at=now))
    return True


def get_by_telegram_id(session: Session, telegram_id: int) -> CustomerOut | None:
    row = session.exec(select(Customer).where(Customer.telegram_id == telegram_id)).first()
    out = _out(row) if row else None
    session.rollback()
    return out


def set_language(session: Session, *, telegram_id: int, language: str) -> None:
    row = session.exec(select(Customer).where(Customer.telegram_id == telegram_id)).first()
    if row is not None:
        row.language = normalize_language(language)
        session.add(row)
        session.commit()


def _out(c: Customer) -> CustomerOut:
    return CustomerOut.model_validate(c, from_attributes=True)
