"""Analytics worked examples: daily revenue, P&L, ABC and the express summary, with the expected
figures computed by hand below (shop time Europe/Moscow, UTC+3), on SQLite and PostgreSQL."""
from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from smo_app.models.analytics import ManualRevenue
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.analytics import abc, manual_revenue, pnl, revenue, stock_valuation, summary
from smo_app.services.analytics.periods import offset_spans
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.services.sales import orders
from smo_app.services.stock import adjustments
from tests.commerce_factories import SYSTEM, make_product, place, variant_id
from tests.factories import actor_of, make_customer, make_staff

MSK = ZoneInfo("Europe/Moscow")
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _paid(session, customer_id, items, at, *, complete=False):
    out = place(session, customer_id, items, now=at)
    orders.mark_paid(session, actor=SYSTEM, order_id=out.id)
    if complete:
        for step in ("processing", "shipped", "delivered", "completed"):
            orders.transition(session, actor=SYSTEM, order_id=out.id, to_status=step)
    return out


@pytest.fixture
def november(session):
    """The shop's November, by hand (prices and costs in kopecks):

    A 1000.00 (cost 400.00), B 300.00 with 10 % off (cost 100.00), C 50.00 (cost 20.00), D 100.00 (cost 50.00)

    Oct 31 23:30 MSK  storefront C×1 paid              — October: not in the period
    Nov 1  00:30 MSK  storefront A×1 paid              100000, cost 40000 (20:30 UTC on Oct 31)
    Nov 10 13:00 MSK  storefront A×2 paid              200000, cost 80000
    Nov 11 00:30 MSK  storefront B×5 completed         goods 150000 − 15000 discount = 135000, cost 50000
                      (21:30 UTC on Nov 10: across midnight, it is Nov 11 in the shop)
    Nov 11 12:00 MSK  storefront A×1 cancelled         never revenue
    Nov 11            manual entry "fair"              25000
    Nov 12 11:00 MSK  storefront C×1 new (unpaid)      not revenue yet
    Nov 12 15:00 MSK  B2B C×10 at 40.00                40000, cost 20000
    Nov 12 16:00 MSK  write-off C×3 at cost 20.00      6000
    Nov 13 12:00 MSK  storefront D×1 paid              10000, cost 5000
    """
    owner = make_staff(session, Role.owner)
    a = make_product(session, name="Alpha", price_minor=100000, qty=100, unit_cost_minor=40000)
    b = make_product(session, name="Bravo", price_minor=30000, qty=100, unit_cost_minor=10000, discount_pct=10)
    c = make_product(session, name="Charlie", price_minor=5000, qty=100, unit_cost_minor=2000)
    d = make_product(session, name="Delta", price_minor=10000, qty=100, unit_cost_minor=5000)
    va, vb, vc, vd = (variant_id(p) for p in (a, b, c, d))
    customer = make_customer(session)
    _paid(session, customer.id, {vc: 1}, utc(2026, 10, 31, 20, 30))
    _paid(session, customer.id, {va: 1}, utc(2026, 10, 31, 21, 30))
    _paid(session, customer.id, {va: 2}, utc(2026, 11, 10, 10, 0))
    _paid(session, customer.id, {vb: 5}, utc(2026, 11, 10, 21, 30), complete=True)
    cancelled = place(session, customer.id, {va: 1}, now=utc(2026, 11, 11, 9, 0))
    orders.cancel_order(session, actor=SYSTEM, order_id=cancelled.id)
    manual_revenue.add_manual_revenue(session, actor=actor_of(owner), day=date(2026, 11, 11), amount_minor=25000,
                                      note="Fair in the park")
    place(session, customer.id, {vc: 1}, now=utc(2026, 11, 12, 8, 0))
    orders.create_b2b_order(session, actor=SYSTEM, items=[{"variant_id": vc, "qty": 10, "unit_price_minor": 4000}],
                            buyer_name="Cafe", now=utc(2026, 11, 12, 12, 0))
    adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": vc, "qty": 3}], comment="broken",
                          now=utc(2026, 11, 12, 13, 0))
    _paid(session, customer.id, {vd: 1}, utc(2026, 11, 13, 9, 0))
    return session, actor_of(owner)


def test_daily_revenue_counts_shop_days_channels_and_manual_entries(november):
    session, owner = november
    # when the owner asks for November by day
    series = revenue.daily_revenue(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    # then every day is there, and the days with sales carry the hand-computed figures
    assert len(series.days) == 30
    by_day = {d.day: d for d in series.days if d.revenue_minor}
    assert {k: (v.by_channel, v.orders) for k, v in by_day.items()} == {
        date(2026, 11, 1): ({"storefront": 100000, "pos": 0, "b2b": 0, "bookings": 0, "manual": 0}, 1),
        date(2026, 11, 10): ({"storefront": 200000, "pos": 0, "b2b": 0, "bookings": 0, "manual": 0}, 1),
        date(2026, 11, 11): ({"storefront": 135000, "pos": 0, "b2b": 0, "bookings": 0, "manual": 25000}, 1),
        date(2026, 11, 12): ({"storefront": 0, "pos": 0, "b2b": 40000, "bookings": 0, "manual": 0}, 1),
        date(2026, 11, 13): ({"storefront": 10000, "pos": 0, "b2b": 0, "bookings": 0, "manual": 0}, 1),
    }
    assert series.revenue_minor == 510000 and series.orders == 5
    assert by_day[date(2026, 11, 11)].average_check_minor == 135000  # manual entries are not orders
    # and October 31 (shop time) holds the order placed at 23:30 MSK only
    october = revenue.daily_revenue(session, actor=owner, date_from=date(2026, 10, 31), date_to=date(2026, 10, 31), tz=MSK)
    assert october.revenue_minor == 5000 and october.orders == 1


def test_pnl_summary_matches_the_hand_computed_statement(november):
    session, owner = november
    s = pnl.pnl_summary(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    assert (s.orders, s.goods_minor, s.discount_product_minor) == (5, 500000, 15000)
    assert s.orders_revenue_minor == 485000 and s.manual_revenue_minor == 25000 and s.revenue_minor == 510000
    assert s.cogs_minor == 40000 + 80000 + 50000 + 20000 + 5000
    assert s.gross_profit_minor == 315000 and s.margin == pytest.approx(315000 / 510000)
    assert (s.write_offs_minor, s.write_off_units) == (6000, 3)
    assert s.result_minor == 315000 - 0 - 6000


def test_pnl_excel_is_readable_and_its_cells_hold_the_figures(november):
    session, owner = november
    # when the owner downloads November's P&L in English
    filename, content = pnl.pnl_workbook(session, actor=owner, date_from=NOV_1, date_to=NOV_30, lang="en", tz=MSK)
    # then it opens, with a summary, the order details and the write-offs
    assert filename == "pnl_2026-11-01_2026-11-30.xlsx"
    wb = load_workbook(BytesIO(content))
    assert wb.sheetnames == ["Summary", "Orders", "Returns", "Write-offs"]
    summary_sheet = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary_sheet["Revenue"] == 5100.00 and summary_sheet["Cost of goods sold"] == -1950.00
    assert summary_sheet["Gross profit"] == 3150.00 and summary_sheet["Write-offs at cost"] == -60.00
    assert summary_sheet["Revenue entered manually"] == 250.00 and summary_sheet["Result"] == 3090.00
    ws = wb["Summary"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold and ws["B4"].number_format == "#,##0.00"
    orders_ws = wb["Orders"]
    header = [c.value for c in orders_ws[1]]
    assert header[:4] == ["Order #", "Placed", "Channel", "Status"] and orders_ws.freeze_panes == "A2"
    rows = list(orders_ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5
    b2b = next(r for r in rows if r[2] == "B2B")
    assert b2b[1] == datetime(2026, 11, 12, 15, 0) and b2b[9] == 400.00 and b2b[10] == 200.00 and b2b[11] == 200.00
    assert orders_ws.column_dimensions["B"].width >= 16
    assert orders_ws["J2"].number_format == "#,##0.00"
    write_offs = list(wb["Write-offs"].iter_rows(min_row=2, values_only=True))
    assert write_offs == [(datetime(2026, 11, 12, 16, 0), "Charlie", None, 3, 20.00, 60.00, "broken", "test")]


def test_abc_classes_follow_the_cumulative_revenue(november):
    session, owner = november
    # product revenue: Alpha 300000, Bravo 135000, Charlie 40000, Delta 10000 = 485000
    rows = abc.abc_analysis(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    assert [(r.name, r.revenue_minor, r.klass) for r in rows] == [
        ("Alpha", 300000, "A"),  # nothing before it
        ("Bravo", 135000, "A"),  # 61.9 % before it
        ("Charlie", 40000, "B"),  # 89.7 % before it
        ("Delta", 10000, "C"),  # 97.9 % before it
    ]
    assert rows[1].cumulative == pytest.approx(435000 / 485000)
    _, content = abc.abc_workbook(session, actor=owner, date_from=NOV_1, date_to=NOV_30, lang="ru", tz=MSK)
    ws = load_workbook(BytesIO(content)).active
    assert ws.title == "ABC-анализ" and [c.value for c in ws[1]][-1] == "Класс"
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert ws["D2"].value == 3000.00 and ws["E2"].number_format == "0.0%"


def test_abc_boundaries_by_hand():
    assert abc.classify([80, 15, 5]) == ["A", "B", "C"]
    assert abc.classify([50, 40, 6, 4]) == ["A", "A", "B", "C"]
    assert abc.classify([]) == []


def test_express_summary_compares_with_the_previous_period(november):
    session, owner = november
    # when the owner looks on Thursday Nov 12, 13:00 shop time
    s = summary.express_summary(session, actor=owner, now=utc(2026, 11, 12, 10, 0), tz=MSK)
    got = {m.key: (m.value, m.previous) for m in s.metrics}
    assert got["revenue_today"] == (40000, 160000)  # yesterday: 135000 + 25000 manual
    assert got["revenue_week"] == (400000, 0)  # Mon Nov 9 – Thu Nov 12 against Nov 2–5
    assert got["revenue_month"] == (500000, 0)  # Nov 1–12 against Oct 1–12 (the Oct 31 order is later)
    assert got["orders_today"] == (2, 1)  # the B2B and the unpaid one; yesterday's cancelled one does not count
    assert got["average_check"][0] == 475000 // 4
    assert s.get("revenue_today").change_pct == -75.0 and s.get("revenue_month").change_pct is None
    assert got["active_orders"] == (5, None)  # paid Oct 31, Nov 1, Nov 10, Nov 13 and the unpaid one


def test_summary_month_previous_span_is_clamped():
    assert summary.previous_month_span(date(2026, 3, 31)) == summary.Period(date(2026, 2, 1), date(2026, 2, 28))
    assert summary.previous_month_span(date(2026, 1, 12)) == summary.Period(date(2025, 12, 1), date(2025, 12, 12))


def test_dst_zone_days_are_split_at_the_change():
    # given a zone with summer time: Berlin went from +2 to +1 at 01:00 UTC on 2026-10-25
    berlin = ZoneInfo("Europe/Berlin")
    spans = offset_spans(berlin, datetime(2026, 10, 20, tzinfo=berlin), datetime(2026, 10, 30, tzinfo=berlin))
    assert spans == [(utc(2026, 10, 25, 1, 0), 7200), (None, 3600)]
    assert offset_spans(MSK, datetime(2026, 1, 1, tzinfo=MSK), datetime(2026, 12, 31, tzinfo=MSK)) == [(None, 10800)]


def test_dst_zone_orders_fall_on_the_right_day(session):
    # given orders at 22:30 UTC before and after Berlin's change (00:30 local on the 25th; 23:30 local on the 25th)
    owner = actor_of(make_staff(session, Role.owner))
    vid = variant_id(make_product(session, price_minor=1000, qty=10))
    customer = make_customer(session)
    _paid(session, customer.id, {vid: 1}, utc(2026, 10, 24, 22, 30))
    _paid(session, customer.id, {vid: 2}, utc(2026, 10, 25, 22, 30))
    berlin = ZoneInfo("Europe/Berlin")
    series = revenue.daily_revenue(session, actor=owner, date_from=date(2026, 10, 24), date_to=date(2026, 10, 26), tz=berlin)
    assert [(d.day.day, d.revenue_minor) for d in series.days] == [(24, 0), (25, 3000), (26, 0)]


def test_periods_are_validated(session):
    owner = actor_of(make_staff(session, Role.owner))
    for args, code in (((None, NOV_30), "analytics.period_required"), ((NOV_30, NOV_1), "analytics.period_reversed"),
                       ((date(2020, 1, 1), NOV_30), "analytics.period_too_long")):
        with pytest.raises(ValidationFailed) as err:
            revenue.daily_revenue(session, actor=owner, date_from=args[0], date_to=args[1], tz=MSK)
        assert err.value.code == code


# --------------------------------------------------------------------------- manual entries, permissions

def test_manual_entries_owner_adds_and_deletes_audited_admin_reads_manager_nothing(session):
    owner = actor_of(make_staff(session, Role.owner))
    admin = actor_of(make_staff(session, Role.admin))
    manager = actor_of(make_staff(session, Role.manager))
    entry = manual_revenue.add_manual_revenue(session, actor=owner, day=date(2026, 11, 1), amount_minor=150050,
                                              note="  Market stall  ")
    assert entry.note == "Market stall"
    assert [e.id for e in manual_revenue.list_manual_revenue(session, actor=admin)] == [entry.id]
    with pytest.raises(PermissionDenied):
        manual_revenue.add_manual_revenue(session, actor=admin, day=date(2026, 11, 1), amount_minor=1, note="x")
    with pytest.raises(PermissionDenied):
        manual_revenue.delete_manual_revenue(session, actor=admin, entry_id=entry.id)
    for fn in (manual_revenue.list_manual_revenue,):
        with pytest.raises(PermissionDenied):
            fn(session, actor=manager)
    with pytest.raises(PermissionDenied):
        revenue.daily_revenue(session, actor=manager, date_from=NOV_1, date_to=NOV_30)
    with pytest.raises(PermissionDenied):
        pnl.pnl_workbook(session, actor=manager, date_from=NOV_1, date_to=NOV_30)
    # the manager runs the warehouse: stock figures are his
    assert stock_valuation.stock_valuation(session, actor=manager) == []
    manual_revenue.delete_manual_revenue(session, actor=owner, entry_id=entry.id)
    with pytest.raises(DomainError) as err:
        manual_revenue.delete_manual_revenue(session, actor=owner, entry_id=entry.id)
    assert err.value.code == "common.not_found"
    assert session.exec(select(ManualRevenue)).all() == []
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "manual_revenue")
                           .order_by(AuditEntry.id)).all()
    assert actions == ["analytics.manual_revenue_add", "analytics.manual_revenue_delete"]


@pytest.mark.parametrize("day, amount, note, code", [
    (None, 100, "ok", "analytics.manual_day_invalid"),
    (date(2999, 1, 1), 100, "ok", "analytics.manual_day_invalid"),
    (date(2026, 1, 1), 0, "ok", "analytics.manual_amount_invalid"),
    (date(2026, 1, 1), -5, "ok", "analytics.manual_amount_invalid"),
    (date(2026, 1, 1), 100, "   ", "analytics.manual_note_invalid"),
    (date(2026, 1, 1), 100, "x" * 301, "analytics.manual_note_invalid"),
])
def test_bad_manual_entry_is_refused_and_changes_nothing(session, day, amount, note, code):
    owner = actor_of(make_staff(session, Role.owner))
    with pytest.raises(ValidationFailed) as err:
        manual_revenue.add_manual_revenue(session, actor=owner, day=day, amount_minor=amount, note=note)
    assert err.value.code == code
    assert session.exec(select(ManualRevenue)).all() == []


def test_stock_valuation_and_moves_files(session):
    manager = actor_of(make_staff(session, Role.manager))
    p = make_product(session, name="Echo", price_minor=2000, qty=4, unit_cost_minor=1250)
    rows = stock_valuation.stock_valuation(session, actor=manager)
    assert [(r.product, r.qty, r.value_minor, r.retail_value_minor) for r in rows] == [("Echo", 4, 5000, 8000)]
    _, content = stock_valuation.stock_valuation_workbook(session, actor=manager, lang="en")
    ws = load_workbook(BytesIO(content)).active
    assert [c.value for c in ws[1]][:3] == ["Product", "Variant", "Qty"]
    assert list(ws.iter_rows(min_row=2, values_only=True))[-1] == ("Total", None, 4, None, 50.0, None, 80.0)
    today = datetime.now(MSK).date()
    moves = stock_valuation.stock_moves(session, actor=manager, date_from=today, date_to=today, tz=MSK)
    assert [(m.product, m.kind, m.delta) for m in moves] == [("Echo", "supply", 4)]
    seller = actor_of(make_staff(session, Role.seller))
    with pytest.raises(PermissionDenied):
        stock_valuation.stock_valuation(session, actor=seller)
    assert variant_id(p)


def test_two_owners_deleting_one_entry_at_once_delete_it_once(pg_engine):
    import threading

    from sqlmodel import Session

    from smo_app.db import make_engine

    # given one manual entry on PostgreSQL and two owners
    with Session(pg_engine, expire_on_commit=False) as s:
        owners = [actor_of(make_staff(s, Role.owner)) for _ in range(2)]
        entry = manual_revenue.add_manual_revenue(s, actor=owners[0], day=date(2026, 11, 1), amount_minor=100, note="x")
    workers = make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=4)
    barrier, results, lock = threading.Barrier(2), [], threading.Lock()

    def run(actor):
        barrier.wait()
        try:
            with Session(workers) as s:
                manual_revenue.delete_manual_revenue(s, actor=actor, entry_id=entry.id)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        with lock:
            results.append(outcome)

    # when both delete it at the same moment, each on its own connection
    threads = [threading.Thread(target=run, args=(a,)) for a in owners]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then one deleted it, the other was told it is gone, and the audit log says so once
    assert sorted(results) == ["common.not_found", "ok"]
    with Session(pg_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "analytics.manual_revenue_delete")).all()) == 1


def test_delivery_the_shop_pays_itself_is_a_delivery_cost_in_the_pnl(session):
    # given a B2B sale of 10 × 40.00 where the shop pays the carrier 150.00 itself
    owner = actor_of(make_staff(session, Role.owner))
    vid = variant_id(make_product(session, name="Crate", price_minor=4000, qty=20, unit_cost_minor=2000))
    orders.create_b2b_order(session, actor=SYSTEM, buyer_name="Salon", delivery_minor=15000, delivery_payer="shop",
                            items=[{"variant_id": vid, "qty": 10, "unit_price_minor": 4000}])
    # when the owner reads the month's P&L
    today = utcnow().astimezone(MSK).date()
    s = pnl.pnl_summary(session, actor=owner, date_from=today, date_to=today, tz=MSK)
    # then revenue is the goods only, and the delivery is a cost taken off the result
    assert (s.revenue_minor, s.delivery_charged_minor, s.delivery_costs_minor) == (40000, 0, 15000)
    assert s.result_minor == 40000 - 20000 - 15000
