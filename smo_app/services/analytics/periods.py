"""Shop-time periods and the revenue sources every analytics figure is built from.

A "day" is a calendar day in the shop's time zone (the owner's setting, else ``SMO_SHOP_TIMEZONE``).
Timestamps are stored in UTC; grouping by the shop-local day happens in SQL: PostgreSQL converts with its own time zone
database (``timezone(tz, created_at)``); on SQLite the period is split into spans of constant UTC
offset (computed from zoneinfo for that very period, so DST zones work too) and each span shifts by
its offset (``date(created_at, '+10800 seconds')``).

Revenue comes from *sources*, each an aggregate query returning ``(day, channel, revenue, orders)``
rows: sold orders (every channel: Mini App, POS, B2B), manual entries, and returns — POS returns
and payment refunds, negative amounts on the shop day of the refund, in the channel of the order.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, func, select

from smo_app.models.analytics import ManualRevenue
from smo_app.models.base import UTCDateTime
from smo_app.models.bookings import Booking, BookingState
from smo_app.models.orders import Order, OrderChannel, OrderLine, OrderStatus
from smo_app.models.payments import Refund, RefundStatus
from smo_app.models.pos import PosReturn, PosReturnLine, PosSale
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core import shop_locale

# Orders that are sales: paid and beyond. ``new`` (unpaid, may auto-cancel) and ``cancelled`` are not.
SOLD_STATUSES: tuple[str, ...] = tuple(s.value for s in (OrderStatus.paid, OrderStatus.processing, OrderStatus.shipped,
                                                         OrderStatus.delivered, OrderStatus.completed))
MANUAL_CHANNEL = "manual"
BOOKINGS_CHANNEL = "bookings"  # services sold as time: completed bookings at their final price
CHANNELS: tuple[str, ...] = (OrderChannel.storefront.value, OrderChannel.pos.value, OrderChannel.b2b.value, BOOKINGS_CHANNEL,
                             MANUAL_CHANNEL)
MAX_PERIOD_DAYS = 3 * 366

# What an order brings in: what the customer paid, plus what a gift certificate paid for
# (a certificate is a means of payment, not a discount).
ORDER_REVENUE = Order.total_minor + Order.certificate_minor


@dataclass(frozen=True)
class Period:
    """Shop-local days ``date_from`` … ``date_to``, both included."""

    date_from: date
    date_to: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants [start, end) of the period."""
        return (datetime.combine(self.date_from, time.min, tz),
                datetime.combine(self.date_to + timedelta(days=1), time.min, tz))

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=i) for i in range((self.date_to - self.date_from).days + 1)]

    @property
    def length(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def shifted(self, days: int) -> "Period":
        return Period(self.date_from + timedelta(days=days), self.date_to + timedelta(days=days))


def make_period(date_from: date | None, date_to: date | None) -> Period:
    """Validate a period a person asked for (both days given, in order, at most three years)."""
    if date_from is None or date_to is None:
        raise ValidationFailed("analytics.period_required", "both days are needed")
    if date_from > date_to:
        raise ValidationFailed("analytics.period_reversed", f"{date_from} after {date_to}")
    if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed("analytics.period_too_long", "period too long", days=MAX_PERIOD_DAYS)
    return Period(date_from, date_to)


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return Period(first, nxt - timedelta(days=1))


def shop_tz(session) -> ZoneInfo:
    """The shop's time zone (the owner's setting, else SMO_SHOP_TIMEZONE; see core.shop_locale)."""
    return shop_locale.shop_tz(session)


def local_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(tz)).astimezone(tz).date()


# --------------------------------------------------------------------------- shop-local day in SQL

def offset_spans(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """``[(until_utc, offset_seconds), …]`` covering [start, end); the last span has ``until=None``."""
    def offset(moment: datetime) -> int:
        return int(moment.astimezone(tz).utcoffset().total_seconds())

    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)  # arithmetic in UTC, not wall time
    spans: list[tuple[datetime | None, int]] = []
    current, cursor = offset(start), start
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if offset(step) != current:
            lo, hi = cursor, step  # offset(lo) == current != offset(hi): find the change to the second
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == current else (lo, mid)
            spans.append((hi, current))
            current = offset(hi)
        cursor = step
    spans.append((None, current))
    return spans


def local_day(session: Session, column, tz: ZoneInfo, start: datetime, end: datetime):
    """A SQL expression: the shop-local calendar day of the UTC timestamp ``column``."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(func.timezone(tz.key, column), sa.Date)
    spans = offset_spans(tz, start, end)

    def shifted(seconds: int):
        return func.date(column, f"{seconds:+d} seconds")

    if len(spans) == 1:
        return shifted(spans[0][1])
    whens = [(column < sa.literal(until, UTCDateTime()), shifted(off)) for until, off in spans[:-1]]
    return sa.case(*whens, else_=shifted(spans[-1][1]))


def roomy_read(session: Session) -> None:
    """On PostgreSQL, room for this read-only transaction to aggregate a year of rows in memory:
    hash tables up to 64 MB instead of the server's default 4 MB (with which a year's lines joined
    to their orders spill to disk), and no JIT compilation (on these scans it costs more than it
    saves, once per query). ``SET LOCAL`` lasts until the transaction ends (the services roll back)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        session.execute(sa.text("SET LOCAL jit = off"))


def as_date(value) -> date:
    """A day read back from SQL (a date on PostgreSQL, ``'YYYY-MM-DD'`` text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --------------------------------------------------------------------------- revenue sources

ORDERS_KIND, MANUAL_KIND, RETURNS_KIND, BOOKINGS_KIND = "orders", "manual", "returns", "bookings"


@dataclass(frozen=True)
class RevenueRow:
    day: date | None  # None when not grouped by day
    channel: str
    revenue_minor: int
    orders: int
    kind: str = ORDERS_KIND  # which source: orders | manual | returns (returns are negative)


RevenueSource = Callable[[Session, ZoneInfo, Period, bool], list[RevenueRow]]


def sold_orders_in(start: datetime, end: datetime) -> tuple:
    """The WHERE clause of "orders sold in [start, end)" (placed in the period, not new/cancelled)."""
    return (Order.created_at >= start, Order.created_at < end, Order.status.in_(SOLD_STATUSES))


def order_revenue(session: Session, tz: ZoneInfo, period: Period, by_day: bool) -> list[RevenueRow]:
    start, end = period.bounds(tz)
    cols = [Order.channel, func.coalesce(func.sum(ORDER_REVENUE), 0), func.count()]
    if by_day:
        day = local_day(session, Order.created_at, tz, start, end).label("day")
        query = select(day, *cols).where(*sold_orders_in(start, end)).group_by(day, Order.channel)
        return [RevenueRow(as_date(d), ch, int(rev), int(n)) for d, ch, rev, n in session.exec(query).all()]
    query = select(*cols).where(*sold_orders_in(start, end)).group_by(Order.channel)
    return [RevenueRow(None, ch, int(rev), int(n)) for ch, rev, n in session.exec(query).all()]


def manual_revenue(session: Session, tz: ZoneInfo, period: Period, by_day: bool) -> list[RevenueRow]:
    in_period = (ManualRevenue.day >= period.date_from, ManualRevenue.day <= period.date_to)
    total = func.coalesce(func.sum(ManualRevenue.amount_minor), 0)
    if by_day:
        rows = session.exec(select(ManualRevenue.day, total).where(*in_period).group_by(ManualRevenue.day)).all()
        return [RevenueRow(as_date(d), MANUAL_CHANNEL, int(rev), 0, MANUAL_KIND) for d, rev in rows]
    rev = session.exec(select(total).where(*in_period)).one()
    return [RevenueRow(None, MANUAL_CHANNEL, int(rev), 0, MANUAL_KIND)] if rev else []


def booking_revenue(session: Session, tz: ZoneInfo, period: Period, by_day: bool) -> list[RevenueRow]:
    """Completed bookings at their final price, on the shop day they were completed (not orders:
    the average check leaves them out)."""
    start, end = period.bounds(tz)
    where = (Booking.state == BookingState.completed.value, Booking.completed_at >= start, Booking.completed_at < end)
    total = func.coalesce(func.sum(Booking.final_price_minor), 0)
    if by_day:
        day = local_day(session, Booking.completed_at, tz, start, end).label("day")
        rows = session.exec(select(day, total).where(*where).group_by(day)).all()
        return [RevenueRow(as_date(d), BOOKINGS_CHANNEL, int(rev), 0, BOOKINGS_KIND) for d, rev in rows]
    rev = session.exec(select(total).where(*where)).one()
    return [RevenueRow(None, BOOKINGS_CHANNEL, int(rev), 0, BOOKINGS_KIND)] if rev else []


# What a return takes back from revenue: the money refunded (cash, card, or counted towards an
# exchange's new sale) — the returned goods at their sale price minus the bonuses given back.
RETURN_REFUND = PosReturn.cash_minor + PosReturn.card_minor + PosReturn.credit_minor


def returns_in(start: datetime, end: datetime) -> tuple:
    """The WHERE clause of "returns refunded in [start, end)" of sold orders (joined through
    ``pos_sale`` to ``order``); the original order may have been placed in an earlier period."""
    return (PosReturn.created_at >= start, PosReturn.created_at < end, Order.status.in_(SOLD_STATUSES))


def _money_back(session: Session, tz: ZoneInfo, period: Period, by_day: bool, *, source, when, amount,
                where) -> list[RevenueRow]:
    """Money that went back (``amount`` summed over ``source`` joined to its order, filtered by
    ``where(start, end)``) as negative revenue on the shop day of ``when``, in the order's channel."""
    start, end = period.bounds(tz)
    back = func.coalesce(func.sum(amount), 0)

    def query(*cols):
        return source(select(*cols, Order.channel, back)).where(*where(start, end))

    if by_day:
        day = local_day(session, when, tz, start, end).label("day")
        rows = session.exec(query(day).group_by(day, Order.channel)).all()
        return [RevenueRow(as_date(d), ch, -int(rev), 0, RETURNS_KIND) for d, ch, rev in rows]
    rows = session.exec(query().group_by(Order.channel)).all()
    return [RevenueRow(None, ch, -int(rev), 0, RETURNS_KIND) for ch, rev in rows]


def return_revenue(session: Session, tz: ZoneInfo, period: Period, by_day: bool) -> list[RevenueRow]:
    """Returns as negative revenue on the shop day of the refund, in the original order's channel."""
    return _money_back(session, tz, period, by_day, when=PosReturn.created_at, amount=RETURN_REFUND, where=returns_in,
                       source=lambda q: q.select_from(PosReturn).join(PosSale, PosSale.id == PosReturn.sale_id)
                       .join(Order, Order.id == PosSale.order_id))


def refunds_in(start: datetime, end: datetime) -> tuple:
    """The WHERE clause of "payment refunds confirmed in [start, end)" of sold orders (joined to
    ``order``): the money that went back, in the order's money (``order_minor``); a refund of a
    payment never credited to its order has none. A fully refunded open order is cancelled, so
    neither its sale nor its refund counts."""
    return (Refund.status == RefundStatus.succeeded.value, Refund.done_at >= start, Refund.done_at < end,
            Refund.order_minor > 0, Order.status.in_(SOLD_STATUSES))


def refund_revenue(session: Session, tz: ZoneInfo, period: Period, by_day: bool) -> list[RevenueRow]:
    """Payment refunds as negative revenue on the shop day they were confirmed, in the order's channel."""
    return _money_back(session, tz, period, by_day, when=Refund.done_at, amount=Refund.order_minor, where=refunds_in,
                       source=lambda q: q.select_from(Refund).join(Order, Order.id == Refund.order_id))


def within(where: Callable[[datetime, datetime], tuple], spans: list[tuple[datetime, datetime]]):
    """``where(start, end)`` over any of ``spans`` (one condition)."""
    return sa.or_(*[sa.and_(*where(start, end)) for start, end in spans])


def product_parts(spans: list[tuple[datetime, datetime]], *, day: Callable | None = None) -> list:
    """ABC's revenue per product, as three selects of ``(pid, qty, revenue)`` to add up: the lines of
    the sold orders placed in ``spans``, minus the lines returned in them, minus — for a payment
    refund confirmed in them — the refunded share of the order's total taken off each of its lines
    (a third of the order refunded takes a third off each of its products). With ``day`` (a
    column → shop-day expression), each is also grouped by the shop day (``day`` first)."""
    def grouped(query, moment, pid, *cols):
        if day is None:
            return query(select(pid.label("pid"), *cols)).group_by(pid)
        d = day(moment).label("day")
        return query(select(d, pid.label("pid"), *cols)).group_by(d, pid)

    sold = grouped(lambda q: q.join(Order, Order.id == OrderLine.order_id).where(within(sold_orders_in, spans)),
                   Order.created_at, OrderLine.product_id, func.sum(OrderLine.qty).label("qty"),
                   func.sum(OrderLine.total_minor).label("revenue"))
    returned = grouped(lambda q: q.select_from(PosReturnLine).join(PosReturn, PosReturn.id == PosReturnLine.return_id)
                       .join(OrderLine, OrderLine.id == PosReturnLine.order_line_id)
                       .join(Order, Order.id == OrderLine.order_id).where(within(returns_in, spans)),
                       PosReturn.created_at, OrderLine.product_id, -func.sum(PosReturnLine.qty),
                       -func.sum(PosReturnLine.amount_minor))
    refunded = grouped(lambda q: q.select_from(Refund).join(Order, Order.id == Refund.order_id)
                       .join(OrderLine, OrderLine.order_id == Order.id)
                       .where(within(refunds_in, spans), Order.total_minor > 0),
                       Refund.done_at, OrderLine.product_id, sa.literal(0),
                       -func.sum(sa.cast(OrderLine.total_minor, sa.BigInteger) * Refund.order_minor // Order.total_minor))
    return [sold, returned, refunded]


# Every figure that says "revenue" sums these.
REVENUE_SOURCES: tuple[RevenueSource, ...] = (order_revenue, manual_revenue, booking_revenue, return_revenue, refund_revenue)


def revenue_rows(session: Session, tz: ZoneInfo, period: Period, *, by_day: bool) -> list[RevenueRow]:
    rows: list[RevenueRow] = []
    for source in REVENUE_SOURCES:
        rows.extend(source(session, tz, period, by_day))
    return rows


def average_check(orders_revenue_minor: int, orders: int) -> int:
    """Revenue of the sold orders per order, rounded half up; 0 without orders."""
    return (2 * orders_revenue_minor + orders) // (2 * orders) if orders else 0


@dataclass(frozen=True)
class RevenueTotal:
    revenue_minor: int  # orders + manual entries − returns
    orders_revenue_minor: int  # sold orders only
    orders: int
    returns_minor: int = 0  # POS returns and payment refunds in the period, ≤ 0 (already in revenue_minor)

    @property
    def average_check_minor(self) -> int:
        """Orders revenue per sold order, rounded half up. Orders only: manual entries are not
        orders, and a return (of this period's order or an earlier one) does not change the check."""
        return average_check(self.orders_revenue_minor, self.orders)


def revenue_total(session: Session, tz: ZoneInfo, period: Period) -> RevenueTotal:
    rows = revenue_rows(session, tz, period, by_day=False)
    return RevenueTotal(
        revenue_minor=sum(r.revenue_minor for r in rows),
        orders_revenue_minor=sum(r.revenue_minor for r in rows if r.kind == ORDERS_KIND),
        orders=sum(r.orders for r in rows),
        returns_minor=sum(r.revenue_minor for r in rows if r.kind == RETURNS_KIND),
    )
