"""The daily analytics rollup (PostgreSQL): the P&L, revenue by day and ABC read the closed shop days
from per-day sums and the rest from the raw tables, and give exactly the figures the raw tables
give — after the days were closed, after edits to a closed day (a late payment, a cancellation, a
return and a refund dated on old days), before and after the refresh that recomputes them. On
SQLite the reports read the raw tables and no rollup is kept.

Shop time Europe/Moscow (UTC+3). The orders are placed on days of November 2026, all closed by
the time the tests run (the rollup closes the days up to yesterday by the real clock).
"""
import importlib.util
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from smo_app.db import readonly_engine
from smo_app.models.analytics import AnalyticsDayChannel, AnalyticsDayProduct, AnalyticsDirtyDay, AnalyticsRollupState
from smo_app.models.orders import Order
from smo_app.models.payments import Payment, Refund
from smo_app.models.staff import Role
from smo_app.services.analytics import abc, pnl, revenue, rollup
from smo_app.services.analytics.periods import SOLD_STATUSES, local_today
from smo_app.services.pos import cart, returns, sale, shifts
from smo_app.services.sales import orders
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import actor_of, make_customer, make_staff
from tests.services.test_analytics_returns import _register, utc

MSK = ZoneInfo("Europe/Moscow")
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


def _shop(session):
    """Nov 10: a POS sale (Lamp×3 + Mug×2) and a storefront Candle; returns on Nov 11 and Nov 12;
    Nov 13: a storefront Lamp, paid, a third of it refunded on Nov 15; Nov 14: a Mug×3 order left
    unpaid and a Candle paid."""
    owner = actor_of(make_staff(session, Role.owner))
    reg = _register(session)
    seller = make_staff(session, Role.seller).actor()
    shifts.open_shift(session, actor=seller, register_id=reg.id, float_minor=0)
    lamp = variant_id(make_product(session, name="Lamp", price_minor=100000, qty=20, unit_cost_minor=40000))
    mug = variant_id(make_product(session, name="Mug", price_minor=20000, qty=20, unit_cost_minor=5000))
    candle = variant_id(make_product(session, name="Candle", price_minor=150000, qty=20, unit_cost_minor=60000))
    cart.add_item(session, actor=seller, register_id=reg.id, variant_id=lamp, qty=3)
    cart.add_item(session, actor=seller, register_id=reg.id, variant_id=mug, qty=2)
    receipt = sale.submit_sale(session, actor=seller, register_id=reg.id, client_id="rollup-sale-1",
                               tendered_minor=340000, now=utc(2026, 11, 10, 9, 0))
    buyer = make_customer(session).id
    candle_10 = place(session, buyer, {candle: 1}, now=utc(2026, 11, 10, 10, 0))
    orders.mark_paid(session, actor=owner, order_id=candle_10.id)
    line = {ln.variant_id: ln.order_line_id for ln in receipt.lines}
    returns.return_items(session, actor=seller, register_id=reg.id, sale_id=receipt.sale_id, client_id="rollup-ret-1",
                         lines=[{"order_line_id": line[lamp], "qty": 1}], now=utc(2026, 11, 10, 21, 30))
    returns.return_items(session, actor=seller, register_id=reg.id, sale_id=receipt.sale_id, client_id="rollup-ret-2",
                         lines=[{"order_line_id": line[mug], "qty": 1}], now=utc(2026, 11, 12, 11, 0))
    lamp_13 = place(session, buyer, {lamp: 1}, now=utc(2026, 11, 13, 12, 0))
    orders.mark_paid(session, actor=owner, order_id=lamp_13.id)
    _refund(session, lamp_13.id, 1, part=lamp_13.total_minor // 3, done=utc(2026, 11, 15, 8, 0))
    unpaid_14 = place(session, buyer, {mug: 3}, now=utc(2026, 11, 14, 9, 0))
    candle_14 = place(session, buyer, {candle: 1}, now=utc(2026, 11, 14, 15, 0))
    orders.mark_paid(session, actor=owner, order_id=candle_14.id)
    return owner, {"seller": seller, "register": reg.id, "sale": receipt.sale_id, "line": line, "lamp": lamp,
                   "candle_10": candle_10.id, "unpaid_14": unpaid_14.id, "candle_14": candle_14.id, "buyer": buyer}


def _refund(session, order_id: int, n: int, *, part: int, done: datetime) -> None:
    """A payment refund confirmed at ``done`` (as the payment module records one)."""
    order = session.get(Order, order_id)
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).first()
    if payment is None:
        payment = Payment(order_id=order_id, provider="manual", idempotency_key=f"rollup-pay-{order_id}",
                          amount_minor=order.total_minor, status="succeeded", paid_at=order.created_at)
        session.add(payment)
        session.flush()
    session.add(Refund(payment_id=payment.id, order_id=order_id, amount_minor=part, order_minor=part, reason="test",
                       status="succeeded", idempotency_key=f"rollup-refund-{order_id}-{n}", actor_kind="staff",
                       created_at=done, done_at=done))
    session.commit()


def _figures(session, owner):
    """What the owner sees: November's P&L and ABC, and revenue by day from November to today."""
    today = local_today(MSK)
    return (pnl.pnl_summary(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK),
            revenue.daily_revenue(session, actor=owner, date_from=NOV_1, date_to=today, tz=MSK),
            abc.abc_analysis(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK),
            pnl.pnl_summary(session, actor=owner, date_from=date(2026, 11, 14), date_to=today, tz=MSK))


def _raw_figures(session, owner, monkeypatch):
    """The same figures with the rollup out of the way: every day read from the raw tables."""
    with monkeypatch.context() as m:
        m.setattr(rollup, "split", lambda *a, **k: None)
        m.setattr(rollup, "ensure_fresh", lambda *a, **k: None)
        return _figures(session, owner)


def _dirty(session) -> set[date]:
    session.rollback()
    return set(session.exec(select(AnalyticsDirtyDay.day)).all())


@pytest.fixture
def pg_session(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


def test_closed_days_are_read_from_the_rollup_with_the_raw_figures(pg_session, monkeypatch):
    session = pg_session
    # given a month of sales, returns and a refund, and the rollup refreshed
    owner, _ = _shop(session)
    out = rollup.refresh(session)
    yesterday = local_today(MSK) - timedelta(days=1)
    assert (out.closed_day, out.pending) == (yesterday, 0)
    assert session.exec(select(sa.func.count()).select_from(AnalyticsDayProduct)).one() > 0
    # when the owner reads the P&L, revenue by day and ABC
    rolled = _figures(session, owner)
    # then they are the raw tables' figures
    assert rolled == _raw_figures(session, owner, monkeypatch)
    p = rolled[0]
    assert (p.orders, p.returns, p.refunds) == (4, 2, 1)
    # and they do come from the rollup: a sum changed there by hand shows in the report
    session.execute(sa.update(AnalyticsDayChannel).where(AnalyticsDayChannel.day == date(2026, 11, 10),
                                                         AnalyticsDayChannel.channel == "storefront")
                    .values(revenue_minor=AnalyticsDayChannel.revenue_minor + 1))
    session.commit()
    assert pnl.pnl_summary(session, actor=owner, date_from=NOV_1, date_to=NOV_30,
                           tz=MSK).orders_revenue_minor == p.orders_revenue_minor + 1


def test_edits_to_closed_days_mark_them_and_the_figures_stay_exact(pg_session, monkeypatch):
    session = pg_session
    owner, shop = _shop(session)
    rollup.refresh(session)
    before = _figures(session, owner)
    assert _dirty(session) == set()
    # when old days change: the Nov 14 order is paid late, the Nov 10 Candle cancelled, a return of
    # the Nov 10 sale is dated Nov 20 and another refund of the Nov 13 order confirmed on Nov 16
    orders.mark_paid(session, actor=owner, order_id=shop["unpaid_14"])
    orders.cancel_order(session, actor=owner, order_id=shop["candle_10"], reason="test")
    returns.return_items(session, actor=shop["seller"], register_id=shop["register"], sale_id=shop["sale"],
                         client_id="rollup-ret-3", lines=[{"order_line_id": shop["line"][shop["lamp"]], "qty": 1}],
                         now=utc(2026, 11, 20, 10, 0))
    lamp_13 = session.exec(select(Order).where(Order.total_minor > 0, Order.created_at >= utc(2026, 11, 13),
                                               Order.created_at < utc(2026, 11, 14))).one()
    _refund(session, lamp_13.id, 2, part=1000, done=utc(2026, 11, 16, 8, 0))
    # then those days are marked dirty (the refund's day of the cancelled order's return too: none)
    assert _dirty(session) == {date(2026, 11, 14), date(2026, 11, 10), date(2026, 11, 20), date(2026, 11, 16)}
    # and the reports, before any refresh (marked days read raw), already show the edits — exactly
    # the raw figures
    with monkeypatch.context() as m:
        m.setattr(rollup, "ensure_fresh", lambda *a, **k: None)
        edited = _figures(session, owner)
    assert _dirty(session) != set()
    assert edited == _raw_figures(session, owner, monkeypatch)
    assert edited != before
    assert edited[0].orders == before[0].orders  # one order more paid, one cancelled
    # when the rollup is refreshed, the marks are gone and the figures the same
    out = rollup.refresh(session)
    assert (out.days, out.pending) == (4, 0) and _dirty(session) == set()
    assert _figures(session, owner) == edited
    # and a report refreshes what an edit marked before it reads
    orders.cancel_order(session, actor=owner, order_id=shop["candle_14"], reason="test")
    assert _dirty(session) == {date(2026, 11, 14)}
    assert _figures(session, owner) == _raw_figures(session, owner, monkeypatch)
    assert _dirty(session) == set()


def test_a_write_to_today_leaves_no_mark_and_counts_at_once(pg_session, monkeypatch):
    session = pg_session
    owner, shop = _shop(session)
    rollup.refresh(session)
    today = local_today(MSK)
    # when an order is placed and paid today (the usual write)
    now = datetime.now(timezone.utc)
    order = place(session, shop["buyer"], {shop["lamp"]: 2}, now=now)
    orders.mark_paid(session, actor=owner, order_id=order.id)
    # then no day is marked, and today's revenue already holds it (today is read raw)
    assert _dirty(session) == set()
    series = revenue.daily_revenue(session, actor=owner, date_from=today, date_to=today, tz=MSK)
    assert series.revenue_minor == order.total_minor and series.orders == 1
    assert _figures(session, owner) == _raw_figures(session, owner, monkeypatch)


def test_a_report_refreshes_what_is_due_before_it_reads_and_the_job_the_rest(pg_engine, pg_session, monkeypatch):
    session = pg_session
    owner, _ = _shop(session)
    # given a rollup never built: when the owner opens a report (read-only, as the screens call it)
    with Session(readonly_engine(pg_engine)) as reading:
        first = pnl.pnl_summary(reading, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    # then the days up to yesterday are closed, the oldest few rolled up (a report does a little),
    # the others marked — read raw meanwhile, so the figures are exact already
    session.rollback()
    state = session.get(AnalyticsRollupState, 1)
    assert (state.timezone, state.closed_day) == ("Europe/Moscow", local_today(MSK) - timedelta(days=1))
    first_day = date(2026, 11, 10)
    assert min(_dirty(session)) == first_day + timedelta(days=rollup.READ_BUDGET_DAYS)
    assert first == _raw_figures(session, owner, monkeypatch)[0]
    # when the sidecar's job runs, it rolls up the rest
    out = rollup.refresh(session)
    assert out.pending == 0 and _dirty(session) == set()


def test_a_writer_in_flight_when_the_day_closes_is_not_lost(pg_engine):
    # given the rollup closed up to two days ago, and an order of yesterday being written (not committed)
    with Session(pg_engine, expire_on_commit=False) as session:
        owner, _ = _shop(session)
        today = local_today(MSK)
        rollup.refresh(session, now=datetime.combine(today - timedelta(days=1), datetime.min.time(), MSK)
                       + timedelta(hours=12))
        assert session.get(AnalyticsRollupState, 1).closed_day == today - timedelta(days=2)
        session.rollback()
    late = datetime.combine(today - timedelta(days=1), datetime.min.time(), MSK) + timedelta(hours=23, minutes=59)
    written, closed = threading.Event(), threading.Event()
    outcome = {}

    def writer():
        with Session(pg_engine) as s:
            s.add(Order(channel="pos", status="paid", goods_minor=12345, total_minor=12345, created_at=late,
                        updated_at=late))
            s.flush()  # the trigger ran and read the watermark of two days ago
            written.set()
            time.sleep(1.0)  # the refresh starts meanwhile
            outcome["closed_before_commit"] = closed.is_set()
            s.commit()

    def closer():
        written.wait(10)
        with Session(pg_engine) as s:
            outcome["refresh"] = rollup.refresh(s)
        closed.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=closer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # when the refresh closes yesterday: it waited for the writer, so yesterday holds the order
    assert outcome["closed_before_commit"] is False
    assert outcome["refresh"].closed_day == today - timedelta(days=1)
    with Session(pg_engine) as session:
        day = revenue.daily_revenue(session, actor=owner, date_from=today - timedelta(days=1),
                                    date_to=today - timedelta(days=1), tz=MSK)
        assert day.channel_total("pos") == 12345
        assert rollup.split(session, MSK, rollup.Period(today - timedelta(days=1), today - timedelta(days=1))).raw == ()


def test_on_sqlite_the_reports_read_the_raw_tables_and_keep_no_rollup(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session:
        owner, _ = _shop(session)
        # when the rollup is refreshed and the owner reads the reports
        assert rollup.refresh(session) is None
        p, series, ranked, _ = _figures(session, owner)
        # then the figures are the raw tables' (by hand: 340000 + 150000 + Lamp 100000 + Candle 150000
        # sold; 100000 and 20000 returned; a third of the Lamp order refunded)
        refund = 100000 // 3
        assert (p.orders, p.orders_revenue_minor, p.returns_minor, p.refunds_minor) == (4, 740000, 120000, refund)
        assert series.revenue_minor == 740000 - 120000 - refund
        assert [(r.name, r.qty, r.revenue_minor) for r in ranked] == [
            ("Candle", 2, 300000), ("Lamp", 3, 300000 - 100000 + 100000 - refund), ("Mug", 1, 40000 - 20000)]
        # and nothing was rolled up
        session.rollback()
        for model in (AnalyticsDayChannel, AnalyticsDayProduct, AnalyticsRollupState, AnalyticsDirtyDay):
            assert session.exec(select(sa.func.count()).select_from(model)).one() == 0


def test_the_triggers_watch_the_statuses_the_reports_count_as_sold():
    # the migration froze the sold statuses in the order trigger's WHEN clause: they must be the reports'
    path = Path(__file__).resolve().parents[2] / "alembic" / "versions" / "0032_24q_analytics_rollup.py"
    spec = importlib.util.spec_from_file_location("rollup_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.SOLD == "(" + ",".join(f"'{s}'" for s in SOLD_STATUSES) + ")"
    assert (migration.WRITERS_LOCK, migration.SUMS) == (rollup.WRITERS_LOCK, rollup.SUMS)
