"""/admin/analytics and the summary block on /admin: the period as chosen (a preset, a month, two
days) → ``services/analytics/views`` → display rows (strings formatted here, money stays integer
until then) → toast.

The period's figures (a year's ABC takes up to a second) are read in one read-only transaction in
a worker thread, so other clients' events are never held up behind them. Which period a preset
means, and who may read analytics, the service decides.
"""
from __future__ import annotations

from typing import TypedDict

import plotly.graph_objects as go
import reflex as rx

from smo_app import formats
from smo_app.money import format_money
from smo_app.services.analytics import manual_revenue, revenue, summary, views
from smo_app.services.analytics.charts import build_revenue_figure, revenue_chart_rows
from smo_app.state.ops import XLSX, download
from smo_app.state.session import SessionState, said, toast


class MetricView(TypedDict):
    key: str
    label_key: str  # ui.analytics.metric.<key>
    value: str
    change: str  # "+12.5 %", "−3.0 %" or "" when there is nothing to compare
    trend: str  # up | down | flat


class DayRowView(TypedDict):
    day: str
    revenue: str
    storefront: str
    pos: str
    b2b: str
    bookings: str
    manual: str
    orders: int
    average_check: str


class AbcRowView(TypedDict):
    rank: int
    name: str
    qty: int
    revenue: str
    share: str
    klass: str


class ManualRowView(TypedDict):
    id: int
    day: str
    amount: str
    note: str
    who: str


def metric_views(s: summary.Summary, lang: str) -> list[MetricView]:
    out = []
    for m in s.metrics:
        pct = m.change_pct
        out.append(MetricView(
            key=m.key, label_key=f"ui.analytics.metric.{m.key}", value=format_money(m.value, lang=lang) if m.money else str(m.value),
            change="" if pct is None else formats.percent(pct, lang, signed=True).replace("-", "−"),
            trend="flat" if not pct else ("up" if pct > 0 else "down"),
        ))
    return out


def day_views(series: revenue.RevenueSeries, lang: str) -> list[DayRowView]:
    """Table rows (formatted) of a revenue series."""
    def money(v: int) -> str:
        return format_money(v, lang=lang)

    return [DayRowView(day=formats.day(d.day, lang), revenue=money(d.revenue_minor), storefront=money(d.by_channel["storefront"]),
                       pos=money(d.by_channel["pos"]), b2b=money(d.by_channel["b2b"]), bookings=money(d.by_channel["bookings"]),
                       manual=money(d.by_channel["manual"]),
                       orders=d.orders, average_check=money(d.average_check_minor))
            for d in series.days]


class SummaryState(SessionState):
    """The express summary block (analytics page and /admin): shown only to who may read analytics."""

    metrics: list[MetricView] = []

    @rx.event
    async def load_summary(self):
        out = await self.call(views.summary_block, readonly=True)
        self.metrics = metric_views(out.value, self.ui_lang_value()) if out.ok and out.value else []
        if not out.signed_out:  # not signed in: the guard redirects, nothing to say
            return toast(out)


class AnalyticsState(SessionState):
    date_from: str = ""
    date_to: str = ""
    period_label: str = ""  # the period in the viewer's date format
    line: str = "orders"
    figure: go.Figure = go.Figure()
    days: list[DayRowView] = []
    total_revenue: str = ""
    total_orders: int = 0
    abc_rows: list[AbcRowView] = []
    manual_rows: list[ManualRowView] = []
    can_manual: bool = False
    period_error: str = ""
    manual_error: str = ""
    _chart_rows: list[dict] = []

    # -- loading ---------------------------------------------------------------------------
    @rx.event
    async def load(self):
        if not self.date_from or not self.date_to:
            await self._refresh(preset="this_month")
        else:
            await self._refresh(date_from=self.date_from, date_to=self.date_to)

    @rx.event
    async def preset(self, name: str):
        await self._refresh(preset=name)

    @rx.event
    async def apply_period(self, form: dict):
        await self._refresh(date_from=str(form.get("date_from", "")), date_to=str(form.get("date_to", "")))

    @rx.event
    async def apply_month(self, form: dict):
        await self._refresh(month=str(form.get("month", "")))

    @rx.event
    def set_line(self, value: str | list[str]):
        chosen = value if isinstance(value, str) else (value[0] if value else "")
        self.line = "average_check" if chosen == "average_check" else "orders"
        self.figure = self._figure()

    def _figure(self) -> go.Figure:
        labels = {c: self.text(f"ui.analytics.channel.{c}") for c in ("storefront", "pos", "b2b", "bookings", "manual")}
        labels.update(revenue=self.text("ui.analytics.revenue"), orders=self.text("ui.analytics.orders"),
                      average_check=self.text("ui.analytics.average_check"))
        return build_revenue_figure(self._chart_rows, line=self.line, labels=labels, lang=self.ui_lang_value())

    async def _refresh(self, **period: str) -> None:
        """Read the period (a preset, a month or two days, see ``views.choose_period``) and show it;
        a period that does not read keeps the one shown and says why."""
        out = await self.call(views.period_view, readonly=True, **period)
        if out.signed_out or (out.ok and out.value is None):  # the page says "forbidden"
            self.days, self.abc_rows, self.manual_rows, self._chart_rows = [], [], [], []
            self.can_manual = False
            return
        self.period_error = out.error
        if not out.ok:  # a refused period shows no figures (not the last period's under its message)
            self.days, self.abc_rows, self.manual_rows, self._chart_rows = [], [], [], []
            self.total_revenue, self.total_orders, self.period_label = "", 0, ""
            self.figure = self._figure()
            return
        view: views.PeriodView = out.value
        lang = self.ui_lang_value()
        self.date_from, self.date_to = view.date_from.isoformat(), view.date_to.isoformat()
        self.period_label = f"{formats.day(view.date_from, lang)} — {formats.day(view.date_to, lang)}"
        self.can_manual = view.can_manual
        self.days, self._chart_rows = day_views(view.series, lang), revenue_chart_rows(view.series)
        self.total_revenue = format_money(view.series.revenue_minor, lang=lang)
        self.total_orders = view.series.orders
        self.figure = self._figure()
        self.abc_rows = [AbcRowView(rank=r.rank, name=r.name, qty=r.qty, revenue=format_money(r.revenue_minor, lang=lang),
                                    share=formats.percent(r.share * 100, lang), klass=r.klass) for r in view.ranked]
        self.manual_rows = [ManualRowView(id=e.id, day=formats.day(e.day, lang), amount=format_money(e.amount_minor, lang=lang),
                                          note=e.note, who=e.created_by_name) for e in view.entries]

    # -- files -----------------------------------------------------------------------------
    async def _file(self, kind: str):
        """Build a workbook of the shown period in a worker thread (read-only) and hand it to the browser."""
        return await download(self, "", views.period_workbook, mime_type=XLSX, kind=kind, date_from=self.date_from,
                              date_to=self.date_to, lang=self.ui_lang_value())

    @rx.event
    async def download_pnl(self):
        return await self._file("pnl")

    @rx.event
    async def download_abc(self):
        return await self._file("abc")

    @rx.event
    async def download_stock(self):
        return await self._file("stock")

    @rx.event
    async def download_moves(self):
        return await self._file("moves")

    # -- manual entries --------------------------------------------------------------------
    async def _manual(self, fn, ok_key: str, **kwargs):
        out = await self.call(fn, **kwargs)
        self.manual_error = out.error
        if not out.ok:
            return None
        added = getattr(out.value, "day", None)
        if added is not None and not (self.date_from <= added.isoformat() <= self.date_to):
            await self._refresh(month=added.strftime("%Y-%m"))  # the new entry's month, so the list shows it
        else:
            await self._refresh(date_from=self.date_from, date_to=self.date_to)
        return said(self.text(ok_key))

    @rx.event
    async def add_manual(self, form: dict):
        done = await self._manual(manual_revenue.add_manual_revenue_as_typed, "ui.analytics.manual_added",
                                  day=str(form.get("day", "")), amount=str(form.get("amount", "")),
                                  note=str(form.get("note", "")))
        if done is None:
            return None
        return [done, rx.set_value("manual-amount", ""), rx.set_value("manual-note", "")]

    @rx.event
    async def delete_manual(self, entry_id: int):
        return await self._manual(manual_revenue.delete_manual_revenue, "ui.analytics.manual_deleted",
                                  entry_id=int(entry_id))
