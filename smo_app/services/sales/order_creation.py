"""The one way an order comes into being: :func:`create_order` over :func:`write_order`.

Each entry point prepares the order (Saleor's ``_prepare_order_data``): it checks who may sell,
prices the lines its own way through ``sales.pricing``, and describes the order as one
:class:`NewOrder` — the lines, the buyer, the deductions, the delivery, and the :class:`OrderKind`
of its channel (:data:`STOREFRONT`, :data:`POS`, :data:`B2B`: the status it is born in, its first
event's reason, its audit action, whether the customer is told, whether its birth is announced).
This module writes it the same way for every channel: stock taken through the stock ledger
(conditional decrements in variant-id order, ``sale`` moves, cost at the weighted average), the
promo use counted, the certificate reserved, bonuses debited, one OrderEvent, the customer's
outbox message, one audit entry.

* :func:`create_order` — the order is the whole use case (checkout, B2B): writes and commits once.
* :func:`write_order` — the order is part of a larger use case (the POS sale writes its sale,
  approval and cart around it): writes in the caller's transaction; the caller commits once.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from smo_app.i18n import t
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.loyalty import LoyaltyKind
from smo_app.models.orders import DeliveryType, Order, OrderChannel, OrderEvent, OrderLine, OrderStatus
from smo_app.models.outbox import Outbox
from smo_app.models.promotions import GiftCertificate, PromoCode
from smo_app.money import format_money, line_goods
from smo_app.services.core import audit
from smo_app.services.core.bulk import write_row, write_rows
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.shop_config import ShopConfig, get_config
from smo_app.services.core.tx import atomic
from smo_app.services.customers import loyalty
from smo_app.services.messaging import outbox
from smo_app.services.sales import events, promotions
from smo_app.services.sales.order_dto import OrderOut, event_values, order_out
from smo_app.services.stock import ledger as stock

S = OrderStatus
DISCOUNT_KINDS = (None, "product", "personal")
CREATABLE_STATUSES = (S.new, S.paid, S.completed)


@dataclass(frozen=True, slots=True)
class OrderKind:
    """How an order of one channel is born. Fixed per entry point (the presets below), never
    chosen per call: ``status`` it starts in (``new``, ``paid`` or ``completed``); ``reason`` on
    its first OrderEvent; ``audit_action`` of its audit entry; ``notify`` — the customer gets the
    "order placed" message; ``announce`` — the birth is published as the domain event of its status
    (``order.completed`` …), so that status's subscribers run as for an order moved there."""

    channel: OrderChannel
    status: OrderStatus
    audit_action: str
    reason: str | None = None
    notify: bool = False
    announce: bool = False


# the Mini App checkout: a new order waiting for payment; the customer is told how long it waits
STOREFRONT = OrderKind(OrderChannel.storefront, S.new, "order.place", notify=True)
# a sale at the counter: paid and handed over at once; cashback and the rest as for any completed order
POS = OrderKind(OrderChannel.pos, S.completed, "order.pos_sale", reason="pos", announce=True)
# staff's offline/B2B entry: completed at the agreed prices, no loyalty rewards
B2B = OrderKind(OrderChannel.b2b, S.completed, "order.b2b_create", reason="b2b")


@dataclass(frozen=True, slots=True)
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
    qty_per_price: int = 1  # by weight: ``qty`` in grams, the unit price for this many grams

    @property
    def goods_minor(self) -> int:
        return line_goods(self.unit_price_minor, self.qty, self.qty_per_price)

    @property
    def total_minor(self) -> int:
        return self.goods_minor - self.discount_minor


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Deductions:
    """What comes off the goods after the line discounts: a ``promo`` (found with
    ``promotions.find_promo``) worth ``promo_minor``, a ``certificate`` (``promotions.find_certificate``)
    covering ``certificate_minor``, and ``bonus_minor`` of the buyer's bonuses."""

    promo: PromoCode | None = None
    promo_minor: int = 0
    certificate: GiftCertificate | None = None
    certificate_minor: int = 0
    bonus_minor: int = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    """How the goods reach the buyer: ``minor`` is charged to the buyer (in the total) when
    ``payer`` is the buyer; ``shop_minor`` is what the shop pays (B2B), a cost outside the total."""

    type: DeliveryType = DeliveryType.store
    minor: int = 0
    payer: str = "buyer"
    shop_minor: int = 0
    address: str = ""


@dataclass(frozen=True, slots=True)
class NewOrder:
    """Everything an order is made of, prepared and priced by its entry point. ``client_ref``: the
    sender's id of the order (unique: a resend finds the first one); ``allow_negative_stock``:
    sell beyond stock (preorder mode)."""

    kind: OrderKind
    lines: Sequence[NewOrderLine]
    buyer: Buyer = field(default_factory=Buyer)
    deductions: Deductions = field(default_factory=Deductions)
    delivery: Delivery = field(default_factory=Delivery)
    comment: str = ""
    client_ref: str | None = None
    allow_negative_stock: bool = False


_ORDER, _LINE, _EVENT = Order.__table__, OrderLine.__table__, OrderEvent.__table__
_OUTBOX, _AUDIT = Outbox.__table__, AuditEntry.__table__


@atomic
def create_order(session: Session, *, actor: Actor, order: NewOrder, config: ShopConfig | None = None,
                 now: datetime | None = None) -> OrderOut:
    """Write one order (:func:`write_order`) and commit — the only commit of the use case. Any
    refusal rolls the whole transaction back: nothing of the order, nor of the caller's earlier
    writes in it, is left."""
    out = write_order(session, actor=actor, order=order, config=config, now=now)
    session.commit()
    return out


def write_order(session: Session, *, actor: Actor, order: NewOrder, config: ShopConfig | None = None,
                now: datetime | None = None) -> OrderOut:
    """Write one order from priced lines in the caller's transaction, without committing.

    No permission check and no pricing: the entry point (checkout, B2B, POS) checks who may sell,
    validates its input and prices the lines; this function checks that the figures are sane
    (``order.items_required``, ``order.duplicate_item``, ``order.amount_invalid``,
    ``order.status_invalid``) and that the order total is ``sum(line totals) - promo_minor -
    certificate_minor - bonus_minor + delivery.minor >= 0``.

    Writes: stock taken per line (``cart.out_of_stock`` with the product's name if short, unless
    ``allow_negative_stock``), ``sale`` moves and ``unit_cost_minor`` at the weighted average cost;
    the order and its lines; the promo use counted (``promo.exhausted`` / ``promo.already_used``
    when a concurrent order took it); the certificate reserved (``certificate.used``) — redeemed
    at once when the kind's status is paid or completed; the bonuses debited from the buyer
    (``bonus.insufficient``); one OrderEvent (``None → status``, with the kind's reason); the
    "order placed" message to the customer (``kind.notify``); one audit entry
    (``kind.audit_action``); the birth published when ``kind.announce``. ``config`` saves a read
    when the caller already has the settings. The caller rolls back on any error (use cases are
    ``@atomic``).
    """
    now = now or utcnow()
    kind, lines, buyer, cut, delivery = order.kind, order.lines, order.buyer, order.deductions, order.delivery
    channel = OrderChannel(kind.channel)  # the entry point's own constant, not user input
    try:
        status = S(kind.status)
    except ValueError as exc:
        raise ValidationFailed("order.status_invalid", f"unknown status {kind.status}") from exc
    try:
        delivery_type = DeliveryType(delivery.type)
    except ValueError as exc:
        raise ValidationFailed("order.delivery_type_invalid", f"unknown delivery type {delivery.type}") from exc
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
    if min(cut.promo_minor, cut.certificate_minor, cut.bonus_minor, delivery.minor, delivery.shop_minor) < 0:
        raise ValidationFailed("order.amount_invalid", "amounts must be >= 0")
    if delivery.payer not in ("buyer", "shop"):
        raise ValidationFailed("order.delivery_payer_invalid", "buyer or shop")
    goods = product_disc = personal_disc = 0
    for line in lines:
        goods += line.goods_minor
        if line.discount_kind == "product":
            product_disc += line.discount_minor
        elif line.discount_kind == "personal":
            personal_disc += line.discount_minor
    total = (goods - product_disc - personal_disc - cut.promo_minor - cut.certificate_minor - cut.bonus_minor
             + delivery.minor)
    if total < 0:
        raise ValidationFailed("order.amount_invalid", "the deductions exceed the goods")
    if cut.bonus_minor and buyer.customer_id is None:
        raise ValidationFailed("order.amount_invalid", "bonuses need a customer")
    if cut.promo is None and cut.promo_minor:
        raise ValidationFailed("order.amount_invalid", "a promo discount needs its promo")
    paid = status in (S.paid, S.completed)
    row = {
        "customer_id": buyer.customer_id, "channel": channel.value, "status": status.value,
        "client_ref": order.client_ref, "goods_minor": goods, "discount_product_minor": product_disc,
        "discount_personal_minor": personal_disc, "discount_promo_minor": cut.promo_minor,
        "certificate_minor": cut.certificate_minor, "bonus_minor": cut.bonus_minor, "delivery_minor": delivery.minor,
        "shop_delivery_minor": delivery.shop_minor, "total_minor": total, "cost_minor": 0,
        "promo_code_id": cut.promo.id if cut.promo is not None else None,
        "certificate_id": cut.certificate.id if cut.certificate is not None else None,
        "delivery_type": delivery_type.value, "delivery_payer": delivery.payer,
        "address": (delivery.address or "")[:500], "contact_name": (buyer.contact_name or "")[:128],
        "phone": (buyer.phone or "")[:32], "comment": (order.comment or "")[:1000],
        "buyer_name": (buyer.name or "").strip()[:200],
        "created_at": now, "updated_at": now, "paid_at": now if paid else None,
        "completed_at": now if status == S.completed else None, "cancelled_at": None,
    }
    with session.no_autoflush:
        return _write(session, actor=actor, order=order, row=row, status=status, config=config, now=now)


def _write(session: Session, *, actor: Actor, order: NewOrder, row: dict, status: OrderStatus,
           config: ShopConfig | None, now: datetime) -> OrderOut:
    """The writes of :func:`write_order`, in Core statements for speed (no commit)."""
    kind, lines, buyer, cut = order.kind, order.lines, order.buyer, order.deductions
    conn = session.connection()
    items = [(line.variant_id, line.qty, line.low_stock_threshold) for line in lines]
    try:
        taken = stock.take_for_order(session, actor=actor, order_id=None, allow_negative=order.allow_negative_stock,
                                     now=now, items=items, conn=conn)
    except DomainError as exc:
        if exc.code != "stock.insufficient":
            raise
        short = next(line for line in lines if line.variant_id == exc.params["variant_id"])
        raise DomainError("cart.out_of_stock", exc.message, name=f"{short.name} {short.variant_label}".strip(),
                          available=exc.params.get("available", 0)) from exc
    row["cost_minor"] = sum(cost * line.qty for line, (_, cost) in zip(lines, taken))
    order_id = write_row(conn, _ORDER, row)
    row["id"] = order_id
    stock.append_sale_moves(session, actor=actor, items=items, taken=taken, order_id=order_id, now=now, conn=conn)
    line_rows = [{
        "order_id": order_id, "product_id": line.product_id, "variant_id": line.variant_id, "name": line.name,
        "variant_label": line.variant_label, "qty": line.qty, "unit_price_minor": line.unit_price_minor,
        "goods_minor": line.goods_minor, "discount_minor": line.discount_minor, "total_minor": line.total_minor,
        "unit_cost_minor": unit_cost,
    } for line, (_, unit_cost) in zip(lines, taken)]
    write_rows(conn, _LINE, line_rows)
    if cut.promo is not None:
        promotions.consume_promo(session, promo=cut.promo, customer_id=buyer.customer_id, order_id=order_id,
                                 discount_minor=row["discount_promo_minor"], now=now)
    if cut.certificate is not None:
        promotions.reserve_certificate(session, certificate_id=cut.certificate.id, order_id=order_id)
        if row["paid_at"] is not None:
            promotions.redeem_certificate(session, order_id=order_id, customer_id=buyer.customer_id, now=now)
    if row["bonus_minor"]:
        loyalty.post_entry(session, actor=actor, customer_id=buyer.customer_id, kind=LoyaltyKind.spend,
                           amount_minor=-row["bonus_minor"], order_id=order_id, now=now)
    event = event_values(order_id, None, status.value, actor, kind.reason, now)
    if kind.announce:
        event["id"] = write_row(conn, _EVENT, event)
    else:
        write_rows(conn, _EVENT, [event])
    # a brand-new order id cannot have been notified before: no dedupe key needed
    if kind.notify and buyer.customer_id is not None and buyer.telegram_id is not None and buyer.reachable:
        write_rows(conn, _OUTBOX, [outbox.message_values(  # as outbox.enqueue_to_customer, in one statement
            # "pay within N minutes" must not arrive after the order left `new` (outbox expiry)
            kind="order_placed" if status == OrderStatus.new else "order_status", order_id=order_id,
            chat_id=buyer.telegram_id, customer_id=buyer.customer_id, now=now,
            text=t("notify.order_placed", buyer.language, order=order_id,
                   total=format_money(row["total_minor"], lang=buyer.language),
                   minutes=(config or get_config(session)).auto_cancel_minutes),
        )])
    write_rows(conn, _AUDIT, [audit.entry_values(
        actor=actor, action=kind.audit_action, entity="order", entity_id=order_id, now=now,
        after={"channel": row["channel"], "status": row["status"], "total_minor": row["total_minor"],
               "cost_minor": row["cost_minor"], "bonus_minor": row["bonus_minor"],
               "certificate_minor": row["certificate_minor"], "promo_minor": row["discount_promo_minor"],
               "delivery_minor": row["delivery_minor"], "delivery_payer": row["delivery_payer"]})])
    if kind.announce:  # the order was born in its status: that status's subscribers run as for a move there
        events.publish(session, events.DomainEvent(
            name=events.event_name(None, status.value), order_id=order_id, from_status=None, to_status=status.value,
            actor=actor, reason=kind.reason, occurred_at=now, event_id=event.pop("id")))
    return order_out(row, line_rows, [event])  # the rows validated with the order, in one call


__all__ = ["B2B", "POS", "STOREFRONT", "Buyer", "Deductions", "Delivery", "NewOrder", "NewOrderLine", "OrderKind",
           "create_order", "write_order"]
