"""AN5: manual revenue entries — money earned outside the system that counts in every figure.

The owner adds and deletes them (audited); owner and admin see them.
"""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import delete
from sqlmodel import Session, select

from smo_app.models.analytics import ManualRevenue
from smo_app.models.base import utcnow
from smo_app.money import parse_money
from smo_app.services.analytics.periods import local_today, shop_tz
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed, get_or_not_found
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic

MAX_AMOUNT_MINOR = 100_000_000_00  # 100 million in major units: a typo guard, not a business rule
NOTE_MAX = 300


class ManualRevenueOut(BaseModel):
    id: int
    day: date
    amount_minor: int
    note: str
    created_by_name: str
    created_at: datetime


@atomic
def add_manual_revenue(session: Session, *, actor: Actor, day: date | None, amount_minor: int | None, note: str,
                       now: datetime | None = None) -> ManualRevenueOut:
    require(actor, Perm.analytics_manual)
    now = now or utcnow()
    if day is None or day > local_today(shop_tz(session), now):
        raise ValidationFailed("analytics.manual_day_invalid", f"day {day}")
    if amount_minor is None or not 0 < amount_minor <= MAX_AMOUNT_MINOR:
        raise ValidationFailed("analytics.manual_amount_invalid", f"amount {amount_minor}")
    note = (note or "").strip()
    if not 1 <= len(note) <= NOTE_MAX:
        raise ValidationFailed("analytics.manual_note_invalid", "note length", max=NOTE_MAX)
    entry = ManualRevenue(day=day, amount_minor=amount_minor, note=note, created_by_id=actor.id if actor.is_staff else None,
                          created_by_name=actor.name[:128], created_at=now)
    session.add(entry)
    session.flush()
    audit.record(session, actor=actor, action="analytics.manual_revenue_add", entity="manual_revenue",
                 entity_id=entry.id, after={"day": day, "amount_minor": amount_minor, "note": note})
    out = ManualRevenueOut.model_validate(entry, from_attributes=True)
    session.commit()
    return out


def list_manual_revenue(session: Session, *, actor: Actor, date_from: date | None = None, date_to: date | None = None,
                        limit: int = 200) -> list[ManualRevenueOut]:
    require(actor, Perm.analytics_view)
    query = select(ManualRevenue)
    if date_from:
        query = query.where(ManualRevenue.day >= date_from)
    if date_to:
        query = query.where(ManualRevenue.day <= date_to)
    rows = session.exec(query.order_by(ManualRevenue.day.desc(), ManualRevenue.id.desc()).limit(min(limit, 1000))).all()
    out = [ManualRevenueOut.model_validate(r, from_attributes=True) for r in rows]
    session.rollback()
    return out


@atomic
def delete_manual_revenue(session: Session, *, actor: Actor, entry_id: int) -> ManualRevenueOut:
    """Delete one entry. Two owners deleting at once: the second gets "not found", one audit entry."""
    require(actor, Perm.analytics_manual)
    entry = get_or_not_found(session, ManualRevenue, entry_id, "manual_revenue")
    out = ManualRevenueOut.model_validate(entry, from_attributes=True)
    session.expunge(entry)
    gone = session.execute(delete(ManualRevenue).where(ManualRevenue.id == entry_id)
                           .execution_options(synchronize_session=False)).rowcount
    if gone != 1:
        raise NotFound("manual_revenue", entry_id)
    audit.record(session, actor=actor, action="analytics.manual_revenue_delete", entity="manual_revenue",
                 entity_id=entry_id, before={"day": out.day, "amount_minor": out.amount_minor, "note": out.note})
    session.commit()
    return out


def add_manual_revenue_as_typed(session: Session, *, actor: Actor, day: str, amount: str, note: str) -> ManualRevenueOut:
    """The analytics page's form: the day (``YYYY-MM-DD``) and the amount (rubles) as typed; what
    does not read is refused as the missing value is (the day, the amount)."""
    try:
        when = date.fromisoformat((day or "").strip())
    except ValueError:
        when = None
    try:
        minor = parse_money(amount)
    except ValueError:
        minor = None
    return add_manual_revenue(session, actor=actor, day=when, amount_minor=minor, note=note)
