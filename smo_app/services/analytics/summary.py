"""AN1: the express summary — revenue today / this week / this month (orders + manual entries),
orders today, active orders, average check and new customers, each against the previous period.

"Previous period" is the same span one step back: yesterday; last week Monday up to the same
weekday; last month from the 1st up to the same day (clamped to that month's length).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderStatus
from smo_app.services.analytics.periods import Period, local_today, revenue_total, shop_tz
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.sales.order_states import ACTIVE_STATUSES


@dataclass(frozen=True)
class Metric:
    key: str  # i18n suffix: ui.analytics.metric.<key>
    value: int
    previous: int | None  # None: a snapshot with nothing to compare against
    money: bool

    @property
    def change_pct(self) -> float | None:
        """Change against the previous period in percent; None when there is nothing to compare."""
        if self.previous is None or self.previous == 0:
            return None
        return round((self.value - self.previous) * 100 / abs(self.previous), 1)


@dataclass(frozen=True)
class Summary:
    today: date
    metrics: list[Metric]

    def get(self, key: str) -> Metric:
        return next(m for m in self.metrics if m.key == key)


def previous_month_span(today: date) -> Period:
    first = today.replace(day=1)
    prev_last = first - timedelta(days=1)
    prev_first = prev_last.replace(day=1)
    return Period(prev_first, min(prev_first.replace(day=min(today.day, prev_last.day)), prev_last))


def express_summary(session: Session, *, actor: Actor, now: datetime | None = None,
                    tz: ZoneInfo | None = None) -> Summary:
    require(actor, Perm.analytics_view)
    tz = tz or shop_tz(session)
    today = local_today(tz, now)
    day = Period(today, today)
    week = Period(today - timedelta(days=today.weekday()), today)
    month = Period(today.replace(day=1), today)
    spans = {"today": (day, day.shifted(-1)), "week": (week, week.shifted(-7)),
             "month": (month, previous_month_span(today))}
    totals = {k: (revenue_total(session, tz, cur), revenue_total(session, tz, prev)) for k, (cur, prev) in spans.items()}
    metrics = [Metric(f"revenue_{k}", cur.revenue_minor, prev.revenue_minor, True) for k, (cur, prev) in totals.items()]
    metrics.append(Metric("orders_today", _orders_placed(session, tz, day), _orders_placed(session, tz, day.shifted(-1)),
                          False))
    active = session.exec(select(func.count()).select_from(Order)
                          .where(Order.status.in_([s.value for s in ACTIVE_STATUSES]))).one()
    metrics.append(Metric("active_orders", int(active), None, False))
    cur, prev = totals["month"]
    metrics.append(Metric("average_check", cur.average_check_minor, prev.average_check_minor, True))
    metrics.append(Metric("new_customers", new_customers(session, tz, month),
                          new_customers(session, tz, spans["month"][1]), False))
    session.rollback()
    return Summary(today, metrics)


def _orders_placed(session: Session, tz: ZoneInfo, period: Period) -> int:
    """Orders placed in the period, whatever their state except cancelled."""
    start, end = period.bounds(tz)
    return int(session.exec(select(func.count()).select_from(Order).where(
        Order.created_at >= start, Order.created_at < end, Order.status != OrderStatus.cancelled.value)).one())


def new_customers(session: Session, tz: ZoneInfo, period: Period) -> int:
    start, end = period.bounds(tz)
    return int(session.exec(select(func.count()).select_from(Customer).where(
        Customer.first_seen_at >= start, Customer.first_seen_at < end)).one())

