"""B2B / offline sales (OR8) entered by staff: the agreed prices become an order through
``sales.order_creation.create_order``."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import DeliveryType
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.sales.carts import price_lines
from smo_app.services.sales.order_creation import B2B, Buyer, Delivery, NewOrder, NewOrderLine, create_order
from smo_app.services.sales.order_dto import OrderOut


class B2BItemIn(BaseModel):
    variant_id: int
    qty: int = Field(gt=0)
    unit_price_minor: int = Field(ge=0)  # the agreed sale price per unit


@atomic
def create_b2b_order(
    session: Session,
    *,
    actor: Actor,
    items: list[B2BItemIn | dict],
    customer_id: int | None = None,
    buyer_name: str = "",
    delivery_minor: int = 0,
    delivery_payer: str = "buyer",
    comment: str = "",
    now: datetime | None = None,
) -> OrderOut:
    """OR8: an offline/B2B sale entered by staff: sale sums as agreed, stock written off (``sale``
    moves), cost from the average purchase price, delivery cost and who pays it (the buyer: in the
    total; the shop: ``shop_delivery_minor``, a cost in the P&L). It is recorded as
    ``completed`` and counts in analytics; no cashback."""
    require(actor, Perm.orders_manage)
    now = now or utcnow()
    items = [i if isinstance(i, B2BItemIn) else B2BItemIn.model_validate(i) for i in items]
    if not items:
        raise ValidationFailed("order.items_required", "at least one item")
    if delivery_payer not in ("buyer", "shop"):
        raise ValidationFailed("order.delivery_payer_invalid", "buyer or shop")
    if delivery_minor < 0:
        raise ValidationFailed("order.amount_invalid", "amounts must be >= 0")
    if customer_id is None and not buyer_name.strip():
        raise ValidationFailed("order.buyer_required", "a customer or a buyer name")
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise ValidationFailed("order.b2b_customer_unknown", f"no customer {customer_id}", field="customer",
                               id=customer_id)
    merged: dict[int, B2BItemIn] = {}
    for item in items:
        if item.variant_id in merged:
            raise ValidationFailed("order.duplicate_item", f"variant {item.variant_id} twice", id=item.variant_id)
        merged[item.variant_id] = item
    _, variants, products = price_lines(session, [(vid, i.qty) for vid, i in merged.items()])
    missing = set(merged) - set(variants)
    if missing:
        raise NotFound("variant", min(missing))
    lines = []
    for vid in sorted(merged):
        variant = variants[vid]
        product = products[variant.product_id]
        lines.append(NewOrderLine(variant_id=vid, product_id=product.id, qty=merged[vid].qty,
                                  unit_price_minor=merged[vid].unit_price_minor, name=product.name,
                                  variant_label=variant.label))
    shop_pays = delivery_payer == "shop"
    delivery = Delivery(type=DeliveryType.courier if delivery_minor else DeliveryType.store, payer=delivery_payer,
                        minor=0 if shop_pays else delivery_minor, shop_minor=delivery_minor if shop_pays else 0)
    return create_order(session, actor=actor, now=now, order=NewOrder(
        kind=B2B, lines=lines, buyer=Buyer(customer_id=customer_id, name=buyer_name), delivery=delivery,
        comment=(comment or "")[:1000]))


__all__ = ["B2BItemIn", "create_b2b_order"]
