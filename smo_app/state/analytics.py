"""/admin/analytics and the summary block on /admin: parse input → call the analytics services →
set display rows (strings formatted here, money stays integer until then) → toast.

Every handler is async and reaches the database only through :meth:`SessionState.call`: the
period's figures (a year's ABC takes up to a second) are read in one read-only transaction in a
worker thread, so other clients' events are never held up behind them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypedDict

import plotly.graph_objects as go
import reflex as rx

from smo_app.components.analytics_charts import build_revenue_figure
from smo_app.money import format_money, parse_money
from smo_app.services.analytics import abc, manual_revenue, pnl, revenue, stock_valuation, summary
from smo_app.services.analytics.periods import local_today, month_period
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, can
from smo_app.state.session import SessionState, toast

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            change="" if pct is None else f"{pct:+.1f} %".replace("-", "−"),
            trend="flat" if not pct else ("up" if pct > 0 else "down"),
        ))
    return out


def day_views(series: revenue.RevenueSeries, lang: str) -> tuple[list[DayRowView], list[dict]]:
    """Table rows (formatted) and chart rows (minor units) of a revenue series."""
    def money(v: int) -> str:
        return format_money(v, lang=lang)

    table, chart = [], []
    for d in series.days:
        ch = d.by_channel
        table.append(DayRowView(day=d.day.isoformat(), revenue=money(d.revenue_minor), storefront=money(ch["storefront"]),
                                pos=money(ch["pos"]), b2b=money(ch["b2b"]), manual=money(ch["manual"]), orders=d.orders,
                                average_check=money(d.average_check_minor)))
        chart.append({"day": d.day.isoformat(), **ch, "orders": d.orders, "average_check": d.average_check_minor})
    return table, chart


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationFailed("analytics.date_invalid", f"bad date {text!r}") from None


def _express_summary(session, *, actor) -> summary.Summary | None:
    """The summary block's figures, or None for who may not read analytics (the block hides)."""
    return summary.express_summary(session, actor=actor) if can(actor, Perm.analytics_view) else None


@dataclass
class PeriodView:
    series: revenue.RevenueSeries
    ranked: list
    entries: list
    can_manual: bool


def _period_view(session, *, actor, date_from: str, date_to: str) -> PeriodView | None:
    """One period's figures in one read-only transaction; None for who may not read analytics."""
    if not can(actor, Perm.analytics_view):
        return None
    first, last = parse_day(date_from), parse_day(date_to)
    return PeriodView(
        series=revenue.daily_revenue(session, actor=actor, date_from=first, date_to=last),
        ranked=abc.abc_analysis(session, actor=actor, date_from=first, date_to=last),
        entries=manual_revenue.list_manual_revenue(session, actor=actor, date_from=first, date_to=last),
        can_manual=can(actor, Perm.analytics_manual),
    )


def _workbook(session, *, actor, build: Callable[..., tuple[str, bytes]]) -> tuple[str, bytes]:
    return build(session, actor)


class SummaryState(SessionState):
    """The express summary block (analytics page and /admin): shown only to who may read analytics."""

    metrics: list[MetricView] = []

    @rx.event
    async def load_summary(self):
        out = await self.call(_express_summary, readonly=True)
        self.metrics = metric_views(out.value, self.ui_lang_value()) if out.ok and out.value else []
        if out.code != "common.forbidden":  # not signed in: the guard redirects, nothing to say
            return toast(out)


class AnalyticsState(SessionState):
    date_from: str = ""
    date_to: str = ""
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
            self._set_preset("this_month")
        await self._refresh()

    @rx.event
    async def preset(self, name: str):
        self._set_preset(name)
        await self._refresh()

    @rx.event
    async def apply_period(self, form: dict):
        try:
            first, last = parse_day(str(form.get("date_from", ""))), parse_day(str(form.get("date_to", "")))
        except DomainError as exc:
            self.period_error = self.error(exc)
            return
        self.date_from, self.date_to = first.isoformat(), last.isoformat()
        await self._refresh()

    @rx.event
    async def apply_month(self, form: dict):
        text = str(form.get("month", "")).strip()
        try:
            year, month = (int(p) for p in text.split("-"))
            period = month_period(year, month)
        except ValueError:
            self.period_error = self.text("analytics.month_invalid")
            return
        self.date_from, self.date_to = period.date_from.isoformat(), period.date_to.isoformat()
        await self._refresh()

    @rx.event
    def set_line(self, value: str | list[str]):
        chosen = value if isinstance(value, str) else (value[0] if value else "")
        self.line = "average_check" if chosen == "average_check" else "orders"
        self.figure = self._figure()

    def _set_preset(self, name: str) -> None:
        today = local_today(self.shop_zone())
        if name == "last_month":
            p = month_period((today.replace(day=1) - timedelta(days=1)).year, (today.replace(day=1) - timedelta(days=1)).month)
            first, last = p.date_from, p.date_to
        elif name == "last_30":
            first, last = today - timedelta(days=29), today
        else:
            first, last = today.replace(day=1), today
        self.date_from, self.date_to = first.isoformat(), last.isoformat()

    def _figure(self) -> go.Figure:
        labels = {c: self.text(f"ui.analytics.channel.{c}") for c in ("storefront", "pos", "b2b", "manual")}
        labels.update(revenue=self.text("ui.analytics.revenue"), orders=self.text("ui.analytics.orders"),
                      average_check=self.text("ui.analytics.average_check"))
        return build_revenue_figure(self._chart_rows, line=self.line, labels=labels)

    async def _refresh(self) -> None:
        out = await self.call(_period_view, readonly=True, date_from=self.date_from, date_to=self.date_to)
        if (out.ok and out.value is None) or out.code == "common.forbidden":  # the page says "forbidden"
            self.days, self.abc_rows, self.manual_rows, self._chart_rows = [], [], [], []
            self.can_manual = False
            return
        if not out.ok:
            self.period_error = out.error
            return
        view: PeriodView = out.value
        series, ranked, entries = view.series, view.ranked, view.entries
        lang = self.ui_lang_value()
        self.can_manual = view.can_manual
        self.period_error = ""
        self.days, self._chart_rows = day_views(series, lang)
        self.total_revenue = format_money(series.revenue_minor, lang=lang)
        self.total_orders = series.orders
        self.figure = self._figure()
        self.abc_rows = [AbcRowView(rank=r.rank, name=r.name, qty=r.qty, revenue=format_money(r.revenue_minor, lang=lang),
                                    share=f"{r.share:.1%}", klass=r.klass) for r in ranked]
        self.manual_rows = [ManualRowView(id=e.id, day=e.day.isoformat(), amount=format_money(e.amount_minor, lang=lang),
                                          note=e.note, who=e.created_by_name) for e in entries]

    # -- files -----------------------------------------------------------------------------
    async def _file(self, build: Callable[..., tuple[str, bytes]]):
        """Build a workbook in a worker thread (read-only) and hand it to the browser."""
        out = await self.call(_workbook, readonly=True, build=build)
        if not out.ok:
            return toast(out)
        filename, content = out.value
        return rx.download(data=content, filename=filename, mime_type=XLSX)

    def _period(self) -> tuple[date, date]:
        return parse_day(self.date_from), parse_day(self.date_to)

    @rx.event
    async def download_pnl(self):
        lang = self.ui_lang_value()
        return await self._file(lambda s, a: pnl.pnl_workbook(s, actor=a, date_from=self._period()[0],
                                                        date_to=self._period()[1], lang=lang))

    @rx.event
    async def download_abc(self):
        lang = self.ui_lang_value()
        return await self._file(lambda s, a: abc.abc_workbook(s, actor=a, date_from=self._period()[0],
                                                        date_to=self._period()[1], lang=lang))

    @rx.event
    async def download_stock(self):
        lang = self.ui_lang_value()
        return await self._file(lambda s, a: stock_valuation.stock_valuation_workbook(s, actor=a, lang=lang))

    @rx.event
    async def download_moves(self):
        lang = self.ui_lang_value()
        return await self._file(lambda s, a: stock_valuation.stock_moves_workbook(
            s, actor=a, date_from=self._period()[0], date_to=self._period()[1], lang=lang))

    # -- manual entries --------------------------------------------------------------------
    async def _manual(self, fn: Callable[..., object], ok_key: str, **kwargs):
        out = await self.call(fn, **kwargs)
        self.manual_error = out.error
        if not out.ok:
            return None
        await self._refresh()
        return rx.toast.success(self.text(ok_key))

    @rx.event
    async def add_manual(self, form: dict):
        try:
            day = parse_day(str(form.get("day", "")))
        except DomainError:
            day = None  # the service says what is wrong with the day
        try:
            amount = parse_money(str(form.get("amount", "")))
        except ValueError:
            amount = None
        toast = await self._manual(manual_revenue.add_manual_revenue, "ui.analytics.manual_added",
                                   day=day, amount_minor=amount, note=str(form.get("note", "")))
        if toast is None:
            return None
        return [toast, rx.set_value("manual-amount", ""), rx.set_value("manual-note", "")]

    @rx.event
    async def delete_manual(self, entry_id: int):
        return await self._manual(manual_revenue.delete_manual_revenue, "ui.analytics.manual_deleted",
                                  entry_id=int(entry_id))
