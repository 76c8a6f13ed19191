"""A tablet's open cart (PO3, PO4), kept on the server so a reload or a reconnect finds it as it
was: its lines, the seller's line discounts, the customer and their bonuses. Each tablet (a device
of a register, ``pos.devices``) has its own cart, so two tablets on one register never touch each
other's sale; without a device the cart is the register's shared one (the API, older tablets).
Nothing is added while the register has no open shift.
What the seller looks up to fill it (products, favourites, customers) is in ``pos.lookup``.

Prices come from ``sales.pricing`` as everywhere (the product's own discount or the customer's
personal discount, the larger; wholesale prices for an approved wholesale customer; bonuses within
the balance), with the seller's line discount by hand where it gives more — that one, and bonuses
above the POS cap, are what the policy (``pos.policy``) limits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import QTY_PER_PRICE, Product, Variant
from smo_app.models.customer import Customer
from smo_app.models.orders import DeliveryType
from smo_app.models.pos import ApprovalStatus, PosApproval, PosCart, PosDevice, PosShift, ShiftStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import ShopConfig, get_config
from smo_app.services.core.tx import atomic
from smo_app.services.customers.loyalty_qr import resolve_loyalty_token
from smo_app.services.pos import policy
from smo_app.services.pos.shifts import get_register
from smo_app.services.sales.carts import is_wholesale
from smo_app.services.sales.pricing import PriceLineIn, price

MAX_QTY = 9999
MAX_LINES = 200
LOYALTY_QR_PREFIX = "v1."  # how a customers.loyalty_qr token starts (no barcode or SKU does)


class CartLineOut(BaseModel):
    variant_id: int
    product_id: int
    name: str
    variant_label: str
    qty: int
    unit_price_minor: int
    goods_minor: int
    manual_pct: int  # the seller's line discount
    discount_kind: str | None  # product | personal | manual | None
    discount_pct: int  # the one that applies
    discount_minor: int
    total_minor: int
    unit_cost_minor: int
    available: int
    sellable: bool
    qty_per_price: int = 1  # by weight: qty in grams, the unit price for this many grams (1000: per kg)
    unit: str = "pcs"  # pcs | kg | g (models.catalog.SaleUnit)


class CustomerBrief(BaseModel):
    id: int
    name: str
    phone: str
    username: str
    telegram_id: int | None
    bonus_balance_minor: int
    personal_discount_pct: int


class CartOut(BaseModel):
    register_id: int
    device_id: int | None = None
    lines: list[CartLineOut]
    customer: CustomerBrief | None
    goods_minor: int
    discount_product_minor: int
    discount_personal_minor: int
    discount_manual_minor: int
    discount_total_minor: int
    payable_minor: int  # after discounts, before bonuses
    bonus_minor: int  # bonuses to spend (clamped to balance and payable)
    bonus_cap_minor: int  # the most without approval
    total_minor: int
    max_manual_pct: int
    needs_approval: bool  # above the seller's policy and not covered by a granted approval
    approval_id: int | None
    approval_status: str  # "" | pending | approved | denied | expired
    updated_at: datetime


def customer_brief(c: Customer | None) -> CustomerBrief | None:
    if c is None:
        return None
    return CustomerBrief(id=c.id, name=c.full_name or (c.username or ""), phone=c.phone or "", username=c.username or "",
                         telegram_id=c.telegram_id, bonus_balance_minor=c.bonus_balance_minor,
                         personal_discount_pct=c.personal_discount_pct)


def approval_covers(approval: PosApproval | None, *, register_id: int, discount_pct: int, bonus_minor: int,
                    now: datetime) -> bool:
    return (approval is not None and approval.status == ApprovalStatus.approved.value
            and approval.register_id == register_id and approval.used_by_sale_id is None
            and approval.discount_pct >= discount_pct and approval.bonus_minor >= bonus_minor)


def approval_status(approval: PosApproval | None, now: datetime) -> str:
    if approval is None:
        return ""
    if approval.status == ApprovalStatus.pending.value and approval.expires_at <= now:
        return ApprovalStatus.expired.value
    return approval.status


def price_cart(session: Session, cart: PosCart, *, actor: Actor, cfg: ShopConfig | None = None,
               now: datetime | None = None) -> CartOut:
    """The cart priced now by ``sales.pricing`` (no bonus cap there: above the POS cap the sale
    needs approval), and whether it needs approval."""
    cfg = cfg or get_config(session)
    now = now or utcnow()
    ids = [line["variant_id"] for line in cart.lines]
    rows = {r.id: r for r in session.connection().execute(_LINE_INFO, {"ids": ids})} if ids else {}
    customer = session.get(Customer, cart.customer_id) if cart.customer_id else None
    lines = [(rows[line["variant_id"]], line) for line in cart.lines if line["variant_id"] in rows]
    priced = price(
        [PriceLineIn(variant_id=v.id, qty=int(line["qty"]), price_minor=v.price_minor, discount_pct=v.discount_pct,
                     manual_discount_pct=int(line.get("discount_pct", 0)), wholesale_price_minor=v.wholesale_price_minor,
                     wholesale_min_qty=v.wholesale_min_qty, name=v.name, variant_label=v.label,
                     qty_per_price=QTY_PER_PRICE.get(v.unit, 1)) for v, line in lines],
        personal_discount_pct=customer.personal_discount_pct if customer else 0,
        wholesale=customer is not None and is_wholesale(customer),
        bonus_balance_minor=customer.bonus_balance_minor if customer else 0, bonus_requested_minor=cart.bonus_minor,
        bonus_cap_pct=100, delivery_type=DeliveryType.store,
    )
    out_lines = [CartLineOut(
        **pl.model_dump(exclude={"wholesale"}), product_id=v.product_id, manual_pct=int(line.get("discount_pct", 0)),
        unit_cost_minor=v.avg_cost_minor, available=v.qty, sellable=bool(v.active and not (v.suspended or v.deleted)),
        unit=v.unit,
    ) for (v, line), pl in zip(lines, priced.lines, strict=True)]
    payable = priced.goods_minor - priced.discount_total_minor
    max_manual = max((ln.manual_pct for ln in out_lines if ln.discount_kind == "manual"), default=0)
    approval = session.get(PosApproval, cart.approval_id) if cart.approval_id else None
    above = policy.needs_approval(cfg, actor, discount_pct=max_manual, bonus_minor=priced.bonus_minor,
                                  payable_minor=payable)
    covered = approval_covers(approval, register_id=cart.register_id, discount_pct=max_manual,
                              bonus_minor=priced.bonus_minor, now=now)
    return CartOut(
        register_id=cart.register_id, device_id=cart.device_id, lines=out_lines, customer=customer_brief(customer),
        goods_minor=priced.goods_minor, discount_product_minor=priced.discounts["product"],
        discount_personal_minor=priced.discounts["personal"], discount_manual_minor=priced.discounts["manual"],
        discount_total_minor=priced.discount_total_minor, payable_minor=payable, bonus_minor=priced.bonus_minor,
        bonus_cap_minor=policy.bonus_cap_minor(cfg, payable), total_minor=priced.total_minor,
        max_manual_pct=max_manual, needs_approval=above and not covered, approval_id=cart.approval_id,
        approval_status=approval_status(approval, now), updated_at=cart.updated_at,
    )


_V = Variant.__table__
_P = Product.__table__
_C = PosCart.__table__
# what a cart line needs of its variant and product (one Core query: the tap path stays light)
_LINE_BASE = (select(_V.c.id, _V.c.product_id, _V.c.label, _V.c.unit, _V.c.price_minor, _V.c.wholesale_price_minor,
                     _V.c.wholesale_min_qty, _V.c.avg_cost_minor, _V.c.qty, _V.c.active, _P.c.name, _P.c.discount_pct,
                     _P.c.suspended, _P.c.deleted)
              .join(_P, _P.c.id == _V.c.product_id))
_LINE_INFO = _LINE_BASE.where(_V.c.id.in_(bindparam("ids", expanding=True)))
_BY_ID = _LINE_BASE.where(_V.c.id == bindparam("vid"))
_BY_CODE = _LINE_BASE.where(_V.c.active, or_(_V.c.barcode == bindparam("code"), _V.c.sku == bindparam("code")))
_LOCK_SHARED = select(_C).where(_C.c.register_id == bindparam("rid"), _C.c.device_id.is_(None)).with_for_update()
_LOCK_DEVICE = select(_C).where(_C.c.device_id == bindparam("did")).with_for_update()
_S = PosShift.__table__
_SHIFT_OPEN = select(exists().where(_S.c.register_id == bindparam("rid"), _S.c.status == ShiftStatus.open.value))
_SAVE_LINES = update(_C).where(_C.c.id == bindparam("cid")).values(lines=bindparam("lines"),
                                                                     updated_at=bindparam("now"))


def _empty(register_id: int, device_id: int | None = None) -> PosCart:
    return PosCart(register_id=register_id, device_id=device_id, lines=[], updated_at=utcnow())


def check_device(session: Session, register_id: int, device_id: int | None) -> None:
    """A device named by a tablet must be one of the register's (``pos.device_unknown`` if not)."""
    if device_id is None:
        return
    device = session.get(PosDevice, device_id)
    if device is None or device.register_id != register_id:
        raise DomainError("pos.device_unknown", f"device {device_id} is not on register {register_id}")


def require_open_shift(session: Session, register_id: int) -> None:
    """Nothing goes into a cart while the register has no open shift (a tablet left showing a
    shift closed elsewhere is refused here, and its screen updates)."""
    if not session.connection().execute(_SHIFT_OPEN, {"rid": register_id}).scalar():
        raise DomainError("pos.shift_closed", f"register {register_id} has no open shift")


def load_cart(session: Session, register_id: int, device_id: int | None = None, *,
              lock: bool = False) -> PosCart | None:
    query = select(PosCart).where(PosCart.device_id == device_id) if device_id is not None else (
        select(PosCart).where(PosCart.register_id == register_id, PosCart.device_id.is_(None)))
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def lock_cart(session: Session, register_id: int, device_id: int | None = None) -> PosCart:
    """The tablet's (or the register's shared) cart row, locked (PostgreSQL) for this transaction;
    created on first use — the unique index on the device (or the partial one on the register's
    shared cart) decides when two first taps race."""
    check_device(session, register_id, device_id)
    cart = load_cart(session, register_id, device_id, lock=True)
    if cart is not None:
        return cart
    cart = _empty(register_id, device_id)
    session.add(cart)
    try:
        session.flush()
    except IntegrityError:  # the other tap created it first
        session.rollback()
        cart = load_cart(session, register_id, device_id, lock=True)
        if cart is None:  # no race: the register is not there (a foreign key refused the row)
            raise NotFound("register", register_id) from None
    return cart


def get_cart(session: Session, *, actor: Actor, register_id: int, device_id: int | None = None) -> CartOut:
    require(actor, Perm.pos_sell)
    get_register(session, register_id)
    check_device(session, register_id, device_id)
    cart = load_cart(session, register_id, device_id) or _empty(register_id, device_id)
    return price_cart(session, cart, actor=actor)


def _save(session: Session, cart: PosCart, *, actor: Actor, lines: list[dict] | None = None) -> CartOut:
    if lines is not None:
        cart.lines = [dict(x) for x in lines]  # a new list: the JSON column sees the change
    cart.updated_at = utcnow()
    session.add(cart)
    session.flush()
    out = price_cart(session, cart, actor=actor)
    session.commit()
    return out


@atomic
def add_item(session: Session, *, actor: Actor, register_id: int, variant_id: int | None = None,
             code: str | None = None, qty: int = 1, device_id: int | None = None) -> CartOut:
    """Add one (or ``qty``) of a variant, by id or by a scanned/typed barcode or SKU.

    The hot path of the sale screen (every tap and scan): Core statements, one locked cart row."""
    require(actor, Perm.pos_sell)
    if not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise ValidationFailed("pos.qty_invalid", "qty 1..9999", max=MAX_QTY)
    conn = session.connection()
    require_open_shift(session, register_id)
    if code is not None:
        variant = conn.execute(_BY_CODE, {"code": (code or "").strip()}).first() if (code or "").strip() else None
        if variant is None:
            raise DomainError("pos.code_unknown", f"no product with code {code!r}", scanned=(code or "").strip()[:64])
    else:
        variant = conn.execute(_BY_ID, {"vid": variant_id}).first() if variant_id else None
        if variant is None or not variant.active:
            raise NotFound("variant", variant_id)
    if variant.deleted or variant.suspended:
        raise DomainError("cart.unavailable", "not for sale", name=variant.name)
    row = (conn.execute(_LOCK_DEVICE, {"did": device_id}) if device_id is not None
           else conn.execute(_LOCK_SHARED, {"rid": register_id})).first()
    if row is not None and row.register_id != register_id:
        raise DomainError("pos.device_unknown", f"device {device_id} is not on register {register_id}")
    if row is None:  # the tablet's first tap: create the row (ORM path, checks the register and device)
        get_register(session, register_id)
        cart = lock_cart(session, register_id, device_id)
        conn = session.connection()  # a first tap that lost the race to create the row rolled back
        lines, cart_id = [dict(x) for x in cart.lines], cart.id
        cart_view = cart
    else:
        lines, cart_id = [dict(x) for x in row.lines], row.id
        cart_view = _CartView(register_id=register_id, device_id=device_id, lines=lines, customer_id=row.customer_id,
                              bonus_minor=row.bonus_minor, approval_id=row.approval_id, updated_at=row.updated_at)
    for line in lines:
        if line["variant_id"] == variant.id:
            line["qty"] = min(int(line["qty"]) + qty, MAX_QTY)
            break
    else:
        if len(lines) >= MAX_LINES:
            raise ValidationFailed("pos.cart_full", "too many lines", max=MAX_LINES)
        lines.append({"variant_id": variant.id, "qty": qty, "discount_pct": 0})
    now = utcnow()
    conn.execute(_SAVE_LINES, {"cid": cart_id, "lines": lines, "now": now})
    if isinstance(cart_view, PosCart):
        session.expire(cart_view)
        cart_view = _CartView(register_id=register_id, device_id=device_id, lines=lines,
                              customer_id=cart_view.customer_id,
                              bonus_minor=cart_view.bonus_minor, approval_id=cart_view.approval_id, updated_at=now)
    cart_view.lines, cart_view.updated_at = lines, now
    out = price_cart(session, cart_view, actor=actor)
    session.commit()
    return out


@dataclass
class _CartView:
    """A cart read with Core (what :func:`price_cart` reads of a PosCart)."""

    register_id: int
    device_id: int | None
    lines: list[dict]
    customer_id: int | None
    bonus_minor: int
    approval_id: int | None
    updated_at: datetime


@atomic
def set_qty(session: Session, *, actor: Actor, register_id: int, variant_id: int, qty: int,
            device_id: int | None = None) -> CartOut:
    """Change a line's quantity; 0 removes the line."""
    require(actor, Perm.pos_sell)
    if not isinstance(qty, int) or not 0 <= qty <= MAX_QTY:
        raise ValidationFailed("pos.qty_invalid", "qty 0..9999", max=MAX_QTY)
    cart = lock_cart(session, register_id, device_id)
    lines = [dict(x) for x in cart.lines]
    if not any(x["variant_id"] == variant_id for x in lines):
        raise NotFound("cart line", variant_id)
    if any(x["variant_id"] == variant_id and qty > int(x["qty"]) for x in lines):
        require_open_shift(session, register_id)
    lines = [({**x, "qty": qty} if x["variant_id"] == variant_id else x) for x in lines]
    return _save(session, cart, actor=actor, lines=[x for x in lines if x["qty"] > 0])


@atomic
def set_line_discount(session: Session, *, actor: Actor, register_id: int, variant_id: int, pct: int,
                      device_id: int | None = None) -> CartOut:
    """The seller's discount on a line, 0..100 %. Above the role's policy the sale will need approval."""
    require(actor, Perm.pos_sell)
    if not isinstance(pct, int) or not 0 <= pct <= 100:
        raise ValidationFailed("pos.discount_invalid", "0..100")
    cart = lock_cart(session, register_id, device_id)
    if not any(x["variant_id"] == variant_id for x in cart.lines):
        raise NotFound("cart line", variant_id)
    lines = [({**x, "discount_pct": pct} if x["variant_id"] == variant_id else dict(x)) for x in cart.lines]
    audit.record(session, actor=actor, action="pos.line_discount", entity="pos_cart", entity_id=register_id,
                 after={"variant_id": variant_id, "pct": pct})
    return _save(session, cart, actor=actor, lines=lines)


@atomic
def set_customer(session: Session, *, actor: Actor, register_id: int, customer_id: int | None,
                 device_id: int | None = None) -> CartOut:
    require(actor, Perm.pos_sell)
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise NotFound("customer", customer_id)
    cart = lock_cart(session, register_id, device_id)
    cart.customer_id = customer_id
    if customer_id is None:
        cart.bonus_minor = 0
    return _save(session, cart, actor=actor)


@atomic
def attach_by_loyalty_token(session: Session, *, actor: Actor, register_id: int, token: str,
                            now: datetime | None = None, device_id: int | None = None) -> CartOut:
    """The customer shows the loyalty QR of the Mini App: the scanned token names them."""
    require(actor, Perm.customers_view)
    customer_id = resolve_loyalty_token(token, now or utcnow())
    return set_customer(session, actor=actor, register_id=register_id, customer_id=customer_id, device_id=device_id)


def scan(session: Session, *, actor: Actor, register_id: int, code: str, device_id: int | None = None) -> CartOut:
    """A code from the USB scanner or the camera: the Mini App's loyalty QR attaches its customer;
    anything else is a product's barcode or SKU, added once."""
    code = (code or "").strip()
    if code.startswith(LOYALTY_QR_PREFIX):
        return attach_by_loyalty_token(session, actor=actor, register_id=register_id, token=code, device_id=device_id)
    return add_item(session, actor=actor, register_id=register_id, code=code, device_id=device_id)


@atomic
def set_bonus(session: Session, *, actor: Actor, register_id: int, bonus_minor: int,
              device_id: int | None = None) -> CartOut:
    """Bonuses the customer spends on this sale (more than the policy cap needs approval)."""
    require(actor, Perm.pos_sell)
    if not isinstance(bonus_minor, int) or bonus_minor < 0:
        raise ValidationFailed("pos.amount_invalid", "bonus >= 0")
    cart = lock_cart(session, register_id, device_id)
    if cart.customer_id is None and bonus_minor:
        raise DomainError("pos.customer_required", "bonuses need a customer")
    customer = session.get(Customer, cart.customer_id) if cart.customer_id else None
    if customer is not None and bonus_minor > customer.bonus_balance_minor:
        raise DomainError("bonus.insufficient", "not enough bonuses", requested=bonus_minor)
    cart.bonus_minor = bonus_minor
    return _save(session, cart, actor=actor)


@atomic
def clear_cart(session: Session, *, actor: Actor, register_id: int, device_id: int | None = None) -> CartOut:
    require(actor, Perm.pos_sell)
    cart = lock_cart(session, register_id, device_id)
    cart.customer_id, cart.bonus_minor, cart.approval_id = None, 0, None
    return _save(session, cart, actor=actor, lines=[])
