"""The one way an order comes into being: :func:`create_order`.

The Mini App checkout (``sales.checkout``), the staff's B2B entry (``sales.b2b``) and the POS sale
all price their lines their own way, then hand the priced lines, the buyer and the channel here.
This module writes the order the same way for every channel: stock taken through the stock ledger
(conditional decrements in variant-id order, ``sale`` moves, cost at the weighted average), the
promo use counted, the certificate reserved, bonuses debited, one OrderEvent, the customer's
outbox message, one audit entry — and one commit.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from smo_app.i18n import t
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.loyalty import LoyaltyKind
from smo_app.models.orders import DeliveryType, Order, OrderChannel, OrderEvent, OrderLine, OrderStatus
from smo_app.models.outbox import Outbox
from smo_app.models.promotions import GiftCertificate, PromoCode
from smo_app.money import format_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.shop_config import ShopConfig, get_config
from smo_app.services.core.tx import atomic
from smo_app.services.customers import loyalty
from smo_app.services.messaging import outbox
from smo_app.services.sales import promotions
from smo_app.services.sales.order_dto import OrderEventOut, OrderLineOut, OrderOut, event_values, order_out
from smo_app.services.stock import ledger as stock

S = OrderStatus
DISCOUNT_KINDS = (None, "product", "personal")
CREATABLE_STATUSES = (S.new, S.paid, S.completed)


@dataclass(slots=True)
class NewOrderLine:
    """One priced line, as the caller sold it. ``discount_minor`` is the line's own discount
    (``discount_kind`` ``product`` or ``personal``, or None); the line total is
    ``qty * unit_price_minor - discount_minor``. ``low_stock_threshold`` (optional) lets the stock
    ledger skip the low-stock check when the line cannot cross it."""

    variant_id: int
    product_id: int
    qty: int
    unit_price_minor: int
    name: str = ""
    variant_label: str = ""
    discount_minor: int = 0
    discount_kind: str | None = None
    low_stock_threshold: int | None = None

    @property
    def goods_minor(self) -> int:
        return self.qty * self.unit_price_minor

    @property
    def total_minor(self) -> int:
        return self.goods_minor - self.discount_minor


@dataclass(slots=True)
class Buyer:
    """Who buys: a registered customer (``customer_id``), or only a name (B2B, an anonymous POS
    sale). ``telegram_id``/``language``/``reachable`` decide the customer's notification."""

    customer_id: int | None = None
    name: str = ""  # the buyer's name as written on the order (B2B); "" for customers
    contact_name: str = ""
    phone: str = ""
    telegram_id: int | None = None
    language: str = "ru"
    reachable: bool = True


_INSERT_ORDER = insert(Order.__table__).returning(Order.__table__.c.id)
_INSERT_LINE = insert(OrderLine.__table__)
_INSERT_EVENT = insert(OrderEvent.__table__)
_INSERT_OUTBOX = insert(Outbox.__table__)
_INSERT_AUDIT = insert(AuditEntry.__table__)


@atomic
def create_order(
    session: Session,
    *,
    actor: Actor,
    lines: Sequence[NewOrderLine],
    buyer: Buyer,
    channel: OrderChannel | str,
    status: OrderStatus | str = S.new,
    promo: PromoCode | None = None,
    promo_minor: int = 0,
    certificate: GiftCertificate | None = None,
    certificate_minor: int = 0,
    bonus_minor: int = 0,
    delivery_type: DeliveryType | str = DeliveryType.pickup,
    delivery_minor: int = 0,
    delivery_payer: str = "buyer",
    shop_delivery_minor: int = 0,
    address: str = "",
    comment: str = "",
    client_ref: str | None = None,
    allow_negative_stock: bool = False,
    notify: bool | None = None,
    reason: str | None = None,
    audit_action: str = "order.place",
    before_commit: Callable[[int], None] | None = None,
    config: ShopConfig | None = None,
    now: datetime | None = None,
) -> OrderOut:
    """Write one order from priced lines and commit (the only commit of the use case).

    No permission check and no pricing: the entry point (checkout, B2B, POS) checks who may sell,
    validates its input and prices the lines; this function checks that the figures are sane
    (``order.items_required``, ``order.duplicate_item``, ``order.amount_invalid``,
    ``order.status_invalid``) and that the order total is ``sum(line totals) - promo_minor -
    certificate_minor - bonus_minor + delivery_minor >= 0``.

    Writes, in the caller's transaction: stock taken per line (``cart.out_of_stock`` with the
    product's name if short, unless ``allow_negative_stock`` — preorder), ``sale`` moves and
    ``unit_cost_minor`` at the weighted average cost; the order and its lines; the ``promo`` use
    counted (``promo.exhausted`` / ``promo.already_used`` when a concurrent order took it); the
    ``certificate`` reserved (``certificate.used``) — redeemed at once when ``status`` is paid or
    completed; ``bonus_minor`` debited from ``buyer.customer_id`` (``bonus.insufficient``); one
    OrderEvent (``None → status``, with ``reason``); the "order placed" message to the customer
    (``notify``, by default only for ``new`` orders); one audit entry (``audit_action``). Then
    ``before_commit(order_id)`` if given (more writes of the caller's use case in the same
    transaction), and one commit. ``config`` saves a read when the caller already has the settings.
    Any refusal rolls the whole transaction back: nothing of the order, nor of the caller's earlier
    writes in it, is left.

    A POS sale passes: ``channel="pos"``, ``status="completed"`` (paid at the counter, so
    ``paid_at``/``completed_at`` are now), ``delivery_type="store"``, the lines as rung up (its own
    prices and per-line discounts, validated by the POS service), ``buyer=Buyer(customer_id=...)``
    for a known customer or ``Buyer(name=...)``/``Buyer()`` for a walk-in, optionally a ``promo``
    found with ``promotions.find_promo`` with its ``promo_minor``, a ``certificate`` found with
    ``promotions.find_certificate`` with the amount it covers, ``bonus_minor``, ``reason="pos"``
    and ``audit_action="order.pos_sale"``. Loyalty rewards of paid/completed orders (cashback,
    referral) are not run here; they belong to the order's transitions.
    """
    now = now or utcnow()
    channel = OrderChannel(channel)  # the entry point's own constant, not user input
    try:
        status = S(status)
    except ValueError as exc:
        raise ValidationFailed("order.status_invalid", f"unknown status {status}") from exc
    try:
        delivery_type = DeliveryType(delivery_type)
    except ValueError as exc:
        raise ValidationFailed("order.delivery_type_invalid", f"unknown delivery type {delivery_type}") from exc
    if status not in CREATABLE_STATUSES:
        raise ValidationFailed("order.status_invalid", f"an order cannot start as {status}")
    if not lines:
        raise ValidationFailed("order.items_required", "at least one line")
    seen: set[int] = set()
    for line in lines:
        if line.variant_id in seen:
            raise ValidationFailed("order.duplicate_item", f"variant {line.variant_id} twice", id=line.variant_id)
        seen.add(line.variant_id)
        if (line.qty <= 0 or line.unit_price_minor < 0 or not 0 <= line.discount_minor <= line.goods_minor
                or line.discount_kind not in DISCOUNT_KINDS):
            raise ValidationFailed("order.amount_invalid", f"line {line.variant_id}: bad figures")
    if min(promo_minor, certificate_minor, bonus_minor, delivery_minor, shop_delivery_minor) < 0:
        raise ValidationFailed("order.amount_invalid", "amounts must be >= 0")
    if delivery_payer not in ("buyer", "shop"):
        raise ValidationFailed("order.delivery_payer_invalid", "buyer or shop")
    goods = product_disc = personal_disc = 0
    for line in lines:
        goods += line.goods_minor
        if line.discount_kind == "product":
            product_disc += line.discount_minor
        elif line.discount_kind == "personal":
            personal_disc += line.discount_minor
    total = goods - product_disc - personal_disc - promo_minor - certificate_minor - bonus_minor + delivery_minor
    if total < 0:
        raise ValidationFailed("order.amount_invalid", "the deductions exceed the goods")
    if bonus_minor and buyer.customer_id is None:
        raise ValidationFailed("order.amount_invalid", "bonuses need a customer")
    if promo is None and promo_minor:
        raise ValidationFailed("order.amount_invalid", "a promo discount needs its promo")
    paid = status in (S.paid, S.completed)
    order = {
        "customer_id": buyer.customer_id, "channel": channel.value, "status": status.value, "client_ref": client_ref,
        "goods_minor": goods, "discount_product_minor": product_disc, "discount_personal_minor": personal_disc,
        "discount_promo_minor": promo_minor, "certificate_minor": certificate_minor, "bonus_minor": bonus_minor,
        "delivery_minor": delivery_minor, "shop_delivery_minor": shop_delivery_minor, "total_minor": total,
        "cost_minor": 0,
        "promo_code_id": promo.id if promo is not None else None,
        "certificate_id": certificate.id if certificate is not None else None,
        "delivery_type": delivery_type.value, "delivery_payer": delivery_payer, "address": (address or "")[:500],
        "contact_name": (buyer.contact_name or "")[:128], "phone": (buyer.phone or "")[:32],
        "comment": (comment or "")[:1000], "buyer_name": (buyer.name or "").strip()[:200],
        "created_at": now, "updated_at": now, "paid_at": now if paid else None,
        "completed_at": now if status == S.completed else None, "cancelled_at": None,
    }
    with session.no_autoflush:
        return _write(session, actor=actor, lines=lines, buyer=buyer, order=order, status=status, promo=promo,
                      certificate=certificate, allow_negative_stock=allow_negative_stock,
                      notify=status == S.new if notify is None else notify, reason=reason,
                      audit_action=audit_action, before_commit=before_commit, config=config, now=now)


def _write(session: Session, *, actor: Actor, lines: Sequence[NewOrderLine], buyer: Buyer, order: dict,
           status: OrderStatus, promo: PromoCode | None, certificate: GiftCertificate | None,
           allow_negative_stock: bool, notify: bool, reason: str | None, audit_action: str,
           before_commit: Callable[[int], None] | None, config: ShopConfig | None, now: datetime) -> OrderOut:
    """The writes of :func:`create_order`, in Core statements for speed (no commit until the end)."""
    conn = session.connection()
    items = [(line.variant_id, line.qty, line.low_stock_threshold) for line in lines]
    try:
        taken = stock.take_for_order(session, actor=actor, order_id=None, allow_negative=allow_negative_stock,
                                     now=now, items=items)
    except DomainError as exc:
        if exc.code != "stock.insufficient":
            raise
        short = next(line for line in lines if line.variant_id == exc.params["variant_id"])
        raise DomainError("cart.out_of_stock", exc.message, name=f"{short.name} {short.variant_label}".strip(),
                          available=exc.params.get("available", 0)) from exc
    order["cost_minor"] = sum(cost * line.qty for line, (_, cost) in zip(lines, taken))
    order_id = conn.execute(_INSERT_ORDER, order).scalar_one()
    order["id"] = order_id
    stock.append_sale_moves(session, actor=actor, items=items, taken=taken, order_id=order_id, now=now)
    line_rows = [{
        "order_id": order_id, "product_id": line.product_id, "variant_id": line.variant_id, "name": line.name,
        "variant_label": line.variant_label, "qty": line.qty, "unit_price_minor": line.unit_price_minor,
        "goods_minor": line.goods_minor, "discount_minor": line.discount_minor, "total_minor": line.total_minor,
        "unit_cost_minor": unit_cost,
    } for line, (_, unit_cost) in zip(lines, taken)]
    conn.execute(_INSERT_LINE, line_rows)
    if promo is not None:
        promotions.consume_promo(session, promo=promo, customer_id=buyer.customer_id, order_id=order_id,
                                 discount_minor=order["discount_promo_minor"], now=now)
    if certificate is not None:
        promotions.reserve_certificate(session, certificate_id=certificate.id, order_id=order_id)
        if order["paid_at"] is not None:
            promotions.redeem_certificate(session, order_id=order_id, customer_id=buyer.customer_id, now=now)
    if order["bonus_minor"]:
        loyalty.post_entry(session, actor=actor, customer_id=buyer.customer_id, kind=LoyaltyKind.spend,
                           amount_minor=-order["bonus_minor"], order_id=order_id, now=now)
    event = event_values(order_id, None, status.value, actor, reason, now)
    conn.execute(_INSERT_EVENT, event)
    # a brand-new order id cannot have been notified before: no dedupe key needed
    if notify and buyer.customer_id is not None and buyer.telegram_id is not None and buyer.reachable:
        conn.execute(_INSERT_OUTBOX, outbox.message_values(  # as outbox.enqueue_to_customer, in one statement
            # "pay within N minutes" must not arrive after the order left `new` (outbox expiry)
            kind="order_placed" if status == OrderStatus.new else "order_status", order_id=order_id,
            chat_id=buyer.telegram_id, customer_id=buyer.customer_id, now=now,
            text=t("notify.order_placed", buyer.language, order=order_id,
                   total=format_money(order["total_minor"], lang=buyer.language),
                   minutes=(config or get_config(session)).auto_cancel_minutes),
        ))
    conn.execute(_INSERT_AUDIT, audit.entry_values(
        actor=actor, action=audit_action, entity="order", entity_id=order_id, now=now,
        after={"channel": order["channel"], "status": order["status"], "total_minor": order["total_minor"],
               "cost_minor": order["cost_minor"], "bonus_minor": order["bonus_minor"],
               "certificate_minor": order["certificate_minor"], "promo_minor": order["discount_promo_minor"],
               "delivery_minor": order["delivery_minor"], "delivery_payer": order["delivery_payer"]}))
    if before_commit is not None:
        before_commit(order_id)
    out = order_out(order, [OrderLineOut.model_validate(r) for r in line_rows], [OrderEventOut.model_validate(event)])
    session.commit()
    return out


__all__ = ["Buyer", "NewOrderLine", "create_order"]
