"""Back-in-stock subscriptions: a customer asks to be told when a variant returns; the ledger
calls :func:`notify_back_in_stock` when on-hand stock crosses 0 → >0."""
from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.catalog import Product, StockSubscription, Variant
from smo_app.models.customer import Customer
from smo_app.services.core.actor import Actor, own_customer_id
from smo_app.services.core.errors import NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.core.unique import unique_violation
from smo_app.services.messaging import outbox


@atomic
def subscribe_back_in_stock(session: Session, *, actor: Actor, customer_id: int | None = None, variant_id: int) -> bool:
    """ST3 "notify me": a customer subscribes to a variant; True if newly subscribed (or a
    subscription already used up waits again), False if already subscribed.

    Holds when two taps arrive at once: the renewal is a conditional UPDATE, and the unique
    (customer, variant) index decides between two first INSERTs (the loser is "already subscribed").
    """
    customer_id = own_customer_id(actor, customer_id)  # the caller's own without ``customer_id``
    if not (actor.is_system or (actor.is_customer and actor.id == customer_id)):
        require(actor, Perm.customers_manage)
    if session.get(Variant, variant_id) is None:
        raise NotFound("variant", variant_id)
    mine = (StockSubscription.customer_id == customer_id, StockSubscription.variant_id == variant_id)
    renewed = session.execute(
        update(StockSubscription).where(*mine, StockSubscription.notified_at.is_not(None))
        .values(notified_at=None).execution_options(synchronize_session=False)
    ).rowcount
    if renewed:
        session.commit()
        return True
    if session.exec(select(StockSubscription.id).where(*mine)).first() is not None:
        session.rollback()
        return False
    try:
        with session.begin_nested():  # a savepoint: a tap at the same moment may insert first
            session.add(StockSubscription(customer_id=customer_id, variant_id=variant_id))
    except IntegrityError as exc:
        if unique_violation(exc) != ("stock_subscription", frozenset({"customer_id", "variant_id"})):
            raise
        session.rollback()
        return False
    session.commit()
    return True


def waiting_among(session: Session, variant_ids: list[int]) -> list[int]:
    """Which of ``variant_ids`` have subscribers waiting (one query per 1,000: a sync back-fills many)."""
    found: set[int] = set()
    for start in range(0, len(variant_ids), 1000):
        chunk = variant_ids[start:start + 1000]
        found.update(session.exec(select(StockSubscription.variant_id).where(
            StockSubscription.variant_id.in_(chunk), StockSubscription.notified_at.is_(None))).all())
    return sorted(found)


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
