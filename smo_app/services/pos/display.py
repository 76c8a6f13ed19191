"""The customer display (PO3): a second screen facing the customer (``/pos/display?register=…``,
optionally ``&device=…`` to pair it with one tablet) showing the cart being rung up, the total, the
change due right after a cash sale, and a QR code that opens the shop's Mini App to join the
loyalty programme.

Unpaired, the display follows the register's cart touched last (a shop with one tablet per register
needs no pairing); paired, it shows that tablet's cart only.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.pos import PosCart, PosSale
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.pos import cart as pos_cart
from smo_app.services.pos.shifts import get_register
from smo_app.settings import get_settings

CHANGE_SHOWN = timedelta(seconds=90)  # how long the last sale's change stays on the display


class DisplayLine(BaseModel):
    name: str
    variant_label: str
    qty: int
    unit: str
    total_minor: int


class DisplayOut(BaseModel):
    register_name: str
    shop_name: str
    lines: list[DisplayLine]
    goods_minor: int
    discount_minor: int
    bonus_minor: int
    total_minor: int
    customer_name: str
    last_total_minor: int | None  # the sale just made (cart empty again), for "thank you"
    last_change_minor: int | None
    join_link: str  # opens the shop's Mini App (registration = the loyalty programme)
    version: str  # changes whenever what is shown changes (the screen redraws only then)


def join_link(bot_username: str) -> str:
    return f"https://t.me/{bot_username}?startapp"


def customer_display(session: Session, *, actor: Actor, register_id: int, device_id: int | None = None,
                     now: datetime | None = None) -> DisplayOut:
    require(actor, Perm.pos_access)
    now = now or utcnow()
    register = get_register(session, register_id)
    if device_id is not None:
        pos_cart.check_device(session, register_id, device_id)
        cart = pos_cart.load_cart(session, register_id, device_id)
    else:
        cart = session.exec(select(PosCart).where(PosCart.register_id == register_id)
                            .order_by(PosCart.updated_at.desc(), PosCart.id.desc())).first()
    priced = pos_cart.price_cart(session, cart, actor=actor, now=now) if cart is not None and cart.lines else None
    last = None
    if priced is None:
        query = select(PosSale).where(PosSale.register_id == register_id, PosSale.created_at >= now - CHANGE_SHOWN)
        if device_id is not None:
            query = query.where(PosSale.device_id == device_id)
        last = session.exec(query.order_by(PosSale.created_at.desc(), PosSale.id.desc())).first()
    lines = [DisplayLine(name=ln.name, variant_label=ln.variant_label, qty=ln.qty, unit=ln.unit,
                         total_minor=ln.total_minor) for ln in (priced.lines if priced else [])]
    out = DisplayOut(
        register_name=register.name, shop_name=get_config(session).shop_name, lines=lines,
        goods_minor=priced.goods_minor if priced else 0, discount_minor=priced.discount_total_minor if priced else 0,
        bonus_minor=priced.bonus_minor if priced else 0, total_minor=priced.total_minor if priced else 0,
        customer_name=(priced.customer.name if priced and priced.customer else ""),
        last_total_minor=last.total_minor if last else None, last_change_minor=last.change_minor if last else None,
        join_link=join_link(get_settings().bot_username), version="",
    )
    out.version = str(hash((cart.updated_at if cart else None, last.id if last else None,
                            out.model_dump_json(exclude={"version"}))))
    return out
