"""Tracking links (CR4): ``t.me/<bot>?start=link_<code>``; clicks, unique users, conversion, archive."""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.tracking import TrackingLink, TrackingVisitor
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed, get_or_not_found
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.paging import page_of
from smo_app.services.core.unique import unique_as
from smo_app.services.core.tx import atomic
from smo_app.models.orders import Order
from smo_app.settings import get_settings

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class TrackingLinkOut(BaseModel):
    id: int
    code: str
    title: str
    url: str
    created_at: datetime
    archived: bool
    clicks: int
    unique_users: int
    new_users: int
    buyers: int | None  # unique users with an order after their first click; None until orders exist
    conversion_pct: float | None


def link_url(code: str, bot_username: str | None = None) -> str:
    if bot_username is None:
        bot_username = get_settings().bot_username
    return f"https://t.me/{bot_username}?start=link_{code}"


@atomic
def create_link(session: Session, *, actor: Actor, title: str, code: str | None = None) -> TrackingLinkOut:
    require(actor, Perm.promotions_manage)
    code = (code or secrets.token_urlsafe(6).replace("-", "").replace("_", "")[:8]).strip()
    if not _CODE.match(code):
        raise ValidationFailed("tracking.code_invalid", f"bad code {code!r}")
    def taken() -> ValidationFailed:
        return ValidationFailed("tracking.code_taken", f"code {code} taken", code=code)

    if session.exec(select(TrackingLink.id).where(TrackingLink.code == code)).first() is not None:
        raise taken()
    link = TrackingLink(code=code, title=(title or "").strip()[:128])
    session.add(link)
    with unique_as(session, "tracking_link", "code", taken):
        session.flush()
    audit.record(session, actor=actor, action="tracking.create", entity="tracking_link", entity_id=link.id,
                 after={"code": code, "title": link.title})
    session.commit()
    return _stats_and_end(session, link)


@atomic
def archive_link(session: Session, *, actor: Actor, link_id: int) -> TrackingLinkOut:
    require(actor, Perm.promotions_manage)
    link = get_or_not_found(session, TrackingLink, link_id, "tracking_link")
    # conditional: of two archives at the same moment only one happens (and is audited)
    now = utcnow()
    archived = session.execute(
        update(TrackingLink).where(TrackingLink.id == link_id, TrackingLink.archived_at.is_(None))
        .values(archived_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if archived == 1:
        audit.record(session, actor=actor, action="tracking.archive", entity="tracking_link", entity_id=link.id)
        session.commit()
    session.refresh(link)
    return _stats_and_end(session, link)


def list_links(session: Session, *, actor: Actor, include_archived: bool = False, page: int | None = None,
               page_size: int = 25) -> list[TrackingLinkOut]:
    """Newest first with their stats; one page (+1 row, so the caller knows more follow) when ``page``."""
    require(actor, Perm.promotions_manage)
    query = select(TrackingLink).order_by(TrackingLink.id.desc())
    if not include_archived:
        query = query.where(TrackingLink.archived_at.is_(None))
    out = [_stats(session, link) for link in session.exec(page_of(query, page, page_size)).all()]
    session.rollback()
    return out


def _stats_and_end(session: Session, link: TrackingLink) -> TrackingLinkOut:
    try:
        return _stats(session, link)
    finally:
        session.rollback()


def _stats(session: Session, link: TrackingLink) -> TrackingLinkOut:
    unique_users = session.exec(select(func.count()).where(TrackingVisitor.link_id == link.id)).one()
    new_users = session.exec(
        select(func.count()).where(TrackingVisitor.link_id == link.id, TrackingVisitor.is_new.is_(True))
    ).one()
    buyers = _buyers(session, link.id)
    conversion = None
    if buyers is not None:
        conversion = round(100.0 * buyers / unique_users, 1) if unique_users else 0.0
    return TrackingLinkOut(
        id=link.id, code=link.code, title=link.title, url=link_url(link.code), created_at=link.created_at,
        archived=link.archived_at is not None, clicks=link.clicks, unique_users=unique_users,
        new_users=new_users, buyers=buyers, conversion_pct=conversion,
    )


def _buyers(session: Session, link_id: int) -> int | None:
    """Visitors who placed an order after their first click (needs the commerce Order model)."""
    return session.exec(
        select(func.count(func.distinct(TrackingVisitor.customer_id)))
        .select_from(TrackingVisitor)
        .join(Order, Order.customer_id == TrackingVisitor.customer_id)
        .where(TrackingVisitor.link_id == link_id, Order.created_at >= TrackingVisitor.first_at)
    ).one()
