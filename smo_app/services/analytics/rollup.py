"""The daily rollup: on PostgreSQL, the P&L, revenue by day and ABC read closed shop days from
per-day sums instead of scanning every order line of a year; on SQLite they read the raw tables.

* Tables (``models/analytics.py``): ``analytics_day_channel`` (per day × channel: the sold orders'
  sums, the POS returns and payment refunds of the day) and ``analytics_day_product`` (per day ×
  product: what ABC ranks), written only by :func:`refresh`, built with the very expressions the
  raw queries use (``periods``), so the figures are the same either way.
* The watermark (``analytics_rollup_state``): the days up to ``closed_day`` (in the shop's time
  zone) are held. Days after it — today, usually — are read from the raw tables.
* Dirty days: the write triggers on orders, their lines, POS returns and payment refunds (the
  migration ``24q``) compare the moment a write touches with the watermark; only a closed day gets
  a mark (``analytics_dirty_day``), and a marked day is read from the raw tables until the refresh
  recomputes it. A write to today costs a comparison (and a shared advisory lock: see below).
* :func:`refresh` closes the days up to yesterday and recomputes the marked ones. The scheduler
  runs it every few minutes (``bot_sidecar.scheduler``); the three reports call
  :func:`ensure_fresh` first, which costs one query when nothing is due.

Why the lock: a writer that read the old watermark may commit after the refresh computed the day it
wrote to (a late order at 23:59:59 committing after midnight). Writers hold ``WRITERS_LOCK`` shared
until they commit; moving the watermark takes it exclusively, so every such writer has committed
before the closed days are computed, and every later writer sees the new watermark.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, func, select

from smo_app.models.analytics import (AnalyticsDayChannel, AnalyticsDayProduct, AnalyticsDirtyDay,
                                      AnalyticsRollupState)
from smo_app.models.base import utcnow
from smo_app.models.orders import Order, OrderLine
from smo_app.models.payments import Refund
from smo_app.models.pos import PosReturn, PosReturnLine, PosSale
from smo_app.services.analytics.periods import (ORDER_REVENUE, ORDERS_KIND, RETURN_REFUND, RETURNS_KIND,
                                                REVENUE_SOURCES, Period, RevenueRow, as_date, local_day, local_today,
                                                order_revenue, product_parts, refund_revenue, refunds_in,
                                                return_revenue, returns_in, revenue_rows as raw_revenue_rows,
                                                shop_tz, sold_orders_in)

log = logging.getLogger(__name__)

WRITERS_LOCK = 2424_0001  # the triggers' shared advisory lock (frozen in the migration 24q)
REFRESH_LOCK = 2424_0002  # one refresh at a time recomputes days
BATCH_DAYS = 31  # days recomputed per transaction
READ_BUDGET_DAYS = 7  # what a report may recompute before it reads (yesterday, a few edits); the job: the rest
LOCK_TIMEOUT = "5s"  # moving the watermark waits this long for the writers in flight, else tries later

DC = AnalyticsDayChannel.__table__
DP = AnalyticsDayProduct.__table__
SUMS = ("orders", "goods_minor", "discount_product_minor", "discount_personal_minor", "discount_promo_minor",
        "bonus_minor", "certificate_minor", "delivery_minor", "revenue_minor", "cost_minor", "shop_delivery_minor",
        "returns", "returns_minor", "returns_cogs_minor", "refunds", "refunds_minor")
# the revenue sources the rollup holds; the others (manual entries, bookings) are always read raw
ROLLED_SOURCES = (order_revenue, return_revenue, refund_revenue)
RAW_SOURCES = tuple(s for s in REVENUE_SOURCES if s not in ROLLED_SOURCES)


def enabled(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(timezone.utc)


def runs(days) -> list[Period]:
    """Sorted days as runs of consecutive days."""
    out: list[Period] = []
    for d in sorted(days):
        if out and out[-1].date_to + timedelta(days=1) == d:
            out[-1] = Period(out[-1].date_from, d)
        else:
            out.append(Period(d, d))
    return out


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Split:
    """A period split into the days read from the rollup (``rolled``: first and last day, less the
    ``dirty`` ones) and the runs of days read from the raw tables (``raw``)."""

    rolled: tuple[date, date]
    dirty: frozenset[date]
    raw: tuple[Period, ...]

    def days(self, column) -> tuple:
        """The WHERE clause of "rolled days" over a rollup table's ``day`` column."""
        first, last = self.rolled
        where = (column >= first, column <= last)
        return where + ((column.not_in(sorted(self.dirty)),) if self.dirty else ())


def split(session: Session, tz: ZoneInfo, period: Period) -> Split | None:
    """How to read ``period`` in ``tz``; ``None``: all of it from the raw tables (SQLite, no closed
    day in it yet, or a rollup kept in another time zone)."""
    if not enabled(session):
        return None
    state = session.exec(select(AnalyticsRollupState.timezone, AnalyticsRollupState.closed_day)
                         .where(AnalyticsRollupState.id == 1)).first()
    if state is None or state.closed_day is None or state.timezone != tz.key:
        return None
    last = min(period.date_to, state.closed_day)
    if last < period.date_from:
        return None
    dirty = frozenset(as_date(d) for d in session.exec(
        select(AnalyticsDirtyDay.day).where(AnalyticsDirtyDay.day >= period.date_from, AnalyticsDirtyDay.day <= last)
        .distinct()).all())
    later = [d for d in period.days if d > last]
    return Split((period.date_from, last), dirty, tuple(runs(set(dirty) | set(later))))


def channel_sums(session: Session, where: Split) -> dict[str, int]:
    """:data:`SUMS` over the rolled days of ``where`` (every channel)."""
    row = session.exec(select(*[func.coalesce(func.sum(DC.c[n]), 0) for n in SUMS]).where(*where.days(DC.c.day))).one()
    return {n: int(v) for n, v in zip(SUMS, row)}


def rolled_revenue_rows(session: Session, where: Split, *, by_day: bool) -> list[RevenueRow]:
    """The rows the rolled sources (sold orders, returns, refunds) give over the rolled days."""
    cols = [func.sum(DC.c.orders), func.sum(DC.c.revenue_minor), func.sum(DC.c.returns), func.sum(DC.c.returns_minor),
            func.sum(DC.c.refunds), func.sum(DC.c.refunds_minor)]
    keys = [DC.c.day, DC.c.channel] if by_day else [DC.c.channel]
    out: list[RevenueRow] = []
    for row in session.exec(select(*keys, *cols).where(*where.days(DC.c.day)).group_by(*keys)).all():
        day = as_date(row[0]) if by_day else None
        channel, orders, revenue, returns, returns_minor, refunds, refunds_minor = row[-7:]
        if orders:
            out.append(RevenueRow(day, channel, int(revenue), int(orders), ORDERS_KIND))
        if returns:
            out.append(RevenueRow(day, channel, -int(returns_minor), 0, RETURNS_KIND))
        if refunds:
            out.append(RevenueRow(day, channel, -int(refunds_minor), 0, RETURNS_KIND))
    return out


def revenue_rows(session: Session, tz: ZoneInfo, period: Period, *, by_day: bool) -> list[RevenueRow]:
    """``periods.revenue_rows`` with the closed days read from the rollup (the same rows, summed)."""
    where = split(session, tz, period)
    if where is None:
        return raw_revenue_rows(session, tz, period, by_day=by_day)
    rows = rolled_revenue_rows(session, where, by_day=by_day)
    for run in where.raw:
        for source in ROLLED_SOURCES:
            rows.extend(source(session, tz, run, by_day))
    for source in RAW_SOURCES:
        rows.extend(source(session, tz, period, by_day))
    return rows


def product_sums(where: Split):
    """``(pid, qty, revenue)`` per product over the rolled days: a select to union with ABC's raw parts."""
    return (select(DP.c.product_id.label("pid"), func.sum(DP.c.qty).label("qty"),
                   func.sum(DP.c.revenue_minor).label("revenue"))
            .where(*where.days(DP.c.day)).group_by(DP.c.product_id))


def ensure_fresh(session: Session, tz: ZoneInfo, *, now: datetime | None = None) -> None:
    """Before a report reads: close the days up to yesterday and recompute the marked ones, when
    there are any (one query when not), in a transaction of its own beside ``session``'s. The report
    is exact either way — this only keeps it fast; a refresh that cannot run now is left to the job."""
    if not enabled(session) or tz.key != shop_tz(session).key:
        return
    state = session.exec(select(AnalyticsRollupState.timezone, AnalyticsRollupState.closed_day,
                                sa.exists().where(AnalyticsDirtyDay.id.isnot(None)))
                         .where(AnalyticsRollupState.id == 1)).first()
    yesterday = local_today(tz, now) - timedelta(days=1)
    if (state is not None and state.timezone == tz.key and state.closed_day is not None
            and state.closed_day >= yesterday and not state[2]):
        return
    bind = session.get_bind()
    try:  # a connection of the report's engine, writing (the screens read on a read-only engine)
        with getattr(bind, "engine", bind).connect() as conn, \
                Session(bind=conn.execution_options(postgresql_readonly=False)) as own:
            refresh(own, tz=tz, now=now, max_days=READ_BUDGET_DAYS)
    except sa.exc.OperationalError as exc:  # a lock not had in time: the job comes back to it
        log.warning("analytics rollup not refreshed before a report: %s", exc)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class RefreshOut:
    closed_day: date | None
    days: int  # days recomputed
    pending: int  # dirty marks left (the budget ran out, or another refresh is at it)


def refresh(session: Session, *, tz: ZoneInfo | None = None, now: datetime | None = None,
            max_days: int | None = None) -> RefreshOut | None:
    """Close the shop days up to yesterday and recompute the dirty ones (at most ``max_days``),
    ``BATCH_DAYS`` a transaction. Commits; ``None`` on SQLite (no rollup there)."""
    if not enabled(session):
        return None
    tz = tz or shop_tz(session)
    session.rollback()
    closed = _close(session, tz, local_today(tz, now) - timedelta(days=1))
    done = 0
    while max_days is None or done < max_days:
        if not session.exec(select(func.pg_try_advisory_xact_lock(REFRESH_LOCK))).one():
            break  # another refresh is recomputing: it takes these marks too
        limit = BATCH_DAYS if max_days is None else min(BATCH_DAYS, max_days - done)
        days = [as_date(d) for d in session.exec(select(AnalyticsDirtyDay.day).distinct()
                                                 .order_by(AnalyticsDirtyDay.day).limit(limit)).all()]
        if not days:
            break
        # the marks first, the rows after (each statement sees what committed before it): a mark
        # made after this read stays for the next refresh
        marks = session.exec(select(AnalyticsDirtyDay.id).where(AnalyticsDirtyDay.day.in_(days))).all()
        _recompute(session, tz, days)
        session.execute(sa.delete(AnalyticsDirtyDay).where(AnalyticsDirtyDay.id.in_(marks)))
        session.execute(sa.update(AnalyticsRollupState).where(AnalyticsRollupState.id == 1).values(refreshed_at=utcnow()))
        session.commit()
        done += len(days)
    session.rollback()
    pending = session.exec(select(func.count()).select_from(AnalyticsDirtyDay)).one()
    session.rollback()
    return RefreshOut(closed, done, int(pending))


def _close(session: Session, tz: ZoneInfo, yesterday: date) -> date | None:
    """Move the watermark to ``yesterday`` (marking the newly closed days dirty: the recompute
    builds them); a rollup kept in another time zone is dropped and built again. Commits."""
    def state():
        return session.exec(select(AnalyticsRollupState).where(AnalyticsRollupState.id == 1)
                            .execution_options(populate_existing=True)).first()

    current = state()
    if current is not None and current.timezone == tz.key and current.closed_day is not None \
            and current.closed_day >= yesterday:
        session.rollback()
        return current.closed_day
    session.exec(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    session.exec(select(func.pg_advisory_xact_lock(WRITERS_LOCK)))  # the writers in flight commit first
    current = state()
    if current is None or current.timezone != tz.key or current.closed_day is None:
        for table in (DC, DP, AnalyticsDirtyDay.__table__):
            session.execute(sa.delete(table))
        first = _first_day(session, tz)
        current = current or AnalyticsRollupState(id=1, timezone=tz.key)
        current.timezone, current.closed_day = tz.key, None
    else:
        first = current.closed_day + timedelta(days=1)
    if current.closed_day is not None and current.closed_day >= yesterday:
        session.rollback()
        return current.closed_day
    if first is not None and first <= yesterday:
        series = func.generate_series(first, yesterday, sa.text("interval '1 day'"))
        session.execute(sa.insert(AnalyticsDirtyDay).from_select(["day"], select(sa.cast(series, sa.Date))))
    current.closed_day, current.closed_until = yesterday, day_start(yesterday + timedelta(days=1), tz)
    session.add(current)
    session.commit()
    return yesterday


def _first_day(session: Session, tz: ZoneInfo) -> date | None:
    """The shop day of the earliest order (returns and refunds come after their orders)."""
    first = session.exec(select(func.min(Order.created_at))).one()
    return first.astimezone(tz).date() if first is not None else None


def _recompute(session: Session, tz: ZoneInfo, days: list[date]) -> None:
    session.execute(sa.delete(DC).where(DC.c.day.in_(days)))
    session.execute(sa.delete(DP).where(DP.c.day.in_(days)))
    for run in runs(days):
        start, end = run.bounds(tz)
        session.execute(sa.insert(DC).from_select(["day", "channel", *SUMS], _channel_select(session, tz, start, end)))
        session.execute(sa.insert(DP).from_select(["day", "product_id", "qty", "revenue_minor"],
                                                  _product_select(session, tz, start, end)))


def _channel_select(session: Session, tz: ZoneInfo, start: datetime, end: datetime):
    """Per day × channel over [start, end): the sums of ``pnl.compute_summary`` and the revenue
    sources, with their expressions and filters."""
    def day(column):
        return local_day(session, column, tz, start, end).label("day")

    def row(day_col, channel, **sums):
        return [day_col, channel.label("channel"),
                *[sums.get(n, sa.cast(sa.literal(0), sa.BigInteger)).label(n) for n in SUMS]]

    def total(col):
        return func.coalesce(func.sum(col), 0)

    o_day, r_day, c_day, f_day = day(Order.created_at), day(PosReturn.created_at), day(PosReturn.created_at), \
        day(Refund.done_at)
    orders = (select(*row(o_day, Order.channel, orders=func.count(), goods_minor=total(Order.goods_minor),
                          discount_product_minor=total(Order.discount_product_minor),
                          discount_personal_minor=total(Order.discount_personal_minor),
                          discount_promo_minor=total(Order.discount_promo_minor), bonus_minor=total(Order.bonus_minor),
                          certificate_minor=total(Order.certificate_minor), delivery_minor=total(Order.delivery_minor),
                          revenue_minor=total(ORDER_REVENUE), cost_minor=total(Order.cost_minor),
                          shop_delivery_minor=total(Order.shop_delivery_minor)))
              .where(*sold_orders_in(start, end)).group_by(o_day, Order.channel))
    returned = (select(*row(r_day, Order.channel, returns=func.count(), returns_minor=total(RETURN_REFUND)))
                .select_from(PosReturn).join(PosSale, PosSale.id == PosReturn.sale_id)
                .join(Order, Order.id == PosSale.order_id).where(*returns_in(start, end)).group_by(r_day, Order.channel))
    returned_cost = (select(*row(c_day, Order.channel,
                                 returns_cogs_minor=total(PosReturnLine.qty * OrderLine.unit_cost_minor)))
                     .select_from(PosReturnLine).join(PosReturn, PosReturn.id == PosReturnLine.return_id)
                     .join(OrderLine, OrderLine.id == PosReturnLine.order_line_id)
                     .join(Order, Order.id == OrderLine.order_id).where(*returns_in(start, end))
                     .group_by(c_day, Order.channel))
    refunded = (select(*row(f_day, Order.channel, refunds=func.count(), refunds_minor=total(Refund.order_minor)))
                .select_from(Refund).join(Order, Order.id == Refund.order_id).where(*refunds_in(start, end))
                .group_by(f_day, Order.channel))
    parts = sa.union_all(orders, returned, returned_cost, refunded).subquery()
    return (select(parts.c.day, parts.c.channel, *[func.sum(parts.c[n]) for n in SUMS])
            .group_by(parts.c.day, parts.c.channel))


def _product_select(session: Session, tz: ZoneInfo, start: datetime, end: datetime):
    """Per day × product over [start, end): ABC's three parts (``periods.product_parts``) by day."""
    parts = sa.union_all(*product_parts([(start, end)], day=lambda col: local_day(session, col, tz, start, end))
                         ).subquery()
    return select(parts.c.day, parts.c.pid, func.sum(parts.c.qty), func.sum(parts.c.revenue)).group_by(
        parts.c.day, parts.c.pid)
