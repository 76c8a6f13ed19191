"""AN2: revenue by shop-local day for any period, split by channel (Mini App, POS, B2B, manual).

A return counts on the shop day of its refund, negative, in the channel of the returned order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smo_app.services.analytics import rollup
from smo_app.services.analytics.periods import (CHANNELS, MANUAL_CHANNEL, RETURNS_KIND, average_check, make_period,
                                                roomy_read, shop_tz)
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require


@dataclass
class DayRevenue:
    day: date
    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    orders: int = 0
    returns_minor: int = 0  # refunded this day, ≤ 0; already inside ``by_channel``

    @property
    def revenue_minor(self) -> int:
        return sum(self.by_channel.values())

    @property
    def average_check_minor(self) -> int:
        """The day's sold orders' revenue per order: orders only (no manual entries, no returns)."""
        return average_check(self.revenue_minor - self.by_channel[MANUAL_CHANNEL] - self.returns_minor, self.orders)


@dataclass
class RevenueSeries:
    date_from: date
    date_to: date
    days: list[DayRevenue]

    @property
    def revenue_minor(self) -> int:
        return sum(d.revenue_minor for d in self.days)

    @property
    def orders(self) -> int:
        return sum(d.orders for d in self.days)

    def channel_total(self, channel: str) -> int:
        return sum(d.by_channel[channel] for d in self.days)


def daily_revenue(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None,
                  tz: ZoneInfo | None = None) -> RevenueSeries:
    """Every day of the period (days without sales as zeros), revenue by channel and sold orders."""
    require(actor, Perm.analytics_view)
    roomy_read(session)
    period = make_period(date_from, date_to)
    tz = tz or shop_tz(session)
    rollup.ensure_fresh(session, tz)
    days = {d: DayRevenue(d) for d in period.days}
    for row in rollup.revenue_rows(session, tz, period, by_day=True):
        target = days.get(row.day)
        if target is None:  # cannot happen: sources filter by the period
            continue
        target.by_channel[row.channel] = target.by_channel.get(row.channel, 0) + row.revenue_minor
        target.orders += row.orders
        if row.kind == RETURNS_KIND:
            target.returns_minor += row.revenue_minor
    session.rollback()
    return RevenueSeries(period.date_from, period.date_to, list(days.values()))

