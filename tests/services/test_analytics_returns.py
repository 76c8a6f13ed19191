"""Analytics with POS returns: a return takes its refund off revenue on the shop day of the refund
(in the returned order's channel), gives the cost of the returned units back to the cost of goods,
and takes the returned lines off their products in ABC. Expected figures are computed by hand below
(shop time Europe/Moscow, UTC+3), on SQLite and PostgreSQL; the sale and the returns go through the
POS services."""
from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from smo_app.models.pos import PosRegister
from smo_app.models.staff import Role
from smo_app.services.analytics import abc, pnl, revenue, summary
from smo_app.services.pos import cart, returns, sale, shifts
from smo_app.services.sales import orders
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import actor_of, make_customer, make_staff

MSK = ZoneInfo("Europe/Moscow")
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _register(session) -> PosRegister:
    reg = session.exec(select(PosRegister)).first() or PosRegister(name="Касса 1")
    session.add(reg)
    session.commit()
    return reg


@pytest.fixture
def returned(session):
    """By hand (kopecks): Lamp 1000.00 (cost 400.00), Mug 200.00 (cost 50.00), Candle 1500.00 (cost 600.00).

    Nov 10 12:00 MSK  POS sale Lamp×3 + Mug×2, cash       340000, cost 3×40000 + 2×5000 = 130000
    Nov 10 13:00 MSK  storefront Candle×1 paid            150000, cost 60000
    Nov 11 00:30 MSK  return Lamp×1 (21:30 UTC on Nov 10: across midnight, Nov 11 in the shop)
                                                          refund 100000, cost back 40000
    Nov 12 14:00 MSK  return Lamp×1 + Mug×1               refund 120000, cost back 45000
    Kept: Lamp×1, Mug×1, Candle×1.
    """
    owner = actor_of(make_staff(session, Role.owner))
    reg = _register(session)
    seller = make_staff(session, Role.seller).actor()
    shifts.open_shift(session, actor=seller, register_id=reg.id, float_minor=0)
    lamp = variant_id(make_product(session, name="Lamp", price_minor=100000, qty=10, unit_cost_minor=40000))
    mug = variant_id(make_product(session, name="Mug", price_minor=20000, qty=10, unit_cost_minor=5000))
    candle = variant_id(make_product(session, name="Candle", price_minor=150000, qty=10, unit_cost_minor=60000))
    cart.add_item(session, actor=seller, register_id=reg.id, variant_id=lamp, qty=3)
    cart.add_item(session, actor=seller, register_id=reg.id, variant_id=mug, qty=2)
    receipt = sale.submit_sale(session, actor=seller, register_id=reg.id, client_id="bench-sale-0001",
                               tendered_minor=340000, now=utc(2026, 11, 10, 9, 0))
    assert receipt.total_minor == 340000
    online = place(session, make_customer(session).id, {candle: 1}, now=utc(2026, 11, 10, 10, 0))
    orders.mark_paid(session, actor=owner, order_id=online.id)
    line = {ln.variant_id: ln.order_line_id for ln in receipt.lines}
    first = returns.return_items(session, actor=seller, register_id=reg.id, sale_id=receipt.sale_id,
                                 client_id="return-0001", lines=[{"order_line_id": line[lamp], "qty": 1}],
                                 now=utc(2026, 11, 10, 21, 30))
    second = returns.return_items(session, actor=seller, register_id=reg.id, sale_id=receipt.sale_id,
                                  client_id="return-0002", lines=[{"order_line_id": line[lamp], "qty": 1},
                                                                  {"order_line_id": line[mug], "qty": 1}],
                                  now=utc(2026, 11, 12, 11, 0))
    assert (first.cash_minor, second.cash_minor) == (100000, 120000)
    return session, owner, receipt, (first, second)


def test_a_return_takes_its_refund_off_the_shop_day_of_the_refund_in_the_orders_channel(returned):
    session, owner, _, _ = returned
    # when the owner looks at Nov 10–12 by day
    series = revenue.daily_revenue(session, actor=owner, date_from=date(2026, 11, 10), date_to=date(2026, 11, 12),
                                   tz=MSK)
    # then the refunds are negative POS revenue on Nov 11 (not Nov 10, the UTC day) and Nov 12
    assert [(d.day.day, d.by_channel, d.orders) for d in series.days] == [
        (10, {"storefront": 150000, "pos": 340000, "b2b": 0, "bookings": 0, "manual": 0}, 2),
        (11, {"storefront": 0, "pos": -100000, "b2b": 0, "bookings": 0, "manual": 0}, 0),
        (12, {"storefront": 0, "pos": -120000, "b2b": 0, "bookings": 0, "manual": 0}, 0),
    ]
    assert series.revenue_minor == 490000 - 100000 - 120000
    assert series.channel_total("pos") == 340000 - 220000
    # and the average check stays orders-only: (340000 + 150000) / 2, and no check on a day of returns only
    assert [d.average_check_minor for d in series.days] == [245000, 0, 0]


def test_pnl_takes_returns_off_revenue_and_gives_back_their_cost(returned):
    session, owner, _, _ = returned
    s = pnl.pnl_summary(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    assert (s.orders, s.orders_revenue_minor, s.cogs_minor) == (2, 490000, 190000)
    assert (s.returns, s.returns_minor, s.returns_cogs_minor) == (2, 220000, 85000)
    assert s.revenue_minor == 270000 and s.net_cogs_minor == 105000
    # gross profit of what was kept: Candle 150000−60000 + Lamp 100000−40000 + Mug 20000−5000
    assert s.gross_profit_minor == 90000 + 60000 + 15000 == 165000
    assert s.margin == pytest.approx(165000 / 270000) and s.result_minor == 165000
    # the sale day holds the sale only; the return at 00:30 shop time belongs to Nov 11
    day10 = pnl.pnl_summary(session, actor=owner, date_from=date(2026, 11, 10), date_to=date(2026, 11, 10), tz=MSK)
    assert (day10.revenue_minor, day10.returns, day10.gross_profit_minor) == (490000, 0, 490000 - 190000)
    day11 = pnl.pnl_summary(session, actor=owner, date_from=date(2026, 11, 11), date_to=date(2026, 11, 11), tz=MSK)
    assert (day11.orders, day11.revenue_minor, day11.net_cogs_minor, day11.gross_profit_minor) == (
        0, -100000, -40000, -60000)


def test_abc_ranks_products_by_revenue_net_of_returns(returned):
    session, owner, _, _ = returned
    # net: Candle 150000; Lamp 300000 − 200000 = 100000; Mug 40000 − 20000 = 20000 (total 270000)
    rows = abc.abc_analysis(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    assert [(r.name, r.qty, r.revenue_minor, r.klass) for r in rows] == [
        ("Candle", 1, 150000, "A"),  # nothing before it (without the returns Lamp would lead with 300000)
        ("Lamp", 1, 100000, "A"),  # 55.6 % before it
        ("Mug", 1, 20000, "B"),  # 92.6 % before it
    ]
    assert rows[1].cumulative == pytest.approx(250000 / 270000)
    # the sale day alone: no return yet, Lamp leads
    day10 = abc.abc_analysis(session, actor=owner, date_from=date(2026, 11, 10), date_to=date(2026, 11, 10), tz=MSK)
    assert [(r.name, r.revenue_minor) for r in day10] == [("Lamp", 300000), ("Candle", 150000), ("Mug", 40000)]


def test_express_summary_counts_returns_in_revenue_but_not_in_the_average_check(returned):
    session, owner, _, _ = returned
    # when the owner looks on Nov 11 at noon shop time
    s = summary.express_summary(session, actor=owner, now=utc(2026, 11, 11, 9, 0), tz=MSK)
    got = {m.key: (m.value, m.previous) for m in s.metrics}
    assert got["revenue_today"] == (-100000, 490000)
    assert got["revenue_week"][0] == 390000  # Mon Nov 9 – Wed Nov 11
    assert got["revenue_month"][0] == 390000
    assert got["average_check"][0] == 245000  # 490000 / 2 orders, the return aside


def test_pnl_excel_has_the_returns_line_and_sheet(returned):
    session, owner, receipt, (first, second) = returned
    _, content = pnl.pnl_workbook(session, actor=owner, date_from=NOV_1, date_to=NOV_30, lang="en", tz=MSK)
    wb = load_workbook(BytesIO(content))
    assert wb.sheetnames == ["Summary", "Orders", "Returns", "Write-offs"]
    lines = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert lines["Revenue from orders"] == 4900.00 and lines["Returns to buyers"] == -2200.00
    assert lines["Revenue"] == 2700.00 and lines["Cost of goods sold"] == -1900.00
    assert lines["Cost of returned goods"] == 850.00 and lines["Gross profit"] == 1650.00
    assert lines["Result"] == 1650.00
    ws = wb["Returns"]
    assert [c.value for c in ws[1]][:3] == ["Return #", "When", "Order #"] and ws["A1"].font.bold
    assert ws.freeze_panes == "A2" and ws["I2"].number_format == "#,##0.00"
    assert list(ws.iter_rows(min_row=2, values_only=True)) == [
        (first.id, datetime(2026, 11, 11, 0, 30), receipt.order_id, datetime(2026, 11, 10, 12, 0), "POS",
         "Lamp × 1", 1000.00, 0.0, 1000.00, 400.00, -600.00),
        (second.id, datetime(2026, 11, 12, 14, 0), receipt.order_id, datetime(2026, 11, 10, 12, 0), "POS",
         "Lamp × 1; Mug × 1", 1200.00, 0.0, 1200.00, 450.00, -750.00),
    ]
    assert ws.column_dimensions["F"].width >= len("Lamp × 1; Mug × 1")


def test_a_refund_with_bonuses_given_back_takes_only_the_money_off_revenue(session):
    # given a POS sale of 2 × 500.00 to a customer paying 100.00 of it with bonuses (cash 900.00)
    owner = actor_of(make_staff(session, Role.owner))
    reg = _register(session)
    seller = make_staff(session, Role.owner).actor()
    shifts.open_shift(session, actor=seller, register_id=reg.id, float_minor=0)
    vid = variant_id(make_product(session, name="Vase", price_minor=50000, qty=5, unit_cost_minor=20000))
    customer = make_customer(session, bonus_balance_minor=10000)
    cart.add_item(session, actor=seller, register_id=reg.id, variant_id=vid, qty=2)
    cart.set_customer(session, actor=seller, register_id=reg.id, customer_id=customer.id)
    cart.set_bonus(session, actor=seller, register_id=reg.id, bonus_minor=10000)
    receipt = sale.submit_sale(session, actor=seller, register_id=reg.id, client_id="bonus-sale-0001",
                               tendered_minor=90000, now=utc(2026, 11, 10, 9, 0))
    assert (receipt.total_minor, receipt.bonus_minor) == (90000, 10000)
    # when one vase is returned the next day: goods 500.00, bonuses back 50.00, money back 450.00
    back = returns.return_items(session, actor=seller, register_id=reg.id, sale_id=receipt.sale_id,
                                client_id="bonus-ret-0001",
                                lines=[{"order_line_id": receipt.lines[0].order_line_id, "qty": 1}],
                                now=utc(2026, 11, 11, 9, 0))
    assert (back.goods_minor, back.bonus_back_minor, back.cash_minor) == (50000, 5000, 45000)
    # then revenue loses the money refunded, and gross profit is what the kept vase earned
    s = pnl.pnl_summary(session, actor=owner, date_from=NOV_1, date_to=NOV_30, tz=MSK)
    assert (s.orders_revenue_minor, s.returns_minor, s.revenue_minor) == (90000, 45000, 45000)
    assert s.gross_profit_minor == 45000 - 20000
