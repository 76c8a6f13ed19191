"""Orders (OR1–OR5, OR8): checkout from the server cart, the state machine, auto-cancel, B2B entry.

Every status change goes through :func:`transition`: a conditional UPDATE on the current status
(so two concurrent moves never both apply), one OrderEvent, the domain event handed to its
subscribers (:mod:`events`; ledgers in the transaction, the outside world through the outbox after
commit), an audit entry — one transaction. :func:`allowed_actions` tells a screen what to offer.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, func, select

from smo_app.i18n import t
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import Product, Variant
from smo_app.models.customer import Customer
from smo_app.models.loyalty import LoyaltyKind
from smo_app.models.orders import DeliveryType, Order, OrderChannel, OrderEvent, OrderLine, OrderStatus
from smo_app.models.outbox import Outbox
from smo_app.models.stock import MoveKind
from smo_app.money import format_money
from smo_app.services.core import audit
from smo_app.services.customers import loyalty
from smo_app.services.messaging import outbox
from smo_app.services.sales import promotions
from smo_app.services.stock import ledger as stock
from smo_app.services.core.actor import Actor
from smo_app.services.sales.carts import ensure_own, is_wholesale, price_lines
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.sales import events
from smo_app.services.sales.order_states import (
    ACTIVE_STATUSES, BACK_MOVES, CUSTOMER_TRANSITIONS, DELIVERY_LIST_STATUSES, TRANSITIONS, action_rule,
)
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.sales.pricing import PriceLineIn, price
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic

S = OrderStatus


# --------------------------------------------------------------------------- DTOs

class OrderLineOut(BaseModel):
    variant_id: int
    product_id: int
    name: str
    variant_label: str
    qty: int
    unit_price_minor: int
    goods_minor: int
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
    total_minor: int
    cost_minor: int
    delivery_type: str
    delivery_payer: str
    address: str
    contact_name: str
    phone: str
    comment: str
    buyer_name: str
    created_at: datetime
    paid_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineOut] = []
    events: list[OrderEventOut] = []


def _order_out(order: Order | dict, lines: list, events: list[OrderEvent] | None = None) -> OrderOut:
    data = dict(order) if isinstance(order, dict) else order.model_dump()
    data["discounts"] = {"product": data["discount_product_minor"], "personal": data["discount_personal_minor"],
                         "promo": data["discount_promo_minor"]}
    data["lines"] = [line if isinstance(line, OrderLineOut) else OrderLineOut.model_validate(line, from_attributes=True)
                     for line in lines]
    data["events"] = [OrderEventOut.model_validate(e, from_attributes=True) for e in events or []]
    return OrderOut.model_validate(data)


def _load_out(session: Session, order: Order, with_events: bool = True) -> OrderOut:
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)).all() \
        if with_events else []
    return _order_out(order, list(lines), list(events))


def _event(order_id: int, from_status: str | None, to_status: str, actor: Actor, reason: str | None,
           now: datetime) -> OrderEvent:
    return OrderEvent(order_id=order_id, from_status=from_status, to_status=to_status, actor_kind=actor.kind,
                      actor_id=actor.id, actor_name=actor.name[:128], reason=(reason or None) and reason[:500],
                      created_at=now)


# --------------------------------------------------------------------------- checkout

@atomic
def place_order(
    session: Session,
    *,
    actor: Actor,
    customer_id: int,
    delivery_type: str = DeliveryType.pickup,
    delivery_quote_minor: int = 0,
    address: str = "",
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

    Stock is taken line by line in variant-id order by conditional UPDATEs (WH6); the promo use is
    counted, the certificate reserved and the bonuses debited the same way. Anything short rolls the
    whole order back with a DomainError (``cart.out_of_stock``, ``promo.exhausted``,
    ``certificate.used``, ``bonus.insufficient``, …). The cart is emptied. ``promo_code`` defaults
    to the one on the cart. The same ``client_ref`` twice returns the first order.
    """
    try:
        return _place_order(
            session, actor=actor, customer_id=customer_id, delivery_type=delivery_type,
            delivery_quote_minor=delivery_quote_minor, address=address, contact_name=contact_name, phone=phone,
            comment=comment, promo_code=promo_code, certificate_code=certificate_code, bonus_minor=bonus_minor,
            client_ref=client_ref, channel=channel, now=now,
        )
    except (IntegrityError, DomainError):
        # The same client_ref submitted twice at once (a double tap, a retried request): the loser
        # sees the unique index, or the cart the winner already emptied. Either way the answer is
        # the first order, not an error.
        session.rollback()
        if client_ref:
            existing = session.exec(select(Order).where(Order.client_ref == client_ref)).first()
            if existing is not None:
                return _load_out(session, existing)
        raise


def _place_order(
    session: Session,
    *,
    actor: Actor,
    customer_id: int,
    delivery_type: str,
    delivery_quote_minor: int,
    address: str,
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
    ensure_own(actor, customer_id)
    now = now or utcnow()
    if client_ref:
        existing = session.exec(select(Order).where(Order.client_ref == client_ref)).first()
        if existing is not None:
            return _load_out(session, existing)
    cfg = get_config(session)
    if cfg.vacation_mode:
        raise DomainError("cart.vacation", "the shop is on vacation", message_text=cfg.vacation_message)
    try:
        delivery_type = DeliveryType(delivery_type)
    except ValueError as exc:
        raise ValidationFailed("order.delivery_type_invalid", f"unknown delivery type {delivery_type}") from exc
    if bonus_minor < 0 or delivery_quote_minor < 0:
        raise ValidationFailed("order.amount_invalid", "amounts must be >= 0")
    conn = session.connection()
    customer = conn.execute(_CUSTOMER_AND_CART, {"cust": customer_id}).first()  # with its cart id and promo
    if customer is None:
        raise NotFound("customer", customer_id)
    rows = conn.execute(_CART_LINES, {"cart_id": customer.cart_id}).all() if customer.cart_id is not None else []
    if not rows:
        raise DomainError("cart.empty", "the cart is empty")
    for r in rows:
        if not r.active or r.hidden or r.suspended or r.deleted:
            raise DomainError("cart.unavailable", "not for sale", name=r.name)
    lines = [PriceLineIn(variant_id=r.variant_id, qty=r.qty, price_minor=r.price_minor, discount_pct=r.discount_pct,
                         wholesale_price_minor=r.wholesale_price_minor, wholesale_min_qty=r.wholesale_min_qty,
                         name=r.name, variant_label=r.label) for r in rows]
    code = promo_code if promo_code is not None else customer.cart_promo_code
    promo = promotions.find_promo(session, code=code, customer_id=customer_id, now=now) if code else None
    cert = promotions.find_certificate(session, code=certificate_code, now=now) if certificate_code else None
    if bonus_minor > customer.bonus_balance_minor:
        raise DomainError("bonus.insufficient", "not enough bonuses", requested=bonus_minor)
    breakdown = price(
        lines, personal_discount_pct=customer.personal_discount_pct, wholesale=is_wholesale(customer),
        promo_pct=promo.pct if promo else 0, certificate_minor=cert.face_minor if cert else 0,
        bonus_balance_minor=customer.bonus_balance_minor, bonus_requested_minor=bonus_minor,
        bonus_cap_pct=cfg.bonus_spend_cap_pct, delivery_type=delivery_type, delivery_quote_minor=delivery_quote_minor,
        free_delivery_pickup_minor=cfg.free_delivery_pickup_minor,
        free_delivery_courier_minor=cfg.free_delivery_courier_minor,
        free_delivery_region_pct=cfg.free_delivery_region_pct,
    )
    order = {
        "customer_id": customer.id, "channel": str(channel), "status": S.new.value, "client_ref": client_ref,
        "goods_minor": breakdown.goods_minor, "discount_product_minor": breakdown.discounts["product"],
        "discount_personal_minor": breakdown.discounts["personal"],
        "discount_promo_minor": breakdown.discounts["promo"], "certificate_minor": breakdown.certificate_minor,
        "bonus_minor": breakdown.bonus_minor, "delivery_minor": breakdown.delivery_minor,
        "total_minor": breakdown.total_minor, "cost_minor": 0, "promo_code_id": promo.id if promo else None,
        "certificate_id": cert.id if cert else None, "delivery_type": delivery_type.value, "delivery_payer": "buyer",
        "address": (address or "")[:500], "contact_name": (contact_name or customer.full_name or "")[:128],
        "phone": (phone or customer.phone or "")[:32], "comment": (comment or "")[:1000], "buyer_name": "",
        "created_at": now, "updated_at": now, "paid_at": None, "completed_at": None, "cancelled_at": None,
    }
    try:
        with session.no_autoflush:
            return _write_order(session, conn, actor=actor, cfg=cfg, customer=customer, cart_id=customer.cart_id,
                                rows=rows, breakdown=breakdown, order=order, promo=promo, cert=cert, now=now)
    except BaseException:
        session.rollback()
        raise


_CART = Cart.__table__
_ITEM = CartItem.__table__
_VARIANT = Variant.__table__
_PRODUCT = Product.__table__
_ORDER = Order.__table__
_CART_LINES = (
    select(_ITEM.c.variant_id, _ITEM.c.qty, _VARIANT.c.price_minor, _VARIANT.c.wholesale_price_minor,
           _VARIANT.c.wholesale_min_qty, _VARIANT.c.label, _VARIANT.c.active, _VARIANT.c.product_id,
           _PRODUCT.c.name, _PRODUCT.c.discount_pct, _PRODUCT.c.hidden, _PRODUCT.c.suspended, _PRODUCT.c.deleted,
           _PRODUCT.c.low_stock_threshold)
    .join(_VARIANT, _VARIANT.c.id == _ITEM.c.variant_id).join(_PRODUCT, _PRODUCT.c.id == _VARIANT.c.product_id)
    .where(_ITEM.c.cart_id == bindparam("cart_id")).order_by(_ITEM.c.variant_id)
)


_INSERT_ORDER = insert(_ORDER).returning(_ORDER.c.id)
_INSERT_LINE = insert(OrderLine.__table__)
_INSERT_EVENT = insert(OrderEvent.__table__)
_EMPTY_CART = delete(_ITEM).where(_ITEM.c.cart_id == bindparam("cid"))
_TOUCH_CART = update(_CART).where(_CART.c.id == bindparam("cid")).values(
    promo_code=None, updated_at=bindparam("now"), abandoned_reminder_at=None)
_C = Customer.__table__
_CUSTOMER_AND_CART = select(
    _C.c.id, _C.c.telegram_id, _C.c.unreachable, _C.c.language, _C.c.full_name, _C.c.phone, _C.c.kind,
    _C.c.wholesale_approved, _C.c.personal_discount_pct, _C.c.bonus_balance_minor,
    _CART.c.id.label("cart_id"), _CART.c.promo_code.label("cart_promo_code"),
).select_from(_C.outerjoin(_CART, _CART.c.customer_id == _C.c.id)).where(_C.c.id == bindparam("cust"))


_INSERT_OUTBOX = insert(Outbox.__table__)
_INSERT_AUDIT = insert(AuditEntry.__table__)


def _write_order(session: Session, conn, *, actor: Actor, cfg, customer, cart_id: int, rows, breakdown,
                 order: dict, promo, cert, now: datetime) -> OrderOut:
    """The writes of :func:`place_order`, in Core statements for speed (one transaction, no commit
    until the end)."""
    by_variant = {r.variant_id: r for r in rows}
    # breakdown.lines follow the cart rows, sorted by variant id: stock is taken in that order
    items = [(pl.variant_id, pl.qty, by_variant[pl.variant_id].low_stock_threshold) for pl in breakdown.lines]
    try:
        taken = stock.take_for_order(session, actor=actor, order_id=None, allow_negative=cfg.preorder_mode,
                                     now=now, items=items)
    except DomainError as exc:
        if exc.code != "stock.insufficient":
            raise
        r = by_variant[exc.params["variant_id"]]
        raise DomainError("cart.out_of_stock", exc.message, name=f"{r.name} {r.label}".strip(),
                          available=exc.params.get("available", 0)) from exc
    order["cost_minor"] = sum(cost * pl.qty for pl, (_, cost) in zip(breakdown.lines, taken))
    order_id = conn.execute(_INSERT_ORDER, order).scalar_one()
    order["id"] = order_id
    stock.append_sale_moves(session, actor=actor, items=items, taken=taken, order_id=order_id, now=now)
    line_rows = []
    for pl, (_, unit_cost) in zip(breakdown.lines, taken):
        line_rows.append({
            "order_id": order_id, "product_id": by_variant[pl.variant_id].product_id, "variant_id": pl.variant_id,
            "name": pl.name, "variant_label": pl.variant_label, "qty": pl.qty, "unit_price_minor": pl.unit_price_minor,
            "goods_minor": pl.goods_minor, "discount_minor": pl.discount_minor, "total_minor": pl.total_minor,
            "unit_cost_minor": unit_cost,
        })
    conn.execute(_INSERT_LINE, line_rows)
    if promo is not None:
        promotions.consume_promo(session, promo=promo, customer_id=customer.id, order_id=order_id,
                                 discount_minor=breakdown.discounts["promo"], now=now)
    if cert is not None:
        promotions.reserve_certificate(session, certificate_id=cert.id, order_id=order_id)
    if breakdown.bonus_minor:
        loyalty.post_entry(session, actor=actor, customer_id=customer.id, kind=LoyaltyKind.spend,
                           amount_minor=-breakdown.bonus_minor, order_id=order_id, now=now)
    conn.execute(_INSERT_EVENT, {
        "order_id": order_id, "from_status": None, "to_status": S.new.value, "actor_kind": actor.kind,
        "actor_id": actor.id, "actor_name": actor.name[:128], "reason": None, "created_at": now})
    conn.execute(_EMPTY_CART, {"cid": cart_id})
    conn.execute(_TOUCH_CART, {"cid": cart_id, "now": now})
    # a brand-new order id cannot have been notified before: no dedupe key needed
    if customer.telegram_id is not None and not customer.unreachable:  # as outbox.enqueue_to_customer
        conn.execute(_INSERT_OUTBOX, outbox.message_values(
            kind="order_status", chat_id=customer.telegram_id, customer_id=customer.id, now=now,
            text=t("notify.order_placed", customer.language, order=order_id,
                   total=format_money(order["total_minor"], lang=customer.language), minutes=cfg.auto_cancel_minutes),
        ))
    conn.execute(_INSERT_AUDIT, audit.entry_values(
        actor=actor, action="order.place", entity="order", entity_id=order_id, now=now,
        after={"total_minor": order["total_minor"], "bonus_minor": order["bonus_minor"],
               "certificate_minor": order["certificate_minor"], "promo_minor": order["discount_promo_minor"]}))
    out = _order_out(order, [OrderLineOut.model_validate(r) for r in line_rows], [])
    session.commit()
    _expire_cart(session, cart_id)
    return out


def _expire_cart(session: Session, cart_id: int) -> None:
    """Loaded Cart rows are stale after the Core update: drop them from the identity map."""
    loaded = session.identity_map.get(identity_key(Cart, cart_id))
    if loaded is not None:
        session.expire(loaded)


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

    One transaction: a conditional UPDATE on the current status (two concurrent moves never both
    apply), one ``order_event`` row, the domain event published to its subscribers
    (:mod:`smo_app.services.sales.events`), an audit entry. The shop's in-transaction subscribers
    (:mod:`order_subscribers`) do, each exactly once: ``paid`` — certificate redeemed, inviter's
    referral reward; ``completed`` — cashback and the inviter's lifetime share; ``cancelled`` —
    stock put back (``restock=True``) or written off (staff choice), spent bonuses returned, promo
    use released, certificate reactivated; every move — the customer's message. A subscriber that
    raises rolls all of it back. Customers may only cancel their own ``new`` orders.
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
        back = (from_status, to_status) in BACK_MOVES
        row = _event(order_id, from_status, to_status, actor, reason, now)
        session.add(row)
        session.flush()
        data: dict = {"notify_kind": _notify_kind}
        if to_status == S.cancelled:
            data["restock"] = restock
        events.publish(session, events.DomainEvent(
            name=events.event_name(from_status.value, to_status.value, back_move=back), order_id=order_id,
            from_status=from_status.value, to_status=to_status.value, actor=actor, reason=reason, occurred_at=now,
            event_id=row.id, data=data))
        audit.record(session, actor=actor, action="order.back_move" if back else "order.transition", entity="order",
                     entity_id=order_id, before={"status": from_status.value},
                     after={"status": to_status.value, "restock": restock} if to_status == S.cancelled
                     else {"status": to_status.value}, note=reason)
        out = _load_out(session, order)
        session.commit()
        return out
    except BaseException:
        session.rollback()
        raise


class AllowedAction(BaseModel):
    """One thing an actor may do to an order now (for buttons; the service still checks)."""

    action: str  # pay, process, ship, deliver, complete, cancel, back
    to_status: str
    back_move: bool = False
    needs_reason: bool = False  # ask for a reason (kept on the order event and in the audit)
    needs_confirmation: bool = False  # ask "are you sure?"
    restock_choice: bool = False  # cancel: staff choose between putting goods back and writing them off


def allowed_actions(actor: Actor, order: Order | OrderOut) -> list[AllowedAction]:
    """What ``actor`` may do to ``order`` from its current status, from the transition table, so no
    screen copies it. Customers see only their own orders' moves; staff need the orders permission."""
    from_status = S(order.status)
    if actor.is_customer:
        if order.customer_id != actor.id:
            return []
        targets = [to for (fr, to) in sorted(CUSTOMER_TRANSITIONS) if fr == from_status]
    elif actor.is_system or can(actor, Perm.orders_manage):
        targets = sorted(TRANSITIONS[from_status], key=lambda st: list(S).index(st))
    else:
        return []
    out = []
    for to in targets:
        rule = action_rule(from_status, to)
        out.append(AllowedAction(
            action=rule.action, to_status=to.value, back_move=rule.back_move,
            needs_reason=rule.needs_reason and not actor.is_customer, needs_confirmation=rule.needs_confirmation,
            restock_choice=to == S.cancelled and not actor.is_customer))
    return out


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


# --------------------------------------------------------------------------- B2B / offline (OR8)

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
    moves), cost from the average purchase price, delivery cost and who pays it. It is recorded as
    ``completed`` and counts in analytics; no cashback."""
    require(actor, Perm.orders_manage)
    now = now or utcnow()
    items = [i if isinstance(i, B2BItemIn) else B2BItemIn.model_validate(i) for i in items]
    if not items:
        raise ValidationFailed("order.items_required", "at least one item")
    if delivery_payer not in ("buyer", "shop"):
        raise ValidationFailed("order.delivery_payer_invalid", "buyer or shop")
    if customer_id is None and not buyer_name.strip():
        raise ValidationFailed("order.buyer_required", "a customer or a buyer name")
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise NotFound("customer", customer_id)
    merged: dict[int, B2BItemIn] = {}
    for item in items:
        if item.variant_id in merged:
            raise ValidationFailed("order.duplicate_item", f"variant {item.variant_id} twice", id=item.variant_id)
        merged[item.variant_id] = item
    _, variants, products = price_lines(session, [(vid, i.qty) for vid, i in merged.items()])
    missing = set(merged) - set(variants)
    if missing:
        raise NotFound("variant", min(missing))
    goods = sum(i.qty * i.unit_price_minor for i in merged.values())
    try:
        order = Order(customer_id=customer_id, channel=OrderChannel.b2b, status=S.completed, goods_minor=goods,
                      delivery_minor=delivery_minor if delivery_payer == "buyer" else 0,
                      total_minor=goods + (delivery_minor if delivery_payer == "buyer" else 0),
                      delivery_type=DeliveryType.store if not delivery_minor else DeliveryType.courier,
                      delivery_payer=delivery_payer, buyer_name=buyer_name.strip()[:200],
                      comment=(comment or "")[:1000] + (f" [delivery {delivery_minor} paid by shop]"
                                                        if delivery_payer == "shop" and delivery_minor else ""),
                      created_at=now, updated_at=now, paid_at=now, completed_at=now)
        session.add(order)
        session.flush()
        cost, lines = 0, []
        for vid in sorted(merged):
            item = merged[vid]
            v = variants[vid]
            p = products[v.product_id]
            try:
                move = stock.apply_move(session, actor=actor, variant_id=vid, delta=-item.qty, kind=MoveKind.sale,
                                        order_id=order.id, comment=f"B2B order #{order.id}", now=now)
            except DomainError as exc:
                raise DomainError("cart.out_of_stock", exc.message, name=f"{p.name} {v.label}".strip(),
                                  available=exc.params.get("available", 0)) from exc
            cost += move.unit_cost_minor * item.qty
            lines.append(OrderLine(order_id=order.id, product_id=p.id, variant_id=vid, name=p.name,
                                   variant_label=v.label, qty=item.qty, unit_price_minor=item.unit_price_minor,
                                   goods_minor=item.qty * item.unit_price_minor,
                                   total_minor=item.qty * item.unit_price_minor, unit_cost_minor=move.unit_cost_minor))
        order.cost_minor = cost
        session.add_all(lines)
        session.add(_event(order.id, None, S.completed, actor, "b2b", now))
        audit.record(session, actor=actor, action="order.b2b_create", entity="order", entity_id=order.id,
                     after={"total_minor": order.total_minor, "cost_minor": cost, "delivery_minor": delivery_minor,
                            "delivery_payer": delivery_payer})
        out = _load_out(session, order)
        session.commit()
        return out
    except BaseException:
        session.rollback()
        raise


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
    "AllowedAction", "allowed_actions", "B2BItemIn", "OrderOut", "OrderPage", "auto_cancel_unpaid", "cancel_order", "create_b2b_order", "get_order",
    "list_orders", "mark_paid", "place_order", "transition",
]
