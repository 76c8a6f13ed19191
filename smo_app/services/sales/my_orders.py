"""The customer's side of orders (ST7): a cheap status digest for the live "My orders" screen and
"repeat order" into the cart, with the same stock checks as "+"."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.carts import CartItem
from smo_app.models.catalog import Product, Variant
from smo_app.models.orders import Order, OrderLine
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.permissions import ensure_own
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic
from smo_app.services.sales import carts
from smo_app.services.sales.carts import CartOut


class RepeatOut(BaseModel):
    cart: CartOut
    added: list[str]  # "name label" of lines put into the cart (maybe fewer units than ordered)
    short: list[str]  # lines with less stock than ordered: what was left was added
    skipped: list[str]  # lines no longer for sale or out of stock


def order_statuses(session: Session, *, actor: Actor, customer_id: int | None = None, limit: int = 50) -> dict[int, str]:
    """{order id: status} of the customer's latest orders: what the open screen polls."""
    customer_id = ensure_own(actor, customer_id)
    rows = session.exec(select(Order.id, Order.status).where(Order.customer_id == customer_id)
                        .order_by(Order.id.desc()).limit(limit)).all()
    return {oid: status for oid, status in rows}


@atomic
def repeat_order(session: Session, *, actor: Actor, customer_id: int | None = None, order_id: int,
                 now: datetime | None = None) -> RepeatOut:
    """Put the lines of one of the customer's orders into their cart (added to what is there).
    Lines no longer for sale are skipped; a line with less stock gets what is left (preorder mode:
    all of it). Vacation mode refuses with the shop's message. Prices are today's, not the order's."""
    customer_id = ensure_own(actor, customer_id)
    order = session.get(Order, order_id)
    if order is None or order.customer_id != customer_id:
        raise NotFound("order", order_id)
    cfg = get_config(session)
    if cfg.vacation_mode:
        raise DomainError("cart.vacation", "the shop is on vacation", message_text=cfg.vacation_message)
    cart = carts._cart(session, customer_id, create=True, lock=True)  # noqa: SLF001 - the cart's own lock order
    in_cart = {i.variant_id: i for i in session.exec(select(CartItem).where(CartItem.cart_id == cart.id)).all()}
    added, short, skipped = [], [], []
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)).all()
    for line in lines:
        label = f"{line.name} {line.variant_label}".strip()
        variant = session.get(Variant, line.variant_id)
        product = session.get(Product, variant.product_id) if variant else None
        item = in_cart.get(line.variant_id)
        have = item.qty if item else 0
        want = min(have + line.qty, carts.MAX_LINE_QTY)
        if not carts.sellable(product, variant):
            skipped.append(label)
            continue
        if not cfg.preorder_mode and want > variant.qty:
            want = max(variant.qty, have)
            if want <= have:
                skipped.append(label)
                continue
            short.append(label)
        if item is None:
            item = CartItem(cart_id=cart.id, variant_id=line.variant_id, qty=want)
            in_cart[line.variant_id] = item
        item.qty = want
        session.add(item)
        added.append(label)
    carts._touch(cart, now)  # noqa: SLF001
    session.add(cart)
    session.commit()
    return RepeatOut(cart=carts.get_cart(session, actor=actor, customer_id=customer_id, cfg=cfg, now=now),
                     added=added, short=short, skipped=skipped)
