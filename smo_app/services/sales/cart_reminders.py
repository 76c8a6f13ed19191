"""Abandoned-cart reminders (the sidecar's scheduled job): a customer whose cart has waited 24 hours
gets one message, never outside 10:00–21:00 shop time.

Idempotent: running it twice (or in two sidecars at once) queues each reminder once — a conditional
UPDATE marks the cart (``abandoned_reminder_at IS NULL``) and the outbox dedupe key refuses a
second row; the cart service clears the mark on the next change.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.carts import Cart
from smo_app.models.customer import Customer
from smo_app.services.messaging.outbox import enqueue_to_customer
from smo_app.services.sales.carts import abandoned_carts

ABANDONED_AFTER = timedelta(hours=24)
QUIET_BEFORE = time(10, 0)  # reminders only between 10:00 and 21:00 shop time
QUIET_AFTER = time(21, 0)


def in_reminder_window(now: datetime, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz).time()
    return QUIET_BEFORE <= local < QUIET_AFTER


def abandoned_cart_reminders(session: Session, *, tz: ZoneInfo, public_url: str, now: datetime | None = None,
                             after: timedelta = ABANDONED_AFTER) -> list[int]:
    """Queue one reminder per cart with items idle for ``after`` (never outside 10:00–21:00 shop
    time). The cart is marked with a conditional UPDATE, so two sidecars remind it once; the cart
    service clears the mark on the next change. Commits once; returns the carts reminded now.
    """
    now = now or utcnow()
    if not in_reminder_window(now, tz):
        return []
    reminded = []
    for cart in abandoned_carts(session, older_than=now - after):
        result = session.execute(
            update(Cart).where(Cart.id == cart.id, Cart.abandoned_reminder_at.is_(None))
            .values(abandoned_reminder_at=now).execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue  # another sidecar took it
        customer = session.get(Customer, cart.customer_id)
        if customer is None:
            continue
        enqueue_to_customer(
            session, customer=customer, kind="abandoned_cart", text=t("bot.abandoned_cart", customer.language),
            buttons=[[{"text": t("bot.abandoned_cart.open", customer.language), "web_app": f"{public_url}/cart"}]],
            dedupe_key=f"cart_reminder:{cart.id}:{cart.updated_at.isoformat()}",
        )
        reminded.append(cart.id)
    session.commit()
    return reminded
