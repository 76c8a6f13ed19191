"""Orders (OR1–OR5, OR8): the state machine, auto-cancel and reading.

Orders are created in one place, ``sales.order_creation.create_order``, by the Mini App checkout
(``sales.checkout.place_order``), the B2B entry (``sales.b2b.create_b2b_order``) and the POS;
both entry points are re-exported here for callers.

Every status change goes through :func:`transition`: a conditional UPDATE on the current status
(so two concurrent moves never both apply), the side effects of the new status, one OrderEvent,
an outbox message to the customer, an audit entry — one transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, func, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderChannel, OrderLine, OrderStatus
from smo_app.models.stock import MoveKind
from smo_app.services.core import audit
from smo_app.services.customers import loyalty
from smo_app.services.messaging import outbox
from smo_app.services.sales import promotions
from smo_app.services.stock import ledger as stock
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.sales.b2b import B2BItemIn, create_b2b_order
from smo_app.services.sales.checkout import place_order
from smo_app.services.sales.order_dto import OrderOut, event as _event, load_out as _load_out
from smo_app.services.sales.order_states import (
    ACTIVE_STATUSES, BACK_MOVES, CUSTOMER_TRANSITIONS, DELIVERY_LIST_STATUSES, TRANSITIONS,
)
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic

S = OrderStatus


# --------------------------------------------------------------------------- the state machine

@atomic
def transition(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    to_status: OrderStatus | str,
    reason: str | None = None,
    restock: bool = True,
    now: datetime | None = None,
    _notify_kind: str = "order_status",
) -> OrderOut:
    """Move an order to ``to_status`` if the table allows it (else ``order.transition_forbidden``).

    Side effects, each exactly once: ``paid`` — certificate redeemed, inviter's referral reward;
    ``completed`` — cashback and the inviter's lifetime share; ``cancelled`` — stock put back
    (``restock=True``) or written off (staff choice), spent bonuses returned, promo use released,
    certificate reactivated. Customers may only cancel their own ``new`` orders.
    """
    now = now or utcnow()
    try:
        to_status = S(to_status)
    except ValueError as exc:
        raise ValidationFailed("order.status_invalid", f"unknown status {to_status}") from exc
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("order", order_id)
    session.refresh(order)
    from_status = S(order.status)
    if actor.is_customer:
        if order.customer_id != actor.id:
            raise NotFound("order", order_id)
        if (from_status, to_status) not in CUSTOMER_TRANSITIONS:
            raise DomainError("order.transition_forbidden", f"{from_status} → {to_status}",
                              from_status=from_status.value, to_status=to_status.value)
        restock = True
    elif not actor.is_system:
        require(actor, Perm.orders_manage)
    if to_status not in TRANSITIONS[from_status]:
        raise DomainError("order.transition_forbidden", f"{from_status} → {to_status}",
                          from_status=from_status.value, to_status=to_status.value)
    try:
        values: dict = {"status": to_status.value, "updated_at": now}
        if to_status == S.paid and order.paid_at is None:
            values["paid_at"] = now
        elif to_status == S.completed:
            values["completed_at"] = now
        elif to_status == S.cancelled:
            values["cancelled_at"] = now
        result = session.execute(update(Order).where(Order.id == order_id, Order.status == from_status.value)
                                 .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise DomainError("order.changed_meanwhile", f"order {order_id} is no longer {from_status}")
        for key, value in values.items():  # already written by the UPDATE above
            set_committed_value(order, key, value)
        cfg = get_config(session)
        if to_status == S.paid and from_status == S.new:
            promotions.redeem_certificate(session, order_id=order_id, customer_id=order.customer_id, now=now)
            loyalty.on_order_paid(session, actor=actor, order=order, cfg=cfg, now=now)
        elif to_status == S.completed:
            loyalty.on_order_completed(session, actor=actor, order=order, cfg=cfg, now=now)
        elif to_status == S.cancelled:
            _undo_order(session, actor=actor, order=order, restock=restock, reason=reason, now=now)
        event = _event(order_id, from_status, to_status, actor, reason, now)
        session.add(event)
        session.flush()
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        if customer is not None:
            key = "notify.auto_cancel" if _notify_kind == "auto_cancel" else "notify.order_status"
            outbox.enqueue_to_customer(
                session, customer=customer, kind=_notify_kind, dedupe_key=f"order_status:{order_id}:{event.id}",
                text=t(key, customer.language, order=order_id, status=t(f"order.status.{to_status.value}", customer.language),
                       minutes=cfg.auto_cancel_minutes),
            )
        audit.record(session, actor=actor, action="order.back_move" if (from_status, to_status) in BACK_MOVES
                     else "order.transition", entity="order", entity_id=order_id,
                     before={"status": from_status.value}, after={"status": to_status.value, "restock": restock}
                     if to_status == S.cancelled else {"status": to_status.value}, note=reason)
        out = _load_out(session, order)
        session.commit()
        return out
    except BaseException:
        session.rollback()
        raise


def _undo_order(session: Session, *, actor: Actor, order: Order, restock: bool, reason: str | None,
                now: datetime) -> None:
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.variant_id)).all()
    comment = f"order #{order.id} cancelled" + (f": {reason}" if reason else "")
    for line in lines:
        stock.apply_move(session, actor=actor, variant_id=line.variant_id, delta=line.qty, kind=MoveKind.restock,
                         order_id=order.id, comment=comment, now=now, notify=restock)
        if not restock:
            # the goods came back but are not sellable: write them off in the same transaction
            stock.apply_move(session, actor=actor, variant_id=line.variant_id, delta=-line.qty,
                             kind=MoveKind.write_off, order_id=order.id, comment=comment, allow_negative=True,
                             now=now, notify=False)
    loyalty.on_order_cancelled(session, actor=actor, order=order, now=now)
    promotions.release_promo(session, order_id=order.id)
    promotions.reactivate_certificate(session, order_id=order.id)


def cancel_order(session: Session, *, actor: Actor, order_id: int, reason: str | None = None,
                 restock: bool = True, now: datetime | None = None) -> OrderOut:
    """OR3: cancel an open order (see :func:`transition`)."""
    return transition(session, actor=actor, order_id=order_id, to_status=S.cancelled, reason=reason,
                      restock=restock, now=now)


def mark_paid(session: Session, *, actor: Actor, order_id: int, reason: str | None = None,
              now: datetime | None = None) -> OrderOut:
    """OR4: payment confirmed (webhook or staff)."""
    return transition(session, actor=actor, order_id=order_id, to_status=S.paid, reason=reason, now=now)


def auto_cancel_unpaid(session: Session, *, now: datetime | None = None, actor: Actor = Actor.system("auto-cancel"),
                       minutes: int | None = None) -> list[int]:
    """OR2: cancel ``new`` orders older than ``auto_cancel_minutes`` (stock returns). Idempotent;
    returns the ids cancelled by this call. An order paid meanwhile is left alone."""
    now = now or utcnow()
    cfg = get_config(session)
    limit = now - timedelta(minutes=minutes if minutes is not None else cfg.auto_cancel_minutes)
    ids = list(session.exec(select(Order.id).where(Order.status == S.new.value, Order.created_at <= limit,
                                                   Order.channel == OrderChannel.storefront.value)
                            .order_by(Order.id)).all())
    session.rollback()
    done = []
    for order_id in ids:
        try:
            transition(session, actor=actor, order_id=order_id, to_status=S.cancelled, reason="auto_cancel",
                       restock=True, now=now, _notify_kind="auto_cancel")
        except DomainError:
            continue  # paid or cancelled meanwhile
        done.append(order_id)
    return done


# --------------------------------------------------------------------------- reading (OR6, OR7, ST7)

def get_order(session: Session, *, actor: Actor, order_id: int) -> OrderOut:
    order = session.get(Order, order_id)
    if order is None or (actor.is_customer and order.customer_id != actor.id):
        raise NotFound("order", order_id)
    if not actor.is_customer and not actor.is_system:
        require(actor, Perm.orders_view)
    return _load_out(session, order)


class OrderPage(BaseModel):
    rows: list[OrderOut]
    total: int
    page: int
    page_size: int


def list_orders(session: Session, *, actor: Actor, status: str = "all", customer_id: int | None = None,
                page: int = 1, page_size: int = 20) -> OrderPage:
    """OR7/ST7: ``status`` is a status, ``active``, ``delivery`` or ``all``; newest first."""
    if actor.is_customer:
        customer_id = actor.id
    elif not actor.is_system:
        require(actor, Perm.orders_view)
    page, page_size = max(page, 1), min(max(page_size, 1), 100)
    query = select(Order)
    if status == "active":
        query = query.where(Order.status.in_([s.value for s in ACTIVE_STATUSES]))
    elif status == "delivery":
        query = query.where(Order.status.in_([s.value for s in DELIVERY_LIST_STATUSES]))
    elif status != "all":
        query = query.where(Order.status == S(status).value)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Order.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return OrderPage(rows=[_load_out(session, o, with_events=False) for o in rows], total=total, page=page,
                     page_size=page_size)


__all__ = [
    "B2BItemIn", "OrderOut", "OrderPage", "auto_cancel_unpaid", "cancel_order", "create_b2b_order", "get_order",
    "list_orders", "mark_paid", "place_order", "transition",
]
