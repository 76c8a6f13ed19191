"""Sales made while the tablet had no connection (PO3): the browser kept each one — its client id,
the lines it had on screen, the customer, the payment — and sends it when the connection returns.
It is sold then, as it was rung up (stock, bonuses and cashback applied now), exactly once: the
client id is the sale's (``pos_sale.client_id`` unique), so a resend answers with the first sale.
A sale the server must refuse (the shift closed meanwhile, a product gone) is refused with its
reason; the tablet keeps it and shows it until it goes through.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.pos import PosCart, PosSale
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.pos import cart as pos_cart
from smo_app.services.pos.sale import ReceiptOut, check_client_id, submit_sale


class OfflineLine(BaseModel):
    variant_id: int = Field(ge=1)
    qty: int = Field(ge=1, le=pos_cart.MAX_QTY)
    discount_pct: int = Field(default=0, ge=0, le=100)


class OfflineSale(BaseModel):
    client_id: str
    register_id: int
    device_id: int | None = None
    lines: list[OfflineLine] = Field(min_length=1, max_length=pos_cart.MAX_LINES)
    customer_id: int | None = None
    bonus_minor: int = Field(default=0, ge=0)
    card_minor: int = Field(default=0, ge=0)
    tendered_minor: int = Field(default=0, ge=0)


def read_offline_sale(data: dict) -> OfflineSale:
    """What the browser sent, checked (``pos.offline_sale_invalid`` naming the first bad field)."""
    try:
        sale = OfflineSale.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed("pos.offline_sale_invalid", str(exc)[:200],
                               detail=".".join(str(p) for p in first["loc"])) from exc
    check_client_id(sale.client_id)
    return sale


@atomic
def submit_offline_sale(session: Session, *, actor: Actor, sale: dict, now: datetime | None = None) -> ReceiptOut:
    """Sell what the tablet rang up offline; the same client id again answers with the first sale."""
    require(actor, Perm.pos_sell)
    data = read_offline_sale(sale)
    now = now or utcnow()
    lines = [ln.model_dump() for ln in data.lines]
    rung_up = PosCart(register_id=data.register_id, device_id=data.device_id, lines=lines,
                      customer_id=data.customer_id, bonus_minor=data.bonus_minor, updated_at=now)
    pos_cart.check_device(session, data.register_id, data.device_id)
    resent = session.exec(select(PosSale.id).where(PosSale.client_id == data.client_id)).first() is not None
    receipt = submit_sale(session, actor=actor, register_id=data.register_id, client_id=data.client_id,
                          card_minor=data.card_minor, tendered_minor=data.tendered_minor, now=now,
                          device_id=data.device_id, cart=rung_up)
    if resent:  # answered with the first sale; nothing else to do
        return receipt
    # the tablet's own cart still holds what was sold offline: emptied, unless it changed since
    stored = pos_cart.load_cart(session, data.register_id, data.device_id, lock=True)
    if stored is not None and _same_goods(stored.lines, lines):
        stored.lines, stored.customer_id, stored.bonus_minor, stored.approval_id, stored.updated_at = \
            [], None, 0, None, now
        session.add(stored)
    audit.record(session, actor=actor, action="pos.offline_sale", entity="pos_sale", entity_id=receipt.sale_id,
                 after={"client_id": data.client_id, "device_id": data.device_id})
    session.commit()
    return receipt


def _same_goods(a: list[dict], b: list[dict]) -> bool:
    key = lambda lines: sorted((int(x["variant_id"]), int(x["qty"])) for x in lines)  # noqa: E731
    return key(a) == key(b)
