"""The analytics page's revenue chart: the series as chart rows, and a pure plotly figure builder
(tested without a browser; the state only stores the figure)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import plotly.graph_objects as go

from smo_app import formats
from smo_app.services.analytics.revenue import RevenueSeries

BAR_CHANNELS = ("storefront", "pos", "b2b", "bookings", "manual")
CHANNEL_COLORS = {"storefront": "#3E63DD", "pos": "#30A46C", "b2b": "#F76B15", "bookings": "#8E4EC6", "manual": "#8E8C99"}
LINE_COLOR = "#E5484D"


def revenue_chart_rows(series: RevenueSeries) -> list[dict]:
    """One row per day in minor units: ``{"day", <channel>…, "orders", "average_check"}``."""
    return [{"day": d.day.isoformat(), **d.by_channel, "orders": d.orders, "average_check": d.average_check_minor}
            for d in series.days]


def build_revenue_figure(rows: Sequence[Mapping], *, line: str = "orders", labels: Mapping[str, str] | None = None,
                         lang: str = "ru") -> go.Figure:
    """Stacked bars of revenue by channel per day (money in major units) and a line on a second
    axis: the number of orders, or the average check (``line="average_check"``).

    ``rows``: ``{"day": "2026-11-01", "storefront": minor, "pos": minor, "b2b": minor,
    "manual": minor, "orders": int, "average_check": minor}``. The axis reads the days and numbers
    as ``lang`` writes them (``05.11`` and ``1 234,5`` in Russian).
    """
    labels = labels or {}
    days = [r["day"] for r in rows]
    fig = go.Figure()
    for channel in BAR_CHANNELS:
        fig.add_trace(go.Bar(x=days, y=[r.get(channel, 0) / 100 for r in rows], name=labels.get(channel, channel),
                             marker_color=CHANNEL_COLORS[channel]))
    if line == "average_check":
        values = [r["average_check"] / 100 for r in rows]
    else:
        line = "orders"
        values = [r["orders"] for r in rows]
    fig.add_trace(go.Scatter(x=days, y=values, name=labels.get(line, line), mode="lines+markers", yaxis="y2",
                             line={"color": LINE_COLOR, "width": 2}))
    fig.update_layout(
        barmode="stack",
        margin={"l": 40, "r": 40, "t": 20, "b": 40},
        height=360,
        legend={"orientation": "h", "y": -0.15},
        yaxis={"title": labels.get("revenue", "revenue"), "rangemode": "tozero"},
        yaxis2={"title": labels.get(line, line), "overlaying": "y", "side": "right", "rangemode": "tozero",
                "showgrid": False},
        xaxis={"type": "category", "tickvals": days,
               "ticktext": [formats.day_short(date.fromisoformat(d), lang) for d in days]},
        separators=", " if formats.locale(lang).startswith("ru") else ".,",
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return fig
