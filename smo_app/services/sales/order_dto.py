"""What the order services return: OrderOut with its lines and events, and the helpers that build
it (shared by order creation, the state machine and the readers)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.orders import Order, OrderEvent, OrderLine
from smo_app.services.core.actor import Actor


class ItemLine(BaseModel):
    """Which variant (named as the customer sees it) and how many: how every cart, order and sale
    line starts."""

    variant_id: int
    product_id: int
    name: str
    variant_label: str
    qty: int


class PricedLine(ItemLine):
    """An item line with its unit price and the goods sum (qty × unit), before discounts."""

    unit_price_minor: int
    goods_minor: int


class OrderLineOut(PricedLine):
    discount_minor: int
    total_minor: int
    unit_cost_minor: int


class OrderEventOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_kind: str
    actor_name: str
    reason: str | None
    created_at: datetime


class OrderOut(BaseModel):
    id: int
    customer_id: int | None
    channel: str
    status: str
    goods_minor: int
    discounts: dict[str, int]
    certificate_minor: int
    bonus_minor: int
    delivery_minor: int
    shop_delivery_minor: int = 0  # delivery the shop pays itself (not in the total)
    total_minor: int
    refunded_minor: int = 0  # confirmed refunds; the customer paid total_minor - refunded_minor in the end
    cost_minor: int
    delivery_type: str
    delivery_payer: str
    address: str
    contact_name: str
    phone: str
    comment: str
    buyer_name: str
    tracking_number: str = ""  # the carrier's (CDEK's) number, once the waybill exists
    created_at: datetime
    paid_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineOut] = []
    events: list[OrderEventOut] = []


def order_out(order: Order | dict, lines: list, events: list | None = None) -> OrderOut:
    """An OrderOut from an Order (or its column dict), its lines and events (rows, dicts or DTOs;
    dicts are validated as lines and events with the order itself)."""
    data = dict(order) if isinstance(order, dict) else order.model_dump()
    data["discounts"] = {"product": data["discount_product_minor"], "personal": data["discount_personal_minor"],
                         "promo": data["discount_promo_minor"]}
    data["lines"] = [line if isinstance(line, (OrderLineOut, dict)) else
                     OrderLineOut.model_validate(line, from_attributes=True) for line in lines]
    data["events"] = [e if isinstance(e, (OrderEventOut, dict)) else OrderEventOut.model_validate(e, from_attributes=True)
                      for e in events or []]
    return OrderOut.model_validate(data)


def load_out(session: Session, order: Order, with_events: bool = True) -> OrderOut:
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)).all() \
        if with_events else []
    return order_out(order, list(lines), list(events))


def event_values(order_id: int | None, from_status: str | None, to_status: str, actor: Actor, reason: str | None,
                 now: datetime) -> dict:
    """The columns of one OrderEvent."""
    return {"order_id": order_id, "from_status": from_status, "to_status": str(to_status), "actor_kind": actor.kind,
            "actor_id": actor.id, "actor_name": actor.name[:128], "reason": (reason or None) and reason[:500],
            "created_at": now}


__all__ = ["OrderEventOut", "OrderLineOut", "OrderOut", "event_values", "load_out", "order_out"]
