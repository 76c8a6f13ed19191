"""CDEK's ``ORDER_STATUS`` webhooks (IN1) move our order forward — shipped when CDEK has the parcel,
delivered when it is handed over — through our state machine, which decides what is allowed: a
paid order the carrier already has walks paid → processing → shipped, each an ordinary move by the
system actor "cdek". A status that cannot be applied (an unknown code, an order cancelled or
refused) is a dead letter for staff; the carrier's status is recorded on the shipment either way.
"""
from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlmodel import Session

from integrations.http import IntegrationError
from integrations.ports.delivery import StatusNotice
from smo_app.models.base import utcnow
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.shipping import Shipment
from smo_app.services.core import ports
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.delivery import waybills
from smo_app.services.integrations import webhooks
from smo_app.services.sales import orders

FORWARD = (OrderStatus.paid, OrderStatus.processing, OrderStatus.shipped, OrderStatus.delivered)


def apply_status(session: Session, notice: StatusNotice) -> str:
    """Apply one ``ORDER_STATUS`` notice inside the caller's transaction (no commit): record the
    carrier's status and move our order forward to shipped/delivered when the state machine allows.
    Raises ``cdek.status_unexpected`` (the inbox makes it a dead letter) when it cannot be applied."""
    row = session.execute(select(Shipment).where(Shipment.entity_uuid == notice.uuid).with_for_update()).scalars().first()
    if row is None:
        raise DomainError("cdek.status_unexpected", f"no shipment {notice.uuid}", code=notice.code)
    row.carrier_status, row.carrier_status_at, row.updated_at = notice.code, utcnow(), utcnow()
    if notice.cdek_number and not row.tracking_number:
        row.tracking_number = notice.cdek_number
    session.add(row)
    if notice.code in waybills.QUIET_CODES or notice.is_return:
        return "recorded"
    if notice.code in waybills.SHIPPED_CODES:
        target = OrderStatus.shipped
    elif notice.code in waybills.DELIVERED_CODES:
        target = OrderStatus.delivered
    else:
        raise DomainError("cdek.status_unexpected", f"status {notice.code}", code=notice.code)
    order = session.get(Order, row.order_id, populate_existing=True)
    current = OrderStatus(order.status)
    if current not in FORWARD:
        if current in (OrderStatus.completed,) or (current == OrderStatus.delivered and target == OrderStatus.shipped):
            return "recorded"  # the order is already past it
        raise DomainError("cdek.status_unexpected", f"{notice.code} for an order {current.value}", code=notice.code)
    actor = Actor.system("cdek")
    for step in FORWARD[FORWARD.index(current) + 1:FORWARD.index(target) + 1]:
        orders.carrier_move(session, actor=actor, order=order, to_status=step, reason=f"CDEK: {notice.code}")
    return "moved"


def receive_status(session: Session, *, actor: Actor | None, token: str, body: bytes) -> str:
    """``POST /api/webhooks/cdek?token=…``: verified by the token in the URL we subscribed with, stored
    raw and applied in one go (de-duplicated per order, status and time)."""
    if not hmac.compare_digest(token or "", waybills.webhook_token()):
        raise DomainError("webhook.rejected", "bad token")
    port = ports.waybills()
    if port is None:
        raise DomainError("webhook.rejected", "no carrier")
    try:
        notice = port.parse_status(body)
    except IntegrationError as exc:
        raise DomainError("webhook.bad_event", exc.message) from exc
    event_id = f"{notice.uuid}:{notice.code}:{notice.status_date_time or ''}"[:128]
    out = webhooks.receive_and_apply(session, provider=waybills.PROVIDER, event_id=event_id, body=body, headers={},
                                     handler=lambda s, _event: apply_status(s, notice))
    return out.outcome
