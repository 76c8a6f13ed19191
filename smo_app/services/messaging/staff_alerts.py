"""Staff alerts in Telegram (CO6), each rendered in the staff member's own language. Helpers queue
into the outbox inside the caller's transaction (no commit); ``new_order_alerts`` is the
scheduler's catch-up that alerts each new order once, ``daily_summary`` its evening summary to
owners and admins (once per day: the outbox dedupe key refuses a second one).

Low-stock alerts are queued by the stock service; error alerts by ``error_reports``.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from smo_app import formats
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Role
from smo_app.money import format_money
from smo_app.services.messaging.outbox import enqueue_staff_alert

ORDER_ROLES = (Role.owner, Role.admin, Role.manager)
LOOKBACK = timedelta(hours=2)


def alert_new_order(session: Session, *, order_id: int, total_minor: int, customer_name: str = "") -> int:
    """Queue "new order" to owners, admins and managers once per order. No commit."""
    def text(lang: str) -> str:
        return t("bot.alert.new_order", lang, id=order_id, total=format_money(total_minor, lang=lang),
                 customer=escape(customer_name or "—"))

    return len(enqueue_staff_alert(session, kind="new_order", text=text, roles=ORDER_ROLES,
                                   dedupe_key=f"new_order:{order_id}", order_id=order_id))


def alert_payment_failed(session: Session, *, order_id: int, reason: str, attempt_key: str = "") -> int:
    """Queue "payment failed" (for the payment integration). No commit."""
    def text(lang: str) -> str:
        return t("bot.alert.payment_failed", lang, id=order_id, reason=escape(reason[:300]))

    return len(enqueue_staff_alert(session, kind="payment_failed", text=text, roles=ORDER_ROLES,
                                   dedupe_key=f"payment_failed:{order_id}:{attempt_key or reason[:40]}"))


def new_order_alerts(session: Session, *, now: datetime | None = None) -> list[int]:
    """Alert every order created in the last two hours that has not been alerted yet. Commits."""
    now = now or utcnow()
    rows = session.exec(
        select(Order.id, Order.total_minor, Customer.full_name)
        .join(Customer, Customer.id == Order.customer_id, isouter=True)
        .where(Order.created_at >= now - LOOKBACK, Order.created_at <= now)
        .order_by(Order.id)
    ).all()
    alerted = [oid for oid, total, name in rows if alert_new_order(session, order_id=oid, total_minor=total,
                                                                    customer_name=name or "")]
    session.commit()
    return alerted


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
        return (t("bot.daily_summary", member_lang, day=formats.day(day, member_lang), new_customers=new_customers,
                  sent=sent, dead=dead, waiting=waiting) + "\n"
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
