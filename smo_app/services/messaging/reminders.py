"""Scheduled customer/staff messages: abandoned-cart reminders and the staff daily summary.

Both are idempotent: running them twice (or in two sidecars at once) queues each message once —
a conditional UPDATE marks the cart (``abandoned_reminder_at IS NULL``) and the outbox dedupe key
refuses a second row.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, func, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.carts import Cart
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Role
from smo_app.money import format_money
from smo_app.services.sales.carts import abandoned_carts
from smo_app.services.messaging.outbox import enqueue_staff_alert, enqueue_to_customer

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


def daily_summary(session: Session, *, day: date, tz: ZoneInfo, lang: str = "ru") -> int:
    """Queue the staff summary of ``day`` (shop-local) to owners and admins, once per day, each in
    their own language (``lang``, the shop's, is kept for callers). Commits."""
    start = datetime.combine(day, time.min, tz)
    end = start + timedelta(days=1)
    new_customers = session.exec(
        select(func.count()).where(Customer.first_seen_at >= start, Customer.first_seen_at < end)).one()
    sent = session.exec(select(func.count()).where(Outbox.sent_at >= start, Outbox.sent_at < end)).one()
    dead = session.exec(select(func.count()).where(Outbox.status == OutboxStatus.dead)).one()
    waiting = session.exec(select(func.count()).where(
        Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]))).one()
    orders, revenue = _orders_of_day(session, start, end)
    def text(member_lang: str) -> str:
        return (t("bot.daily_summary", member_lang, day=day.isoformat(), new_customers=new_customers, sent=sent,
                  dead=dead, waiting=waiting) + "\n"
                + t("bot.daily_summary.orders", member_lang, count=orders,
                    revenue=format_money(revenue, lang=member_lang)))

    rows = enqueue_staff_alert(session, kind="daily_summary", text=text, roles=(Role.owner, Role.admin),
                               dedupe_key=f"summary:{day.isoformat()}")
    session.commit()
    return len(rows)


def _orders_of_day(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """Orders placed in [start, end) and their total, cancelled ones left out of the total."""
    in_day = (Order.created_at >= start, Order.created_at < end)
    count = session.exec(select(func.count()).select_from(Order).where(*in_day)).one()
    revenue = session.exec(select(func.coalesce(func.sum(Order.total_minor), 0))
                           .where(*in_day, Order.status != OrderStatus.cancelled)).one()
    return int(count), int(revenue)
