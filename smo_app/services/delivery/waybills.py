"""CDEK waybills and tracking (IN1): when an order sent by CDEK is paid, the waybill is created with
the carrier, its tracking number is stored and shown (Mini App order screen, a bot message with the
tracking link, the order card), the waybill PDF is printed from the order card, and CDEK's
``ORDER_STATUS`` webhooks move our order to shipped and delivered — through our state machine, which
decides what is allowed; an unexpected status is a dead letter.

The waybill is an after-commit subscriber of ``order.paid`` (the outbox task worker runs it): it
claims the order's ``shipment`` row (unique per order), registers the order (``POST /v2/orders``,
202 + the carrier's uuid, kept at once), then reads it back until the CDEK number appears or the
request's errors say what is wrong. Still being checked: the task is retried later (the uuid is kept,
nothing is sent twice; a create that timed out is looked up by our number first). Refused by CDEK,
or out of tries: the shipment is ``failed``, a dead letter says why and staff are alerted — the
order itself stays paid, never lost.

Which orders go by CDEK: courier delivery (tariff 137 to the address) and pickup at a CDEK pickup
point (tariff 136; the point's code is in the order's address as the checkout wrote it). The parcel's
weight and box follow ``parcel.parcel_for`` (PRODUCT.md IN1).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from integrations.http import IntegrationError, ProviderRejected
from integrations.ports.delivery import (
    TARIFF_COURIER, TARIFF_PICKUP_POINT, Contact, Item, Location, OrderPackage, OrderRequest, Phone,
)
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.catalog import Variant
from smo_app.models.customer import Customer
from smo_app.models.orders import DeliveryType, Order, OrderLine, OrderStatus
from smo_app.models.shipping import Shipment, ShipmentStatus
from smo_app.models.staff import Role
from smo_app.services.core import audit, ports
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.delivery.parcel import parcel_for
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.messaging import outbox, outbox_tasks
from smo_app.services.messaging.outbox_delivery import RetryPolicy
from smo_app.settings import get_settings

log = logging.getLogger(__name__)

PROVIDER = "cdek"
POLICY = RetryPolicy(max_attempts=8, backoff_seconds=(15, 60, 300, 900, 1800, 3600))
POLLS = 5  # reads of a fresh order per run, a second apart
POLL_INTERVAL = 1.0
POINT_CODE = re.compile(r"\(([A-Z0-9-]{2,20})\):")
TRACKING_URL = "https://www.cdek.ru/ru/tracking?order_id={number}"
# CDEK status -> where our order goes (the state machine walks forward to it through allowed moves)
SHIPPED_CODES = frozenset({
    "RECEIVED_AT_SHIPMENT_WAREHOUSE", "RECEIVED_AT_SENDER_WAREHOUSE", "READY_FOR_SHIPMENT_IN_SENDER_CITY",
    "TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY", "SENT_TO_TRANSIT_CITY", "ACCEPTED_IN_TRANSIT_CITY",
    "ACCEPTED_AT_TRANSIT_WAREHOUSE", "READY_FOR_SHIPMENT_IN_TRANSIT_CITY", "TAKEN_BY_TRANSPORTER_FROM_TRANSIT_CITY",
    "SENT_TO_RECIPIENT_CITY", "ARRIVED_AT_RECIPIENT_CITY", "ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE",
    "ACCEPTED_AT_PICK_UP_POINT", "TAKEN_BY_COURIER", "POSTOMAT_POSTED",
})
DELIVERED_CODES = frozenset({"DELIVERED"})
QUIET_CODES = frozenset({"ACCEPTED", "CREATED", "INVALID", "RETURNED_TO_SENDER_CITY_WAREHOUSE",
                         "RETURNED_TO_TRANSIT_WAREHOUSE", "RETURNED_TO_RECIPIENT_CITY_WAREHOUSE"})
# CDEK's status code -> the stage a person reads ("carrier.stage.<stage>" in the i18n tables); a code
# CDEK adds later reads as "on its way" rather than as the code
STAGES = {
    "CREATED": "created", "ACCEPTED": "created", "INVALID": "invalid", "REMOVED": "removed",
    "RECEIVED_AT_SHIPMENT_WAREHOUSE": "handed_over", "RECEIVED_AT_SENDER_WAREHOUSE": "handed_over",
    "READY_FOR_SHIPMENT_IN_SENDER_CITY": "handed_over", "READY_TO_SHIP_AT_SENDING_OFFICE": "handed_over",
    "ARRIVED_AT_RECIPIENT_CITY": "in_recipient_city", "ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE": "in_recipient_city",
    "ACCEPTED_IN_RECIPIENT_CITY": "in_recipient_city",
    "ACCEPTED_AT_PICK_UP_POINT": "at_pickup_point", "POSTOMAT_POSTED": "at_pickup_point",
    "TAKEN_BY_COURIER": "with_courier", "ISSUED_FOR_DELIVERY": "with_courier",
    "DELIVERED": "delivered", "POSTOMAT_RECEIVED": "delivered", "NOT_DELIVERED": "not_delivered",
    "RETURNED_TO_SENDER_CITY_WAREHOUSE": "returning", "RETURNED_TO_TRANSIT_WAREHOUSE": "returning",
    "RETURNED_TO_RECIPIENT_CITY_WAREHOUSE": "returning", "RETURNED_TO_SENDER_WAREHOUSE": "returning",
    "POSTOMAT_SEIZED": "returning",
}


def carrier_stage(code: str | None) -> str:
    """The stage a CDEK status code stands for (an unknown code: on its way)."""
    return STAGES.get(code or "", "in_transit") if code else ""


_subscribed: set[tuple[int, str]] = set()  # (the port, the URL) subscribed in this process


def tracking_url(number: str) -> str:
    return TRACKING_URL.format(number=number)


class ShipmentOut(BaseModel):
    order_id: int
    status: str
    tariff_code: int
    tracking_number: str | None
    tracking_url: str | None
    carrier_status: str | None
    carrier_status_at: datetime | None
    error: str | None
    weight_g: int
    has_waybill: bool


def _out(row: Shipment) -> ShipmentOut:
    return ShipmentOut(order_id=row.order_id, status=row.status, tariff_code=row.tariff_code,
                       tracking_number=row.tracking_number,
                       tracking_url=tracking_url(row.tracking_number) if row.tracking_number else None,
                       carrier_status=row.carrier_status, carrier_status_at=row.carrier_status_at, error=row.error,
                       weight_g=row.weight_g, has_waybill=row.waybill_pdf is not None)


def tariff_for(order: Order) -> tuple[int, str | None] | None:
    """(tariff, pickup point) for an order CDEK carries, or None (in store, a point that is not CDEK's)."""
    if order.delivery_type == DeliveryType.courier and order.address:
        return TARIFF_COURIER, None
    if order.delivery_type == DeliveryType.pickup:
        found = POINT_CODE.search(order.address or "")
        if found:
            return TARIFF_PICKUP_POINT, found.group(1)
    return None


def webhook_token() -> str:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, b"cdek-webhook", hashlib.sha256).hexdigest()[:32]


def webhook_url() -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/webhooks/cdek?token={webhook_token()}"


# ---- the waybill ---------------------------------------------------------------------------------

def _claim(session: Session, order: Order, tariff: int, point: str | None) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = Shipment.__table__
    now = utcnow()
    session.execute(insert(table).values(order_id=order.id, provider=PROVIDER, status=ShipmentStatus.creating.value,
                                         tariff_code=tariff, delivery_point=point, weight_g=0, length_cm=0, width_cm=0,
                                         height_cm=0, attempts=0, created_at=now, updated_at=now)
                    .on_conflict_do_nothing(index_elements=["order_id"]))
    session.commit()


def _request(session: Session, order: Order, shipment: Shipment) -> OrderRequest:
    ol, v = OrderLine.__table__, Variant.__table__
    lines = session.execute(select(ol.c.name, ol.c.variant_label, ol.c.qty, ol.c.unit_price_minor, ol.c.variant_id,
                                   v.c.weight_g, v.c.sku).join(v, v.c.id == ol.c.variant_id)
                            .where(ol.c.order_id == order.id).order_by(ol.c.id)).all()
    parcel = parcel_for([(max(r.weight_g, 1), r.qty) for r in lines])
    box = parcel.box
    shipment.weight_g, shipment.length_cm, shipment.width_cm, shipment.height_cm = (
        parcel.weight_g, box.length_cm, box.width_cm, box.height_cm)
    items = [Item(name=f"{r.name} {r.variant_label}".strip()[:255], ware_key=(r.sku or str(r.variant_id))[:50],
                  cost=r.unit_price_minor / 100, weight=max(r.weight_g, 1), amount=r.qty) for r in lines]
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    name = order.contact_name or (customer.full_name if customer else "") or order.buyer_name or f"№{order.id}"
    phone = order.phone or (customer.phone if customer else "") or ""
    return OrderRequest(
        number=str(order.id), tariff_code=shipment.tariff_code, comment=(order.comment or None) and order.comment[:255],
        from_location=Location(code=get_settings().cdek_from_city_code),
        delivery_point=shipment.delivery_point,
        to_location=Location(address=order.address) if shipment.tariff_code == TARIFF_COURIER else None,
        recipient=Contact(name=name[:255], phones=[Phone(number=phone or "—")]),
        packages=[OrderPackage(number=f"{order.id}-1", weight=parcel.weight_g, length=box.length_cm,
                               width=box.width_cm, height=box.height_cm, items=items)])


def create_waybill(session: Session, *, order_id: int, sleep=time.sleep) -> ShipmentOut | None:
    """Create (or finish creating) the waybill of a paid CDEK order. Commits as it goes. Raises
    :class:`IntegrationError` when a later try may succeed (the outbox retries)."""
    port = ports.waybills()
    order = session.get(Order, order_id)
    if port is None or order is None:
        session.rollback()
        return None
    route = tariff_for(order)
    if route is None or order.status in (OrderStatus.new, OrderStatus.cancelled):
        session.rollback()
        return None
    _claim(session, order, *route)
    shipment = session.execute(select(Shipment).where(Shipment.order_id == order_id).with_for_update()).scalars().one()
    if shipment.status != ShipmentStatus.creating:
        session.rollback()
        return _out(shipment)
    shipment.attempts += 1
    session.add(shipment)
    session.commit()
    try:
        _ensure_webhook(port)
        if shipment.entity_uuid is None:
            found = port.find_order(str(order_id)) if shipment.attempts > 1 else None
            if found is None:
                request = _request(session, order, shipment)
                found = port.create_order(request, idempotency_key=f"smo-waybill-{order_id}")
            shipment.entity_uuid = found.entity.uuid
            session.add(shipment)
            session.commit()
        for poll in range(POLLS):
            info = port.order_info(shipment.entity_uuid)
            if info.entity.cdek_number:
                out = _created(session, order, shipment, info.entity.cdek_number)
                return _keep_pdf(session, port, shipment) or out
            if info.create_state == "INVALID":
                errors = "; ".join(f"{e.code}: {e.message}" for e in info.errors) or "INVALID"
                return _give_up(session, order, shipment, "cdek.waybill_rejected", errors)
            if poll < POLLS - 1:
                sleep(POLL_INTERVAL)
        raise IntegrationError(PROVIDER, "the waybill is still being checked", code="cdek.waybill_pending")
    except ProviderRejected as exc:
        return _give_up(session, order, shipment, "cdek.waybill_rejected", exc.message)
    except IntegrationError as exc:
        session.rollback()
        if shipment.attempts >= POLICY.max_attempts:
            return _give_up(session, order, shipment, "cdek.waybill_failed", exc.message)
        shipment.error = exc.message[:500]
        session.add(shipment)
        session.commit()
        raise


def _ensure_webhook(port) -> None:
    key = (id(port), webhook_url())
    if key not in _subscribed:
        port.subscribe(key[1])
        _subscribed.add(key)


def _created(session: Session, order: Order, shipment: Shipment, number: str) -> ShipmentOut:
    shipment.status, shipment.tracking_number, shipment.error = ShipmentStatus.created.value, number, None
    shipment.carrier_status, shipment.carrier_status_at, shipment.updated_at = "CREATED", utcnow(), utcnow()
    order = session.get(Order, order.id, with_for_update=True)
    before = order.tracking_number
    order.tracking_number = number
    session.add_all([shipment, order])
    audit.record(session, actor=Actor.system("cdek"), action="order.tracking_set", entity="order",
                 entity_id=order.id, before={"tracking_number": before}, after={"tracking_number": number})
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    if customer is not None:
        outbox.enqueue_to_customer(
            session, customer=customer, kind="order_tracking", dedupe_key=f"order_tracking:{order.id}:{number}",
            text=t("notify.tracking", customer.language, order=order.id, number=number, url=tracking_url(number)),
            order_id=order.id)
    session.commit()
    return _out(shipment)


def _keep_pdf(session: Session, port, shipment: Shipment) -> ShipmentOut | None:
    """The waybill printed right away and kept for the order card (a failure only means the card
    asks CDEK again when someone prints)."""
    try:
        pdf = port.print_waybill(shipment.entity_uuid)
    except IntegrationError as exc:
        log.warning("cdek: waybill %s not printed yet: %s", shipment.entity_uuid, exc)
        return None
    row = session.get(Shipment, shipment.id, populate_existing=True)
    row.waybill_pdf = pdf
    session.add(row)
    session.commit()
    return _out(row)


def _give_up(session: Session, order: Order, shipment: Shipment, reason: str, detail: str) -> ShipmentOut:
    shipment_id = shipment.id
    session.rollback()
    shipment = session.get(Shipment, shipment_id, populate_existing=True)
    order = session.get(Order, shipment.order_id)
    shipment.status, shipment.error, shipment.updated_at = ShipmentStatus.failed.value, detail[:500], utcnow()
    session.add(shipment)
    record_dead_letter(session, provider=PROVIDER, kind="call", reason=reason, reference=str(order.id), detail=detail,
                       payload={"order_id": order.id, "entity_uuid": shipment.entity_uuid, "attempts": shipment.attempts})
    outbox.enqueue_staff_alert(session, kind="waybill_failed", roles=(Role.owner, Role.admin, Role.manager),
                               dedupe_key=f"waybill_failed:{order.id}:{shipment.attempts}",
                               text=lambda lang: t("cdek.alert.waybill_failed", lang, order=order.id,
                                                   error=escape(detail[:300])), order_id=order.id)
    session.commit()
    return _out(shipment)


def on_paid(session: Session, event) -> None:
    """After commit of ``order.paid``: the waybill, in a session of its own (it commits as it goes)."""
    with Session(session.get_bind(), expire_on_commit=False) as own:
        create_waybill(own, order_id=event.order_id)


# ---- staff ------------------------------------------------------------------------------------------

def shipment_of(session: Session, *, actor: Actor, order_id: int) -> ShipmentOut | None:
    require(actor, Perm.orders_view)
    row = session.execute(select(Shipment).where(Shipment.order_id == order_id)).scalars().first()
    return _out(row) if row else None


def retry_waybill(session: Session, *, actor: Actor, order_id: int) -> ShipmentOut:
    """Staff, after fixing what CDEK refused (the address, the phone): try the waybill again."""
    require(actor, Perm.shipments_manage)
    row = session.execute(select(Shipment).where(Shipment.order_id == order_id).with_for_update()).scalars().first()
    if row is None:
        raise NotFound("shipment", order_id)
    if row.status != ShipmentStatus.failed:
        raise DomainError("cdek.waybill_not_failed", "the waybill is not failed")
    row.status, row.entity_uuid, row.attempts, row.error = ShipmentStatus.creating.value, None, 0, None
    session.add(row)
    outbox.enqueue_task(session, kind="cdek.waybill", payload={"order_id": order_id},
                        dedupe_key=f"cdek.waybill:{order_id}:{utcnow().timestamp():.0f}")
    audit.record(session, actor=actor, action="shipment.retry", entity="order", entity_id=order_id)
    session.commit()
    return _out(row)


def waybill_pdf(session: Session, *, actor: Actor, order_id: int) -> bytes:
    """The waybill PDF of an order (printed by CDEK once, then kept)."""
    require(actor, Perm.shipments_manage)
    row = session.execute(select(Shipment).where(Shipment.order_id == order_id)).scalars().first()
    if row is None or row.entity_uuid is None or row.tracking_number is None:
        raise DomainError("cdek.no_waybill", "the order has no waybill yet")
    if row.waybill_pdf:
        return row.waybill_pdf
    port = ports.waybills()
    if port is None:
        raise DomainError("cdek.not_configured", "no carrier configured")
    entity = row.entity_uuid
    session.rollback()  # nothing held while CDEK prints
    try:
        pdf = port.print_waybill(entity)
    except IntegrationError as exc:
        raise DomainError("cdek.print_failed", exc.message) from exc
    row = session.execute(select(Shipment).where(Shipment.order_id == order_id).with_for_update()).scalars().one()
    row.waybill_pdf = pdf
    session.add(row)
    session.commit()
    return pdf


def install(events) -> None:
    """Called by the composition root with the order event bus (``services.sales.events``)."""
    events.subscribe("order.paid", on_paid, key="cdek.waybill_on_paid", phase=events.Phase.after_commit,
                     retry_policy=POLICY)

    def staff_retry(session: Session, task) -> None:
        with Session(session.get_bind(), expire_on_commit=False) as own:
            create_waybill(own, order_id=int(task.payload["order_id"]))

    outbox_tasks.register_task_handler("cdek.waybill", staff_retry, POLICY)
