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
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Role
from smo_app.services.outbox import enqueue_staff_alert, enqueue_to_customer

ABANDONED_AFTER = timedelta(hours=24)
QUIET_BEFORE = time(10, 0)  # reminders only between 10:00 and 21:00 shop time
QUIET_AFTER = time(21, 0)


def in_reminder_window(now: datetime, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz).time()
    return QUIET_BEFORE <= local < QUIET_AFTER


def _cart_model():
    try:
        from smo_app.models.carts import Cart  # commerce branch
    except ImportError:
        try:
            from smo_app.models.cart import Cart  # noqa: F401
        except ImportError:
            return None
    return Cart


def abandoned_cart_reminders(session: Session, *, tz: ZoneInfo, public_url: str, now: datetime | None = None,
                             after: timedelta = ABANDONED_AFTER, limit: int = 500) -> list[int]:
    """Queue one reminder per cart idle for ``after`` (never outside 10:00–21:00). Commits once.

    Returns the ids of the carts reminded now.
    """
    now = now or utcnow()
    Cart = _cart_model()
    if Cart is None or not in_reminder_window(now, tz):
        return []
    query = select(Cart).where(Cart.updated_at <= now - after, Cart.abandoned_reminder_at.is_(None),
                               Cart.customer_id.is_not(None))
    if hasattr(Cart, "items"):
        pass
    reminded = []
    for cart in session.exec(query.order_by(Cart.id).limit(limit)).all():
        if not _has_items(session, cart):
            continue
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


def _has_items(session: Session, cart) -> bool:
    """True unless the commerce model tells us the cart is empty."""
    try:
        from smo_app.models.carts import CartItem  # commerce branch
    except ImportError:
        return True
    if not hasattr(CartItem, "cart_id"):
        return True
    return session.exec(select(func.count()).where(CartItem.cart_id == cart.id)).one() > 0


def daily_summary(session: Session, *, day: date, tz: ZoneInfo) -> int:
    """Queue the staff summary of ``day`` (shop-local) to owners and admins, once per day. Commits."""
    start = datetime.combine(day, time.min, tz)
    end = start + timedelta(days=1)
    new_customers = session.exec(
        select(func.count()).where(Customer.first_seen_at >= start, Customer.first_seen_at < end)).one()
    sent = session.exec(select(func.count()).where(Outbox.sent_at >= start, Outbox.sent_at < end)).one()
    dead = session.exec(select(func.count()).where(Outbox.status == OutboxStatus.dead)).one()
    waiting = session.exec(select(func.count()).where(
        Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]))).one()
    text = t("bot.daily_summary", "ru", day=day.isoformat(), new_customers=new_customers, sent=sent, dead=dead,
             waiting=waiting)
    extra = _orders_summary(session, start, end)
    if extra:
        text += "\n" + extra
    rows = enqueue_staff_alert(session, kind="daily_summary", text=text, roles=(Role.owner, Role.admin),
                               dedupe_key=f"summary:{day.isoformat()}")
    session.commit()
    return len(rows)


def _orders_summary(session: Session, start: datetime, end: datetime) -> str | None:
    try:
        from smo_app.models.orders import Order  # commerce branch
    except ImportError:
        return None
    count = session.exec(select(func.count()).where(Order.created_at >= start, Order.created_at < end)).one()
    return f"Заказов: {count}"
