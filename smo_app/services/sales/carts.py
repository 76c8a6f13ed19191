"""Server-side carts (ST4, ST11): one per customer, stock-checked on every change, priced by
smo_app.services.sales.pricing. Vacation mode blocks changes; preorder mode allows zero stock.

``Cart.updated_at`` is the last change (the bot's abandoned-cart reminder reads it) and every
change clears ``abandoned_reminder_at``.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import Product, SaleUnit, Variant
from smo_app.models.customer import Customer, CustomerKind
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, ensure_own, require
from smo_app.services.sales.order_dto import ItemLine
from smo_app.services.sales.pricing import PriceBreakdown, PriceLineIn, price
from smo_app.services.core.shop_config import ShopConfig, get_config
from smo_app.services.core.tx import atomic
from smo_app.services.sales import promotions

MAX_LINE_QTY = 999


class CartLineOut(ItemLine):
    available: int
    photo: str | None
    problem: str | None  # cart.out_of_stock / cart.unavailable when the shelf changed since


class CartOut(BaseModel):
    customer_id: int
    lines: list[CartLineOut]
    promo_code: str | None
    promo_error: str | None
    pricing: PriceBreakdown
    cross_sell: list[int]
    vacation: bool
    preorder: bool
    updated_at: datetime | None
    certificate_rest_minor: int = 0  # checkout: what of the certificate's face this order leaves unused (forfeited)


def is_wholesale(customer: Customer) -> bool:
    """``customer``: a Customer, or any row with its ``kind`` and ``wholesale_approved``."""
    return customer.kind == CustomerKind.wholesale and customer.wholesale_approved


def price_lines(session: Session, items: list[tuple[int, int]]) -> tuple[list[PriceLineIn], dict[int, Variant], dict[int, Product]]:
    """(variant_id, qty) → pricing lines, plus the loaded variants and products."""
    ids = [vid for vid, _ in items]
    variants = {v.id: v for v in session.exec(select(Variant).where(Variant.id.in_(ids))).all()} if ids else {}
    pids = {v.product_id for v in variants.values()}
    products = {p.id: p for p in session.exec(select(Product).where(Product.id.in_(pids))).all()} if pids else {}
    lines = []
    for vid, qty in items:
        v = variants.get(vid)
        if v is None:
            continue
        p = products[v.product_id]
        lines.append(PriceLineIn(variant_id=vid, qty=qty, price_minor=v.price_minor, discount_pct=p.discount_pct,
                                 wholesale_price_minor=v.wholesale_price_minor, wholesale_min_qty=v.wholesale_min_qty,
                                 name=p.name, variant_label=v.label))
    return lines, variants, products


def sellable(product: Product | None, variant: Variant | None) -> bool:
    return bool(product and variant and variant.active and not product.deleted and not product.hidden
                and not product.suspended)


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def _cart(session: Session, customer_id: int, create: bool, lock: bool = False) -> Cart | None:
    """The customer's cart (created with ``create``, once even if two first changes arrive at once).
    Writers pass ``lock``: the cart row is locked (``FOR UPDATE``) before its items, the same order
    as checkout, so a change and a checkout of one cart queue instead of deadlocking, and a change
    never lands in a cart being checked out."""
    query = select(Cart).where(Cart.customer_id == customer_id)
    if lock:
        query = query.with_for_update()
    cart = session.exec(query).first()
    if cart is None and create:
        try:
            with session.begin_nested():  # a savepoint: the first change of a cart may come twice at once
                cart = Cart(customer_id=customer_id)
                session.add(cart)
        except IntegrityError:  # the unique customer_id: the other request created it; use that one
            cart = session.exec(query).one()
    return cart


def _guard(cfg: ShopConfig) -> None:
    if cfg.vacation_mode:
        raise DomainError("cart.vacation", "the shop is on vacation", message_text=cfg.vacation_message)


def _check_stock(cfg: ShopConfig, product: Product | None, variant: Variant | None, qty: int) -> None:
    if not sellable(product, variant):
        raise DomainError("cart.unavailable", "not for sale")
    if qty > MAX_LINE_QTY:
        raise ValidationFailed("cart.qty_invalid", f"at most {MAX_LINE_QTY}", max=MAX_LINE_QTY)
    if not cfg.preorder_mode and qty > variant.qty:
        raise DomainError("cart.out_of_stock", f"only {variant.qty} left", name=f"{product.name} {variant.label}".strip(),
                          available=max(variant.qty, 0))


_CI, _CA = CartItem.__table__.c, Cart.__table__.c
_UNITS = (select(func.coalesce(func.sum(_CI.qty), 0))
          .select_from(CartItem.__table__.join(Cart.__table__, _CA.id == _CI.cart_id)))


def cart_units(session: Session, *, actor: Actor, customer_id: int | None = None) -> int:
    """Units in the cart (the cart tab's badge: every line, as :func:`get_cart` lists them), in one
    read — for screens that show the count and nothing else of the cart."""
    customer_id = ensure_own(actor, customer_id)
    return int(session.execute(_UNITS.where(_CA.customer_id == customer_id)).scalar_one())


_V, _P, _CU = Variant.__table__.c, Product.__table__.c, Customer.__table__.c
# the customer's pricing fields and their cart (if any), and the cart's lines with what pricing and the
# screen need of each variant and product: two indexed reads of plain columns
_WHO = (select(_CU.personal_discount_pct, _CU.kind, _CU.wholesale_approved, _CU.bonus_balance_minor,
               _CA.id.label("cart_id"), _CA.promo_code, _CA.updated_at)
        .select_from(Customer.__table__.outerjoin(Cart.__table__, _CA.customer_id == _CU.id))
        .where(_CU.id == bindparam("customer_id")))
_LINES = (select(_CI.qty.label("in_cart"), _V.id, _V.product_id, _V.label, _V.qty, _V.active, _V.price_minor,
                 _V.wholesale_price_minor, _V.wholesale_min_qty, _P.name, _P.photos, _P.deleted, _P.hidden,
                 _P.suspended, _P.cross_sell, _P.discount_pct)
          .select_from(CartItem.__table__.join(Variant.__table__, _V.id == _CI.variant_id)
                       .join(Product.__table__, _P.id == _V.product_id))
          .where(_CI.cart_id == bindparam("cart_id"))
          .order_by(_CI.variant_id))


def get_cart(session: Session, *, actor: Actor, customer_id: int | None = None, delivery_type: str = "pickup",
             delivery_quote_minor: int = 0, bonus_minor: int = 0, certificate_minor: int = 0,
             cfg: ShopConfig | None = None, now: datetime | None = None) -> CartOut:
    """The cart with its priced breakdown as the UI shows it (ST4); the caller's own without ``customer_id``.
    Every cart screen and checkout step reads it: two reads of plain columns, no ORM objects."""
    customer_id = ensure_own(actor, customer_id)
    cfg = cfg or get_config(session)
    who = session.execute(_WHO, {"customer_id": customer_id}).first()
    if who is None:
        raise NotFound("customer", customer_id)
    rows = session.execute(_LINES, {"cart_id": who.cart_id}).all() if who.cart_id is not None else []
    out_lines, priced, cross_of = [], [], {}
    for r in rows:  # a row stands for its variant and its product (sellable reads both off it)
        problem = None
        if not sellable(r, r):
            problem = "cart.unavailable"
        elif not cfg.preorder_mode and r.in_cart > r.qty:
            problem = "cart.out_of_stock"
        out_lines.append(CartLineOut(variant_id=r.id, product_id=r.product_id, name=r.name, variant_label=r.label,
                                     qty=r.in_cart, available=max(r.qty, 0), photo=(r.photos or [None])[0],
                                     problem=problem))
        if problem is None:
            priced.append(PriceLineIn(variant_id=r.id, qty=r.in_cart, price_minor=r.price_minor,
                                      discount_pct=r.discount_pct, wholesale_price_minor=r.wholesale_price_minor,
                                      wholesale_min_qty=r.wholesale_min_qty, name=r.name, variant_label=r.label))
        cross_of.setdefault(r.product_id, r.cross_sell or [])
    promo_pct, promo_error = 0, None
    if who.promo_code:
        try:
            promo_pct = promotions.find_promo(session, code=who.promo_code, customer_id=customer_id, now=now).pct
        except DomainError as exc:
            promo_error = exc.code
    breakdown = price(
        priced, personal_discount_pct=who.personal_discount_pct, wholesale=is_wholesale(who),
        promo_pct=promo_pct, certificate_minor=certificate_minor, bonus_balance_minor=who.bonus_balance_minor,
        bonus_requested_minor=bonus_minor, bonus_cap_pct=cfg.bonus_spend_cap_pct, delivery_type=delivery_type,
        delivery_quote_minor=delivery_quote_minor, free_delivery_pickup_minor=cfg.free_delivery_pickup_minor,
        free_delivery_courier_minor=cfg.free_delivery_courier_minor, free_delivery_region_pct=cfg.free_delivery_region_pct,
    )
    cross = []
    for wanted in cross_of.values():
        for pid in wanted:
            if pid not in cross_of and pid not in cross:
                cross.append(pid)
    return CartOut(customer_id=customer_id, lines=out_lines, promo_code=who.promo_code,
                   promo_error=promo_error, pricing=breakdown, cross_sell=cross, vacation=cfg.vacation_mode,
                   preorder=cfg.preorder_mode, updated_at=who.updated_at)


@atomic
def _set(session: Session, *, actor: Actor, customer_id: int | None, variant_id: int, qty: int | None, add: int = 0,
         now: datetime | None) -> CartOut:
    customer_id = ensure_own(actor, customer_id)
    cfg = get_config(session)
    _guard(cfg)
    _customer(session, customer_id)
    cart = _cart(session, customer_id, create=True, lock=True)
    item = session.exec(select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == variant_id)).first()
    target = (item.qty if item else 0) + add if qty is None else qty
    if target < 0:
        raise ValidationFailed("cart.qty_invalid", "quantity must be >= 0", max=MAX_LINE_QTY)
    if target == 0:
        if item is not None:
            session.delete(item)
    else:
        variant = session.get(Variant, variant_id)
        if variant is None:
            raise NotFound("variant", variant_id)
        if variant.unit != SaleUnit.pcs:  # weighed at the counter, not sold through the Mini App
            raise DomainError("cart.unavailable", "sold by weight in the shop", name="")
        _check_stock(cfg, session.get(Product, variant.product_id), variant, target)
        if item is None:
            session.add(CartItem(cart_id=cart.id, variant_id=variant_id, qty=target))
        else:
            item.qty = target
            session.add(item)
    _touch(cart, now)
    session.add(cart)
    session.commit()
    return get_cart(session, actor=actor, customer_id=customer_id, cfg=cfg, now=now)


def _touch(cart: Cart, now: datetime | None) -> None:
    cart.updated_at = now or utcnow()
    cart.abandoned_reminder_at = None


def add_item(session: Session, *, actor: Actor, customer_id: int | None = None, variant_id: int, qty: int = 1,
             now: datetime | None = None) -> CartOut:
    """"+": add ``qty`` units (refused beyond stock unless preorder)."""
    if qty <= 0:
        raise ValidationFailed("cart.qty_invalid", "quantity must be > 0", max=MAX_LINE_QTY)
    return _set(session, actor=actor, customer_id=customer_id, variant_id=variant_id, qty=None, add=qty, now=now)


def set_qty(session: Session, *, actor: Actor, customer_id: int | None = None, variant_id: int, qty: int,
            now: datetime | None = None) -> CartOut:
    """Manual quantity; 0 removes the line."""
    return _set(session, actor=actor, customer_id=customer_id, variant_id=variant_id, qty=qty, now=now)


def remove_item(session: Session, *, actor: Actor, customer_id: int | None = None, variant_id: int,
                now: datetime | None = None) -> CartOut:
    return _set(session, actor=actor, customer_id=customer_id, variant_id=variant_id, qty=0, now=now)


@atomic
def clear_cart(session: Session, *, actor: Actor, customer_id: int | None = None, now: datetime | None = None) -> CartOut:
    customer_id = ensure_own(actor, customer_id)
    cart = _cart(session, customer_id, create=False, lock=True)
    if cart is not None:
        session.execute(delete(CartItem.__table__).where(CartItem.__table__.c.cart_id == cart.id))
        cart.promo_code = None
        _touch(cart, now)
        session.add(cart)
        session.commit()
    return get_cart(session, actor=actor, customer_id=customer_id, now=now)


@atomic
def apply_promo(session: Session, *, actor: Actor, customer_id: int | None = None, code: str | None,
                now: datetime | None = None) -> CartOut:
    """Attach a promo code to the cart (validated now and again at checkout); None/"" removes it."""
    customer_id = ensure_own(actor, customer_id)
    _guard(get_config(session))
    cart = _cart(session, customer_id, create=True, lock=True)
    if code and code.strip():
        promo = promotions.find_promo(session, code=code, customer_id=customer_id, now=now)
        cart.promo_code = promo.code
    else:
        cart.promo_code = None
    _touch(cart, now)
    session.add(cart)
    session.commit()
    return get_cart(session, actor=actor, customer_id=customer_id, now=now)


def abandoned_carts(session: Session, *, older_than: datetime) -> list[Cart]:
    """Carts with items, last changed before ``older_than``, not yet reminded (for the bot's job)."""
    has_items = select(CartItem.cart_id).distinct()
    return list(session.exec(select(Cart).where(Cart.updated_at < older_than, Cart.abandoned_reminder_at.is_(None),
                                                Cart.id.in_(has_items))).all())


@atomic
def mark_reminder_sent(session: Session, *, actor: Actor, cart_id: int, now: datetime | None = None) -> bool:
    """The bot's abandoned-cart job sent its reminder: stamp the cart so it is not sent twice.
    Returns False if the cart is gone or was reminded meanwhile (nothing stamped)."""
    require(actor, Perm.orders_manage)
    stamped = session.execute(  # conditional: two senders at once stamp it once
        update(Cart).where(Cart.id == cart_id, Cart.abandoned_reminder_at.is_(None))
        .values(abandoned_reminder_at=now or utcnow()).execution_options(synchronize_session="fetch")
    ).rowcount == 1
    session.commit()
    return stamped
