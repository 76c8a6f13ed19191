"""The shop's own subscribers to order events (see :mod:`events`), all in the transition's
transaction: certificate, loyalty, stock return or write-off, promo use, the customer's message.

``register(bus)`` is the one list; the composition root (``smo_app.composition``) calls it. An
integration does not add itself here: its own ``install()`` subscribes it, called from the root too.
"""
from __future__ import annotations

from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.orders import Order, OrderLine
from smo_app.models.stock import MoveKind
from smo_app.services.customers import loyalty
from smo_app.services.messaging import outbox
from smo_app.services.sales import promotions
from smo_app.services.sales.events import DomainEvent, EventBus, Phase
from smo_app.services.stock import ledger as stock


def _order(session: Session, event: DomainEvent) -> Order:
    return session.get(Order, event.order_id)


def redeem_certificate(session: Session, event: DomainEvent) -> None:
    order = _order(session, event)
    if order.certificate_id is None:  # a certificate is reserved only together with order.certificate_id
        return
    promotions.redeem_certificate(session, order_id=order.id, customer_id=order.customer_id, now=event.occurred_at)


def loyalty_on_paid(session: Session, event: DomainEvent) -> None:
    friend = event.customer(session)
    if friend is None or friend.inviter_id is None:  # only an invited friend's order earns a reward
        return
    loyalty.on_order_paid(session, actor=event.actor, order=_order(session, event), cfg=event.config(session),
                          now=event.occurred_at)


def loyalty_on_completed(session: Session, event: DomainEvent) -> None:
    loyalty.on_order_completed(session, actor=event.actor, order=_order(session, event), cfg=event.config(session),
                               now=event.occurred_at)


def return_stock(session: Session, event: DomainEvent) -> None:
    """Cancelled: the goods come back (``restock``), or come back and are written off at once."""
    restock = event.data.get("restock", True)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == event.order_id)
                         .order_by(OrderLine.variant_id)).all()
    comment = f"order #{event.order_id} cancelled" + (f": {event.reason}" if event.reason else "")
    for line in lines:
        stock.apply_move(session, actor=event.actor, variant_id=line.variant_id, delta=line.qty, kind=MoveKind.restock,
                         order_id=event.order_id, comment=comment, now=event.occurred_at, notify=restock)
        if not restock:
            stock.apply_move(session, actor=event.actor, variant_id=line.variant_id, delta=-line.qty,
                             kind=MoveKind.write_off, order_id=event.order_id, comment=comment, allow_negative=True,
                             now=event.occurred_at, notify=False)


def loyalty_on_cancelled(session: Session, event: DomainEvent) -> None:
    loyalty.on_order_cancelled(session, actor=event.actor, order=_order(session, event), now=event.occurred_at)


def release_promo(session: Session, event: DomainEvent) -> None:
    promotions.release_promo(session, order_id=event.order_id)


def reactivate_certificate(session: Session, event: DomainEvent) -> None:
    promotions.reactivate_certificate(session, order_id=event.order_id)


def expire_stale_messages(session: Session, event: DomainEvent) -> None:
    """A "pay within N minutes" message waiting for an order that was just paid or cancelled is
    marked expired, not sent."""
    outbox.expire_for_order(session, order_id=event.order_id, status=event.to_status)


def notify_customer(session: Session, event: DomainEvent) -> None:
    customer = event.customer(session)
    if customer is None:
        return
    kind = event.data.get("notify_kind") or "order_status"
    status = t(f"order.status.{event.to_status}", customer.language)
    if kind == "auto_cancel":
        text = t("notify.auto_cancel", customer.language, order=event.order_id, status=status,
                 minutes=event.config(session).auto_cancel_minutes)
    else:
        text = t("notify.order_status", customer.language, order=event.order_id, status=status)
    key = f"order_status:{event.order_id}:{event.event_id}"
    if event.event_id is not None:  # the key names the order event just written: no earlier row holds it
        outbox.insert_to_customer(session, customer=customer, kind=kind, text=text, dedupe_key=key)
    else:
        outbox.enqueue_to_customer(session, customer=customer, kind=kind, text=text, dedupe_key=key)


def register(bus: EventBus) -> None:
    """The shop's ledger subscribers, in the order they run."""
    tx = Phase.in_transaction
    bus.subscribe("order.paid", redeem_certificate, key="certificate.redeem", phase=tx)
    bus.subscribe("order.paid", loyalty_on_paid, key="loyalty.paid", phase=tx)
    bus.subscribe("order.completed", loyalty_on_completed, key="loyalty.completed", phase=tx)
    bus.subscribe("order.cancelled", return_stock, key="stock.return", phase=tx)
    bus.subscribe("order.cancelled", loyalty_on_cancelled, key="loyalty.cancelled", phase=tx)
    bus.subscribe("order.cancelled", release_promo, key="promo.release", phase=tx)
    bus.subscribe("order.cancelled", reactivate_certificate, key="certificate.reactivate", phase=tx)
    bus.subscribe("order.*", expire_stale_messages, key="outbox.expire_stale", phase=tx)
    bus.subscribe("order.*", notify_customer, key="notify.customer", phase=tx)
