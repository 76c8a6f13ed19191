"""Back-in-stock subscriptions: a customer asks to be told when a variant returns; the ledger
calls :func:`notify_back_in_stock` when on-hand stock crosses 0 → >0."""
from __future__ import annotations

from datetime import datetime
from html import escape

from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.catalog import Product, StockSubscription, Variant
from smo_app.models.customer import Customer
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.messaging import outbox


@atomic
def subscribe_back_in_stock(session: Session, *, actor: Actor, customer_id: int, variant_id: int) -> bool:
    """ST3 "notify me": a customer subscribes to a variant; True if newly subscribed."""
    if not (actor.is_system or (actor.is_customer and actor.id == customer_id)):
        require(actor, Perm.customers_manage)
    if session.get(Variant, variant_id) is None:
        raise NotFound("variant", variant_id)
    existing = session.exec(select(StockSubscription).where(
        StockSubscription.customer_id == customer_id, StockSubscription.variant_id == variant_id)).first()
    if existing is not None:
        if existing.notified_at is None:
            return False
        existing.notified_at = None
        session.add(existing)
    else:
        session.add(StockSubscription(customer_id=customer_id, variant_id=variant_id))
    session.commit()
    return True


def notify_back_in_stock(session: Session, *, variant_id: int, now: datetime) -> None:
    """Queue one message per waiting subscriber (inside the caller's transaction, no commit)."""
    subs = session.exec(
        select(StockSubscription).where(StockSubscription.variant_id == variant_id, StockSubscription.notified_at.is_(None))
    ).all()
    if not subs:
        return
    variant = session.get(Variant, variant_id)
    product = session.get(Product, variant.product_id)
    name = f"{product.name} {variant.label}".strip()
    for sub in subs:
        customer = session.get(Customer, sub.customer_id)
        if customer is not None:
            outbox.enqueue_to_customer(
                session, customer=customer, kind="back_in_stock",
                text=t("notify.back_in_stock", customer.language, name=escape(name)),
                dedupe_key=f"back_in_stock:{sub.id}:{now.isoformat()}",
            )
        sub.notified_at = now
        session.add(sub)
