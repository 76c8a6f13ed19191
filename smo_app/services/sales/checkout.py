"""Checkout (ST5): the customer's server cart becomes an order.

The customer's choices come in (contacts, delivery type, the address or pickup point, codes,
bonuses to spend); the delivery is quoted here through the delivery port, never taken from the
caller. Then the cart is read under a row lock, priced (promo, certificate, bonuses, delivery) by
``sales.pricing``, emptied, and the priced lines go to ``sales.order_creation.create_order`` — all
in one transaction, so one cart becomes at most one order however many checkouts of it arrive at
once.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, Row, bindparam, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import Product, Variant
from smo_app.models.customer import Customer
from smo_app.models.orders import DeliveryType, Order, OrderChannel
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.bulk import read, run
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.shop_config import SETTINGS_AS_JSON, ShopConfig, config_from_json, get_config
from smo_app.services.core.tx import atomic
from smo_app.services.sales import promotions
from smo_app.services.sales.carts import ensure_own, is_wholesale
from smo_app.services.sales.checkout_preview import OrderDeliveryOut, clean_contact, order_delivery
from smo_app.services.sales.order_creation import (
    STOREFRONT, Buyer, Deductions, Delivery, NewOrder, NewOrderLine, create_order,
)
from smo_app.services.sales.order_dto import OrderOut, load_out
from smo_app.services.sales.pricing import PriceLineIn, price

MAX_COMMENT = 1000


@atomic
def place_order(
    session: Session,
    *,
    actor: Actor,
    customer_id: int | None = None,
    delivery_type: str = DeliveryType.pickup,
    address: str = "",
    point_code: str = "",
    contact_name: str = "",
    phone: str = "",
    comment: str = "",
    promo_code: str | None = None,
    certificate_code: str | None = None,
    bonus_minor: int = 0,
    client_ref: str | None = None,
    channel: str = OrderChannel.storefront,
    now: datetime | None = None,
) -> OrderOut:
    """Checkout (ST5): turn the customer's server cart into a ``new`` order in one transaction.

    ``customer_id`` defaults to the calling customer. The delivery is quoted through the delivery
    port for the cart as it stands (``point_code``: the pickup point chosen, which then names the
    order's address); when the provider cannot quote, delivery is 0 and a line in the customer's
    language tells the manager to calculate it. A phone, when given, must be one
    (``checkout.phone_invalid``).

    The cart row is locked first (``SELECT … FOR UPDATE``) and the number of cart rows deleted is
    checked, so simultaneous checkouts of one cart make one order: the others get ``cart.empty``
    (or, with the same ``client_ref``, the first order). Stock, the promo use (at most once per
    customer for a once-per-customer code, held by a unique index), the certificate reservation and
    the bonus debit are taken by ``create_order``; anything short rolls the whole order back with a
    DomainError (``cart.out_of_stock``, ``promo.exhausted``, ``promo.already_used``,
    ``certificate.used``, ``bonus.insufficient``, …). ``promo_code`` defaults to the one on the cart.
    """
    customer_id = ensure_own(actor, customer_id)
    contact = clean_contact(contact_name, phone, required=False)
    try:
        if client_ref:  # a repeated request answers with its order before asking the provider again
            existing = _order_for_ref(session, client_ref, customer_id)
            if existing is not None:
                return existing
        choice = _DeliveryChoice(delivery_type=delivery_type, address=address, point_code=point_code)
        rest = dict(actor=actor, customer_id=customer_id, contact_name=contact.contact_name, phone=contact.phone,
                    comment=comment, promo_code=promo_code, certificate_code=certificate_code,
                    bonus_minor=bonus_minor, client_ref=client_ref, channel=channel, now=now)
        try:  # one transaction when the delivery needs no provider call (its quote is fresh)
            return _checkout(session, delivery=choice, **rest)
        except _ProviderNeeded:
            session.rollback()  # nothing written yet: the provider is asked with no lock held
        delivery = order_delivery(session, customer_id=customer_id, delivery_type=delivery_type, address=address,
                                  point_code=point_code, now=now)
        return _checkout(session, delivery=delivery, **rest)
    except (IntegrityError, DomainError):
        # The same client_ref submitted twice at once (a double tap, a retried request): the loser
        # sees the unique index, or the cart the winner already emptied. Either way the answer is
        # the first order, not an error.
        session.rollback()
        if client_ref:
            existing = _order_for_ref(session, client_ref, customer_id)
            if existing is not None:
                return existing
        raise


class _ProviderNeeded(Exception):
    """The delivery cannot be settled inside the checkout's transaction: a provider must be asked."""


def _provider_needed() -> None:
    raise _ProviderNeeded


@dataclass(frozen=True, slots=True)
class _DeliveryChoice:
    """The customer's delivery choice, quoted inside the checkout from the cart lines it read."""

    delivery_type: str
    address: str
    point_code: str


def _order_for_ref(session: Session, client_ref: str, customer_id: int) -> OrderOut | None:
    """The customer's order placed with ``client_ref``; another customer's reference is refused."""
    existing = session.exec(select(Order).where(Order.client_ref == client_ref)).first()
    if existing is None:
        return None
    if existing.customer_id != customer_id:  # never show another customer's order
        raise DomainError("order.client_ref_taken", "client_ref belongs to another order")
    return load_out(session, existing)


_CART = Cart.__table__
_ITEM = CartItem.__table__
_VARIANT = Variant.__table__
_PRODUCT = Product.__table__
_C = Customer.__table__
# the customer with their cart; the cart row stays locked until the checkout commits or rolls back
_LOCKED_CART = select(
    _C.c.id, _C.c.telegram_id, _C.c.unreachable, _C.c.language, _C.c.full_name, _C.c.phone, _C.c.kind,
    _C.c.wholesale_approved, _C.c.personal_discount_pct, _C.c.bonus_balance_minor,
    _CART.c.id.label("cart_id"), _CART.c.promo_code.label("cart_promo_code"),
).select_from(_CART.join(_C, _C.c.id == _CART.c.customer_id)).where(
    _CART.c.customer_id == bindparam("cust")).with_for_update(of=_CART)
_CART_LINES = (
    select(_ITEM.c.variant_id, _ITEM.c.qty, _VARIANT.c.price_minor, _VARIANT.c.wholesale_price_minor,
           _VARIANT.c.wholesale_min_qty, _VARIANT.c.label, _VARIANT.c.active, _VARIANT.c.product_id,
           _PRODUCT.c.name, _PRODUCT.c.discount_pct, _PRODUCT.c.hidden, _PRODUCT.c.suspended, _PRODUCT.c.deleted,
           _PRODUCT.c.low_stock_threshold, _VARIANT.c.weight_g)
    .join(_VARIANT, _VARIANT.c.id == _ITEM.c.variant_id).join(_PRODUCT, _PRODUCT.c.id == _VARIANT.c.product_id)
    .where(_ITEM.c.cart_id == bindparam("cart_id")).order_by(_ITEM.c.variant_id)
)
# SQLite: the customer, the cart, its lines and the shop's settings in one read (the whole database
# is this transaction's from its BEGIN IMMEDIATE: there is no row lock to take first); a cart
# without lines gives one row whose line columns are NULL
_CART_WITH_LINES = (
    select(*_LOCKED_CART.selected_columns, *_CART_LINES.selected_columns, SETTINGS_AS_JSON.label("settings"))
    .select_from(_CART.join(_C, _C.c.id == _CART.c.customer_id).outerjoin(_ITEM, _ITEM.c.cart_id == _CART.c.id)
                 .outerjoin(_VARIANT, _VARIANT.c.id == _ITEM.c.variant_id)
                 .outerjoin(_PRODUCT, _PRODUCT.c.id == _VARIANT.c.product_id))
    .where(_CART.c.customer_id == bindparam("cust")).order_by(_ITEM.c.variant_id)
)
_EMPTY_CART = delete(_ITEM).where(_ITEM.c.cart_id == bindparam("cid"))
_TOUCH_CART = update(_CART).where(_CART.c.id == bindparam("cid")).values(
    promo_code=None, updated_at=bindparam("now"), abandoned_reminder_at=None)


def _checkout(
    session: Session,
    *,
    actor: Actor,
    customer_id: int,
    delivery: OrderDeliveryOut | _DeliveryChoice,
    contact_name: str,
    phone: str,
    comment: str,
    promo_code: str | None,
    certificate_code: str | None,
    bonus_minor: int,
    client_ref: str | None,
    channel: str,
    now: datetime | None,
) -> OrderOut:
    now = now or utcnow()
    conn = session.connection()  # begins the transaction (SQLite: BEGIN IMMEDIATE); the one connection used here
    cfg, customer, rows = _locked_cart(session, conn, customer_id)
    if cfg.vacation_mode:
        raise DomainError("cart.vacation", "the shop is on vacation", message_text=cfg.vacation_message)
    if bonus_minor < 0:
        raise ValidationFailed("order.amount_invalid", "amounts must be >= 0")
    if client_ref:  # read after the lock: a checkout that held it before us has committed by now
        existing = _order_for_ref(session, client_ref, customer_id)
        if existing is not None:
            return existing
    if customer is None:
        if session.get(Customer, customer_id) is None:
            raise NotFound("customer", customer_id)
        raise DomainError("cart.empty", "the cart is empty")
    cart_id = customer.cart_id
    if not rows:
        raise DomainError("cart.empty", "the cart is empty")
    for r in rows:
        if not r.active or r.hidden or r.suspended or r.deleted:
            raise DomainError("cart.unavailable", "not for sale", name=r.name)
    if isinstance(delivery, _DeliveryChoice):  # quoted for the lines just read, or _ProviderNeeded
        delivery = order_delivery(session, customer_id=customer_id, delivery_type=delivery.delivery_type,
                                  address=delivery.address, point_code=delivery.point_code, now=now,
                                  lines=[(r.weight_g, r.qty) for r in rows], before_asking=_provider_needed)
    delivery_type = DeliveryType(delivery.delivery_type)
    code = promo_code if promo_code is not None else customer.cart_promo_code
    promo = promotions.find_promo(session, code=code, customer_id=customer_id, now=now, lock=True) if code else None
    cert = promotions.find_certificate(session, code=certificate_code, now=now) if certificate_code else None
    if bonus_minor > customer.bonus_balance_minor:
        raise DomainError("bonus.insufficient", "not enough bonuses", requested=bonus_minor)
    breakdown = price(
        [PriceLineIn(variant_id=r.variant_id, qty=r.qty, price_minor=r.price_minor, discount_pct=r.discount_pct,
                     wholesale_price_minor=r.wholesale_price_minor, wholesale_min_qty=r.wholesale_min_qty,
                     name=r.name, variant_label=r.label) for r in rows],
        personal_discount_pct=customer.personal_discount_pct, wholesale=is_wholesale(customer),
        promo_pct=promo.pct if promo else 0, certificate_minor=cert.face_minor if cert else 0,
        bonus_balance_minor=customer.bonus_balance_minor, bonus_requested_minor=bonus_minor,
        bonus_cap_pct=cfg.bonus_spend_cap_pct, delivery_type=delivery_type, delivery_quote_minor=delivery.price_minor,
        free_delivery_pickup_minor=cfg.free_delivery_pickup_minor,
        free_delivery_courier_minor=cfg.free_delivery_courier_minor,
        free_delivery_region_pct=cfg.free_delivery_region_pct,
    )
    # the cart is emptied first: a checkout of the same cart that slipped past the lock deletes
    # nothing and is refused
    if run(conn, _EMPTY_CART, {"cid": cart_id}).rowcount != len(rows):
        raise DomainError("cart.changed_meanwhile", f"cart {cart_id} changed during checkout")
    run(conn, _TOUCH_CART, {"cid": cart_id, "now": now})
    by_variant = {r.variant_id: r for r in rows}
    lines = [NewOrderLine(
        variant_id=pl.variant_id, product_id=by_variant[pl.variant_id].product_id, qty=pl.qty,
        unit_price_minor=pl.unit_price_minor, name=pl.name, variant_label=pl.variant_label,
        discount_minor=pl.discount_minor, discount_kind=pl.discount_kind,
        low_stock_threshold=by_variant[pl.variant_id].low_stock_threshold,
    ) for pl in breakdown.lines]  # in variant-id order, as the cart rows
    address, comment = delivery.address, comment[:MAX_COMMENT]
    if delivery.by_manager:  # staff see it on the order, the customer in their own language
        note = t("checkout.delivery_by_manager", customer.language or shop_locale.shop_language(session))
        comment = f"{comment[:MAX_COMMENT - len(note) - 1]}\n{note}".strip()
    buyer = Buyer(customer_id=customer.id, contact_name=contact_name or customer.full_name or "",
                  phone=phone or customer.phone or "", telegram_id=customer.telegram_id, language=customer.language,
                  reachable=not customer.unreachable)
    out = create_order(session, actor=actor, config=cfg, now=now, order=NewOrder(
        kind=STOREFRONT if channel == STOREFRONT.channel else replace(STOREFRONT, channel=OrderChannel(channel)),
        lines=lines, buyer=buyer,
        deductions=Deductions(promo=promo, promo_minor=breakdown.discounts["promo"], certificate=cert,
                              certificate_minor=breakdown.certificate_minor, bonus_minor=breakdown.bonus_minor),
        delivery=Delivery(type=delivery_type, minor=breakdown.delivery_minor, address=address),
        comment=comment, client_ref=client_ref, allow_negative_stock=cfg.preorder_mode,
    ))
    _expire_cart(session, cart_id)
    return out


def _locked_cart(session: Session, conn: Connection, customer_id: int) -> tuple[ShopConfig, Row | None, list[Row]]:
    """The shop's settings, the customer with their cart (its row locked until the checkout ends)
    and the cart's lines in variant-id order; no customer and no lines without a cart."""
    if conn.dialect.name == "sqlite":  # one statement
        got = read(conn, _CART_WITH_LINES, {"cust": customer_id})
        if not got:
            return get_config(session), None, []
        return config_from_json(got[0].settings), got[0], [r for r in got if r.variant_id is not None]
    cfg = get_config(session)
    customer = conn.execute(_LOCKED_CART, {"cust": customer_id}).first()
    if customer is None:
        return cfg, None, []
    return cfg, customer, conn.execute(_CART_LINES, {"cart_id": customer.cart_id}).all()


def _expire_cart(session: Session, cart_id: int) -> None:
    """Loaded Cart rows are stale after the Core update: drop them from the identity map."""
    if not session.identity_map:
        return
    loaded = session.identity_map.get(identity_key(Cart, cart_id))
    if loaded is not None:
        session.expire(loaded)


__all__ = ["place_order"]
