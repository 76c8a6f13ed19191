"""The POS sale (PO3): the register's cart becomes a completed order of channel ``pos``, paid in
cash, by card or split, with the change computed; the receipt; the receipt to the customer's chat.

The tablet generates the sale's id. A double tap, a resend after a Wi-Fi drop or a reconnect
submits the same id again and gets the first sale back: the unique index on ``pos_sale.client_id``
decides, even when the two submissions race on separate connections.
"""
from __future__ import annotations

import re
from datetime import datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.loyalty import LoyaltyEntry, LoyaltyKind
from smo_app.models.orders import DeliveryType, Order, OrderLine
from smo_app.models.pos import PosApproval, PosCart, PosRegister, PosReturnLine, PosSale
from smo_app.money import format_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic
from smo_app.services.messaging import outbox
from smo_app.services.pos import cart as pos_cart
from smo_app.services.pos import lookup, policy
from smo_app.services.pos.shifts import check_amount, lock_open_shift
from smo_app.services.sales.order_creation import POS, Buyer, Deductions, Delivery, NewOrder, NewOrderLine, write_order

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ReceiptLine(BaseModel):
    order_line_id: int
    variant_id: int
    name: str
    variant_label: str
    qty: int
    unit_price_minor: int
    discount_minor: int
    total_minor: int
    returned_qty: int = 0


class ReceiptOut(BaseModel):
    sale_id: int
    order_id: int
    client_id: str
    shop_name: str
    register_name: str
    seller_name: str
    created_at: datetime
    customer_id: int | None
    customer_name: str
    customer_has_telegram: bool
    lines: list[ReceiptLine]
    goods_minor: int
    discount_minor: int
    bonus_minor: int
    total_minor: int
    cash_minor: int
    card_minor: int
    credit_minor: int
    tendered_minor: int
    change_minor: int
    cashback_minor: int
    returned_minor: int


def check_client_id(client_id: str) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ValidationFailed("pos.client_id_invalid", "8..64 of [A-Za-z0-9_-]")
    return client_id


def split_payment(total_minor: int, *, card_minor: int, tendered_minor: int) -> tuple[int, int, int]:
    """(cash kept, card, change) for a sale of ``total_minor``: the card pays ``card_minor``, the
    rest is cash from ``tendered_minor``. Pure; refuses a card above the total or cash too short."""
    check_amount(card_minor)
    check_amount(tendered_minor)
    if card_minor > total_minor:
        raise DomainError("pos.card_too_much", "card above total", total_minor=total_minor)
    cash_due = _cash_due(total_minor, card_minor)
    if tendered_minor < cash_due:
        raise DomainError("pos.cash_short", "not enough cash", due_minor=cash_due,
                          short_minor=cash_due - tendered_minor)
    return cash_due, card_minor, tendered_minor - cash_due


def change_preview(total_minor: int, *, card_minor: int, tendered_minor: int) -> int | None:
    """The change to hand back while the seller types the payment; None until cash is tendered and
    covers what the card leaves. Pure; the sale itself is checked by :func:`split_payment`."""
    change = tendered_minor - _cash_due(total_minor, card_minor)
    return change if tendered_minor and change >= 0 else None


def _cash_due(total_minor: int, card_minor: int) -> int:
    return max(total_minor - card_minor, 0)


def _existing(session: Session, client_id: str) -> PosSale | None:
    return session.exec(select(PosSale).where(PosSale.client_id == client_id)).first()


@atomic
def submit_sale(session: Session, *, actor: Actor, register_id: int, client_id: str, card_minor: int = 0,
                tendered_minor: int = 0, credit_minor: int = 0, now: datetime | None = None,
                device_id: int | None = None, cart: PosCart | None = None) -> ReceiptOut:
    """Sell the register's cart. Needs an open shift, a non-empty cart within policy (or covered by
    a granted approval) and enough payment. The same ``client_id`` again returns the first sale."""
    require(actor, Perm.pos_sell)
    check_client_id(client_id)
    existing = _existing(session, client_id)
    if existing is not None:
        return receipt(session, existing)
    try:
        sale = sell_cart(session, actor=actor, register_id=register_id, client_id=client_id, card_minor=card_minor,
                         tendered_minor=tendered_minor, credit_minor=credit_minor, now=now or utcnow(),
                         device_id=device_id, cart=cart)
        session.commit()
    except (IntegrityError, DomainError):
        # the same id sent twice at once: the loser meets the unique index (or the cart the winner
        # emptied) — the answer is the first sale
        session.rollback()
        existing = _existing(session, client_id)
        if existing is not None:
            return receipt(session, existing)
        raise
    return receipt(session, sale)


def sell_cart(session: Session, *, actor: Actor, register_id: int, client_id: str, card_minor: int,
              tendered_minor: int, credit_minor: int, now: datetime, device_id: int | None = None,
              cart: PosCart | None = None) -> PosSale:
    """The register's cart sold in the caller's transaction, not committed (:func:`submit_sale`
    commits it; an exchange first settles its return): the order through the shared order
    creation (``sales.order_creation.write_order``, kind ``POS``), then the sale's own rows — the
    sale with its payment, the approval it spends, the emptied cart, its audit entry. ``cart``: a
    cart not stored (a sale made offline, ``pos.offline``), sold as given and not emptied."""
    shift = lock_open_shift(session, register_id)
    cfg = get_config(session)
    stored = cart is None
    cart = pos_cart.lock_cart(session, register_id, device_id) if stored else cart
    priced = pos_cart.price_cart(session, cart, actor=actor, cfg=cfg, now=now)
    if not priced.lines:
        raise DomainError("pos.cart_empty", "nothing to sell")
    for line in priced.lines:
        if not line.sellable:
            raise DomainError("cart.unavailable", "not for sale", name=line.name)
    if priced.needs_approval:
        raise DomainError("pos.approval_required", "above the discount policy", pct=priced.max_manual_pct)
    credit = min(check_amount(credit_minor), priced.total_minor)
    cash, card, change = split_payment(priced.total_minor - credit, card_minor=card_minor, tendered_minor=tendered_minor)
    above = policy.needs_approval(cfg, actor, discount_pct=priced.max_manual_pct, bonus_minor=priced.bonus_minor,
                                  payable_minor=priced.payable_minor)
    order = write_order(session, actor=actor, order=_new_order(priced, client_id), config=cfg, now=now)
    sale = PosSale(client_id=client_id, order_id=order.id, shift_id=shift.id, register_id=register_id,
                   device_id=device_id, seller_id=actor.id, seller_name=actor.name[:128], customer_id=cart.customer_id,
                   total_minor=priced.total_minor, discount_minor=priced.discount_total_minor,
                   manual_discount_minor=priced.discount_manual_minor, bonus_minor=priced.bonus_minor,
                   cash_minor=cash, card_minor=card, credit_minor=credit, tendered_minor=tendered_minor,
                   change_minor=change, approval_id=cart.approval_id if above else None, created_at=now)
    session.add(sale)
    session.flush()
    if sale.approval_id is not None:
        used = session.execute(update(PosApproval).where(PosApproval.id == sale.approval_id,
                                                         PosApproval.used_by_sale_id.is_(None))
                               .values(used_by_sale_id=sale.id).execution_options(synchronize_session=False))
        if used.rowcount != 1:
            raise DomainError("pos.approval_required", "approval already used", pct=priced.max_manual_pct)
    if stored:
        cart.lines, cart.customer_id, cart.bonus_minor, cart.approval_id, cart.updated_at = [], None, 0, None, now
        session.add(cart)
    audit.record(session, actor=actor, action="pos.sale", entity="pos_sale", entity_id=sale.id,
                 after={"order_id": order.id, "total_minor": sale.total_minor, "cash_minor": cash, "card_minor": card,
                        "change_minor": change, "credit_minor": credit,
                        "manual_discount_minor": sale.manual_discount_minor, "bonus_minor": sale.bonus_minor,
                        "approval_id": sale.approval_id})
    session.flush()
    return sale


def _new_order(priced: pos_cart.CartOut, client_id: str) -> NewOrder:
    """The priced cart as an order of kind POS (a seller's line discount is recorded as the line's
    own, product, discount)."""
    c = priced.customer
    return NewOrder(
        kind=POS, client_ref=f"pos:{client_id}",
        lines=[NewOrderLine(variant_id=ln.variant_id, product_id=ln.product_id, qty=ln.qty,
                            unit_price_minor=ln.unit_price_minor, name=ln.name, variant_label=ln.variant_label,
                            discount_minor=ln.discount_minor, qty_per_price=ln.qty_per_price,
                            discount_kind="product" if ln.discount_kind == "manual" else ln.discount_kind)
               for ln in priced.lines],
        buyer=Buyer(customer_id=c.id, contact_name=c.name, phone=c.phone, telegram_id=c.telegram_id) if c else Buyer(),
        deductions=Deductions(bonus_minor=priced.bonus_minor), delivery=Delivery(type=DeliveryType.store),
    )


# --------------------------------------------------------------------------- reading

def receipt(session: Session, sale: PosSale) -> ReceiptOut:
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == sale.order_id).order_by(OrderLine.id)).all()
    returned: dict[int, int] = {}
    for rl in session.exec(select(PosReturnLine).where(PosReturnLine.order_line_id.in_([ln.id for ln in lines]))).all():
        returned[rl.order_line_id] = returned.get(rl.order_line_id, 0) + rl.qty
    customer = session.get(Customer, sale.customer_id) if sale.customer_id else None
    cashback = session.exec(select(LoyaltyEntry.amount_minor).where(
        LoyaltyEntry.order_id == sale.order_id, LoyaltyEntry.kind == LoyaltyKind.cashback.value)).first() or 0
    register = session.get(PosRegister, sale.register_id)
    order = session.get(Order, sale.order_id)
    return ReceiptOut(
        sale_id=sale.id, order_id=sale.order_id, client_id=sale.client_id, shop_name=get_config(session).shop_name,
        register_name=register.name if register else "", seller_name=sale.seller_name, created_at=sale.created_at,
        customer_id=sale.customer_id, customer_name=(customer.full_name or customer.username or "") if customer else "",
        customer_has_telegram=bool(customer and customer.telegram_id and not customer.unreachable),
        lines=[ReceiptLine(order_line_id=ln.id, variant_id=ln.variant_id, name=ln.name, variant_label=ln.variant_label,
                           qty=ln.qty, unit_price_minor=ln.unit_price_minor, discount_minor=ln.discount_minor,
                           total_minor=ln.total_minor, returned_qty=returned.get(ln.id, 0)) for ln in lines],
        goods_minor=order.goods_minor, discount_minor=sale.discount_minor, bonus_minor=sale.bonus_minor,
        total_minor=sale.total_minor, cash_minor=sale.cash_minor, card_minor=sale.card_minor,
        credit_minor=sale.credit_minor, tendered_minor=sale.tendered_minor, change_minor=sale.change_minor,
        cashback_minor=cashback, returned_minor=sale.returned_minor,
    )


def get_receipt(session: Session, *, actor: Actor, sale_id: int) -> ReceiptOut:
    require(actor, Perm.pos_sell)
    sale = session.get(PosSale, sale_id)
    if sale is None:
        raise NotFound("sale", sale_id)
    return receipt(session, sale)


def find_sale_by_client_id(session: Session, *, actor: Actor, client_id: str) -> ReceiptOut | None:
    """Did the sale the tablet sent (and lost the answer to) go through? Its receipt, or None."""
    require(actor, Perm.pos_sell)
    found = _existing(session, check_client_id(client_id))
    return receipt(session, found) if found else None


def find_sales(session: Session, *, actor: Actor, query: str, limit: int = 10) -> list[ReceiptOut]:
    """For returns: by receipt (sale) number, order number, the tablet's sale id, or the customer
    (phone digits or name)."""
    require(actor, Perm.pos_sell)
    text = (query or "").strip().lstrip("#")
    if not text:
        return []
    conds = [PosSale.client_id == text]
    if text.isdigit() and len(text) < 10:
        conds += [PosSale.id == int(text), PosSale.order_id == int(text)]
    customers = [c.id for c in lookup.find_customers(session, actor=Actor.system(), query=text)]
    if customers:
        conds.append(PosSale.customer_id.in_(customers))
    rows = session.exec(select(PosSale).where(or_(*conds)).order_by(PosSale.id.desc()).limit(limit)).all()
    return [receipt(session, s) for s in rows]


@atomic
def send_receipt(session: Session, *, actor: Actor, sale_id: int) -> bool:
    """Queue the receipt to the customer's Telegram (once per sale). False if there is no chat."""
    require(actor, Perm.pos_sell)
    sale = session.get(PosSale, sale_id)
    if sale is None:
        raise NotFound("sale", sale_id)
    customer = session.get(Customer, sale.customer_id) if sale.customer_id else None
    if customer is None:
        raise DomainError("pos.customer_required", "no customer on the sale")
    r = receipt(session, sale)
    lang = customer.language
    lines = "\n".join(f"{escape(ln.name)} {escape(ln.variant_label)} × {ln.qty} — {format_money(ln.total_minor, lang=lang)}"
                      for ln in r.lines)
    text = t("pos.receipt.telegram", lang, shop=escape(r.shop_name), number=r.sale_id, lines=lines,
             total=format_money(r.total_minor, lang=lang), bonus=format_money(r.bonus_minor, lang=lang),
             cashback=format_money(r.cashback_minor, lang=lang))
    row = outbox.enqueue_to_customer(session, customer=customer, kind="pos_receipt", text=text,
                                     dedupe_key=f"pos_receipt:{sale.id}")
    if row is None and not (customer.telegram_id and not customer.unreachable):
        raise DomainError("pos.customer_no_telegram", "no chat")
    audit.record(session, actor=actor, action="pos.receipt_sent", entity="pos_sale", entity_id=sale.id)
    session.commit()
    return True
