"""The analytics screens' read-models: the express summary block (the analytics page and /admin),
one period's figures (revenue by day, ABC, manual entries) and its workbooks.

The period is chosen here, in the shop's time zone: a preset (this month, last month, the last 30
days), a month typed as ``YYYY-MM``, or two days typed as ``YYYY-MM-DD``. Who may not read analytics
gets ``None`` — the summary block hides, the page shows nothing (its guard shows "forbidden") —
so the screen never asks the permission matrix itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from smo_app.services.analytics import abc, manual_revenue, pnl, revenue, stock_valuation, summary
from smo_app.services.analytics.periods import Period, local_today, month_period, shop_tz
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.form_input import day
from smo_app.services.core.permissions import Perm, can, require

WORKBOOKS = ("pnl", "abc", "stock", "moves")


@dataclass
class PeriodView:
    """One period's figures, read in one read-only transaction."""

    date_from: date
    date_to: date
    series: revenue.RevenueSeries
    ranked: list[abc.AbcRow]
    entries: list[manual_revenue.ManualRevenueOut]
    can_manual: bool  # this actor may add and delete manual entries


def summary_block(session: Session, *, actor: Actor) -> summary.Summary | None:
    """The express summary's figures, or ``None`` for who may not read analytics (the block hides)."""
    return summary.express_summary(session, actor=actor) if can(actor, Perm.analytics_view) else None


def preset_period(name: str, today: date) -> Period:
    """``this_month`` (the 1st to today; also any unknown name), ``last_month``, ``last_30`` (today included)."""
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return month_period(last.year, last.month)
    if name == "last_30":
        return Period(today - timedelta(days=29), today)
    return Period(today.replace(day=1), today)


def month_of(text: str) -> Period:
    """``"2026-11"`` → November 2026, first to last day."""
    try:
        year, month = (int(p) for p in (text or "").strip().split("-"))
        return month_period(year, month)
    except ValueError:
        raise ValidationFailed("analytics.month_invalid", f"bad month {text!r}", field="month") from None


def choose_period(session: Session, *, date_from: str = "", date_to: str = "", preset: str = "",
                  month: str = "") -> Period:
    """The preset's period (in the shop's today), else the month's, else the two typed days (their
    order and length are checked by the figures that read them)."""
    if preset:
        return preset_period(preset, local_today(shop_tz(session)))
    if month:
        return month_of(month)
    return Period(day(date_from, "analytics.date_invalid", field="date_from"),
                  day(date_to, "analytics.date_invalid", field="date_to"))


def period_view(session: Session, *, actor: Actor, date_from: str = "", date_to: str = "", preset: str = "",
                month: str = "") -> PeriodView | None:
    """Revenue by day, the ABC ranking and the manual entries of the chosen period (see
    :func:`choose_period`); ``None`` for who may not read analytics."""
    if not can(actor, Perm.analytics_view):
        return None
    period = choose_period(session, date_from=date_from, date_to=date_to, preset=preset, month=month)
    first, last = period.date_from, period.date_to
    return PeriodView(
        date_from=first, date_to=last,
        series=revenue.daily_revenue(session, actor=actor, date_from=first, date_to=last),
        ranked=abc.abc_analysis(session, actor=actor, date_from=first, date_to=last),
        entries=manual_revenue.list_manual_revenue(session, actor=actor, date_from=first, date_to=last),
        can_manual=can(actor, Perm.analytics_manual),
    )


def period_workbook(session: Session, *, actor: Actor, kind: str, date_from: str, date_to: str,
                    lang: str = "ru") -> tuple[str, bytes]:
    """``(filename, bytes)`` of one of :data:`WORKBOOKS` for the typed period (stock: as of today)."""
    require(actor, Perm.analytics_view)
    if kind == "stock":
        return stock_valuation.stock_valuation_workbook(session, actor=actor, lang=lang)
    period = choose_period(session, date_from=date_from, date_to=date_to)
    build = {"pnl": pnl.pnl_workbook, "abc": abc.abc_workbook, "moves": stock_valuation.stock_moves_workbook}.get(kind)
    if build is None:
        raise NotFound("workbook", kind)
    return build(session, actor=actor, date_from=period.date_from, date_to=period.date_to, lang=lang)
