"""Courier handoff (OR7): record who took which orders; a courier who is a staff member with a
linked Telegram gets the list through the outbox."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.couriers import CourierHandoff, CourierHandoffOrder
from smo_app.models.orders import Order
from smo_app.models.staff import Staff
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.models.orders import OrderStatus
from smo_app.services.sales.order_states import SHIPPABLE_STATUSES
from smo_app.i18n import t
from smo_app.money import format_money
from smo_app.services.messaging import outbox

MAX_ORDERS = 100


class HandoffOut(BaseModel):
    id: int
    courier_name: str
    courier_staff_id: int | None
    order_ids: list[int]
    created_at: datetime
    actor_name: str
    notified: bool = False


def _courier_text(lang: str, handoff_id: int, rows: list) -> str:
    lines = [t("couriers.list_title", lang, id=handoff_id)]
    for o in rows:
        lines.append(t("couriers.list_line", lang, id=o.id, name=escape(o.contact_name or o.buyer_name or "—"),
                       phone=escape(o.phone or "—"), address=escape(o.address or "—")))
        if o.status == OrderStatus.new:  # cash on delivery: what to collect
            lines.append(t("couriers.list_collect", lang, amount=format_money(o.total_minor, lang=lang)))
    return "\n".join(lines)


def order_numbers(ids: Sequence[int]) -> str:
    return ", ".join(f"№{i}" for i in ids)


def refuse_unshippable(rows: Sequence, *, cash_on_delivery: bool) -> None:
    """Only orders that may ship go to a courier or onto a pick list: paid or later, or unpaid with
    cash on delivery chosen explicitly. The refusal names every order that may not."""
    closed = [o.id for o in rows if o.status in (OrderStatus.cancelled, OrderStatus.completed)]
    if closed:
        raise ValidationFailed("couriers.order_closed", "closed orders", id=order_numbers(closed))
    unpaid = [o.id for o in rows if o.status not in {s.value for s in SHIPPABLE_STATUSES}]
    if unpaid and not cash_on_delivery:
        raise ValidationFailed("couriers.order_unpaid", "unpaid orders", ids=order_numbers(unpaid))


@atomic
def hand_over(session: Session, *, actor: Actor, order_ids: Sequence[int], courier_staff_id: int | None = None,
              courier_name: str = "", note: str = "", cash_on_delivery: bool = False,
              now: datetime | None = None) -> HandoffOut:
    """Record that a courier took ``order_ids`` — paid (or later) orders; an unpaid one only with
    ``cash_on_delivery`` (the courier collects its total, said in the list and the audit). The
    courier is a staff member (``courier_staff_id``) or a name; a staff courier with a linked
    Telegram gets the list."""
    require(actor, Perm.orders_manage)
    now = now or utcnow()
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        raise ValidationFailed("order.pick_empty", "choose at least one order")
    if len(ids) > MAX_ORDERS:
        raise ValidationFailed("order.pick_too_many", "too many orders", max=MAX_ORDERS)
    staff = None
    if courier_staff_id is not None:
        staff = session.get(Staff, courier_staff_id)
        if staff is None or not staff.is_active:
            raise NotFound("staff", courier_staff_id)
        courier_name = staff.full_name or staff.username
    courier_name = (courier_name or "").strip()
    if not 1 <= len(courier_name) <= 128:
        raise ValidationFailed("couriers.name_invalid", "courier name 1..128")
    if len(note or "") > 500:
        raise ValidationFailed("couriers.note_too_long", "note up to 500")
    rows = session.execute(select(Order).where(Order.id.in_(ids)).order_by(Order.id)).scalars().all()
    found = {o.id for o in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("order", missing[0])
    refuse_unshippable(rows, cash_on_delivery=cash_on_delivery)
    collect = [o.id for o in rows if o.status == OrderStatus.new]
    handoff = CourierHandoff(courier_staff_id=staff.id if staff else None, courier_name=courier_name,
                             note=(note or "").strip(), actor_id=actor.id, actor_name=actor.name[:128], created_at=now)
    session.add(handoff)
    session.flush()
    for order_id in ids:
        session.add(CourierHandoffOrder(handoff_id=handoff.id, order_id=order_id))
    notified = False
    if staff is not None and staff.telegram_id is not None:
        lang = getattr(staff, "language", None) or "ru"
        notified = outbox.enqueue_message(session, kind="courier_list", chat_id=staff.telegram_id, staff_id=staff.id,
                                          text=_courier_text(lang, handoff.id, list(rows)),
                                          dedupe_key=f"courier_list:{handoff.id}") is not None
    audit.record(session, actor=actor, action="courier.handoff", entity="courier_handoff", entity_id=handoff.id,
                 after={"courier": courier_name, "orders": ids, "cash_on_delivery": collect}, note=note or None)
    out = HandoffOut(id=handoff.id, courier_name=courier_name, courier_staff_id=handoff.courier_staff_id,
                     order_ids=ids, created_at=now, actor_name=handoff.actor_name, notified=notified)
    session.commit()
    return out


def list_handoffs(session: Session, *, actor: Actor, limit: int = 20) -> list[HandoffOut]:
    """The latest handoffs, newest first."""
    require(actor, Perm.orders_view)
    handoffs = session.execute(select(CourierHandoff).order_by(CourierHandoff.id.desc())
                               .limit(min(max(1, limit), 100))).scalars().all()
    ids = [h.id for h in handoffs]
    pairs = session.execute(select(CourierHandoffOrder.handoff_id, CourierHandoffOrder.order_id)
                            .where(CourierHandoffOrder.handoff_id.in_(ids)).order_by(CourierHandoffOrder.order_id)).all() \
        if ids else []
    by: dict[int, list[int]] = {}
    for hid, oid in pairs:
        by.setdefault(hid, []).append(oid)
    out = [HandoffOut(id=h.id, courier_name=h.courier_name, courier_staff_id=h.courier_staff_id,
                      order_ids=by.get(h.id, []), created_at=h.created_at, actor_name=h.actor_name) for h in handoffs]
    session.rollback()
    return out


class CourierChoice(BaseModel):
    id: int
    name: str
    has_telegram: bool


def courier_choices(session: Session, *, actor: Actor) -> list[CourierChoice]:
    """Active staff who can take orders out (for the handoff form)."""
    require(actor, Perm.orders_manage)
    staff = session.execute(select(Staff).where(Staff.is_active.is_(True)).order_by(Staff.full_name, Staff.id)).scalars().all()
    out = [CourierChoice(id=s.id, name=s.full_name or s.username, has_telegram=s.telegram_id is not None) for s in staff]
    session.rollback()
    return out


__all__ = ["CourierChoice", "HandoffOut", "courier_choices", "hand_over", "list_handoffs"]
