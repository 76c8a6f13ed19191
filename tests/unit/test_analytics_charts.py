"""The revenue chart (services/analytics/charts.py) is built from the daily rows: stacked channel bars and one line."""
from smo_app.services.analytics.charts import build_revenue_figure

ROWS = [
    {"day": "2026-11-01", "storefront": 100000, "pos": 0, "b2b": 0, "bookings": 0, "manual": 0, "orders": 1,
     "average_check": 100000},
    {"day": "2026-11-02", "storefront": 0, "pos": 5050, "b2b": 40000, "bookings": 380000, "manual": 25000, "orders": 2,
     "average_check": 22525},
]


def test_bars_per_channel_in_major_units_and_an_orders_line():
    fig = build_revenue_figure(ROWS, labels={"storefront": "Mini App", "orders": "Orders"})
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["Mini App", "pos", "b2b", "bookings", "manual"]
    assert list(bars[3].y) == [0.0, 3800.0]
    assert list(bars[0].y) == [1000.0, 0.0] and list(bars[1].y) == [0.0, 50.5]
    assert list(bars[0].x) == ["2026-11-01", "2026-11-02"]
    line = fig.data[-1]
    assert line.type == "scatter" and line.name == "Orders" and list(line.y) == [1, 2] and line.yaxis == "y2"
    assert fig.layout.barmode == "stack"


def test_average_check_line_and_an_empty_period():
    fig = build_revenue_figure(ROWS, line="average_check")
    assert list(fig.data[-1].y) == [1000.0, 225.25]
    empty = build_revenue_figure([])
    assert len(empty.data) == 6 and all(len(t.x) == 0 for t in empty.data)


def test_chart_rows_of_a_revenue_series_in_minor_units():
    from datetime import date

    from smo_app.services.analytics.charts import revenue_chart_rows
    from smo_app.services.analytics.revenue import DayRevenue, RevenueSeries

    day = DayRevenue(date(2026, 11, 2), orders=2)
    day.by_channel.update(pos=5050, b2b=40000, manual=25000)
    series = RevenueSeries(date(2026, 11, 1), date(2026, 11, 2), [DayRevenue(date(2026, 11, 1)), day])
    rows = revenue_chart_rows(series)
    assert rows[1] == {"day": "2026-11-02", "storefront": 0, "pos": 5050, "b2b": 40000, "bookings": 0, "manual": 25000,
                       "orders": 2,
                       "average_check": 22525}
    assert rows[0]["orders"] == 0 and rows[0]["average_check"] == 0
    assert build_revenue_figure(rows).data[1].y[1] == 50.5
