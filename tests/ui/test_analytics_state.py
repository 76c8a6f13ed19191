"""The analytics page's state, run without a browser against a migrated SQLite file."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from smo_app import formats
from smo_app.models.analytics import ManualRevenue
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _signed_in(db, cls, role: Role, username: str):  # noqa: F811
    make_staff(db, role, username=username)
    s = _state(cls)
    s.bo_token = auth.sign_in_password(db, username=username, password=PASSWORD).token
    return s


def test_owner_adds_manual_revenue_and_the_table_chart_and_summary_show_it(db):  # noqa: F811
    from smo_app.state.analytics import AnalyticsState, SummaryState

    s = _signed_in(db, AnalyticsState, Role.owner, "olga")
    s.lang = "en"
    _call(s, "load")
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    assert s.date_from == today.replace(day=1).isoformat() and s.date_to == today.isoformat()
    assert s.period_label == f"{formats.day(today.replace(day=1), 'en')} — {formats.day(today, 'en')}"
    assert s.can_manual and s.total_revenue == "0\u00a0₽"
    # when the owner enters 1 500,50 earned at a fair today
    _call(s, "add_manual", {"day": today.isoformat(), "amount": "1500.50", "note": "Fair"})
    # then the table, the chart and the totals count it
    assert s.manual_error == "" and [r["amount"] for r in s.manual_rows] == ["1,500.50\u00a0₽"]
    row = next(r for r in s.days if r["day"] == formats.day(today, "en"))
    assert row["manual"] == "1,500.50\u00a0₽" and row["revenue"] == "1,500.50\u00a0₽"
    manual_bar = next(t for t in s.figure.data if t.name == "Manual")
    assert max(manual_bar.y) == 1500.5
    summ = _state(SummaryState)
    summ.bo_token, summ.lang = s.bo_token, "en"
    _call(summ, "load_summary")
    assert next(m for m in summ.metrics if m["key"] == "revenue_today")["value"] == "1,500.50\u00a0₽"
    # and the period presets change what is shown
    _call(s, "preset", "last_month")
    first_of_month = today.replace(day=1)
    assert s.date_to == (first_of_month - timedelta(days=1)).isoformat() and s.manual_rows == []
    # and the P&L file comes as a download
    spec = _call(s, "download_pnl")
    assert "pnl_" in str(spec.args) and ".xlsx" in str(spec.args)


def test_bad_manual_input_says_why_and_changes_nothing(db):  # noqa: F811
    from smo_app.state.analytics import AnalyticsState

    s = _signed_in(db, AnalyticsState, Role.owner, "olga")
    _call(s, "load")
    _call(s, "add_manual", {"day": date.today().isoformat(), "amount": "abc", "note": "Fair"})
    assert s.manual_error == "Сумма — положительное число, например 1500 или 1500,50."
    _call(s, "add_manual", {"day": "", "amount": "10", "note": "Fair"})
    assert s.manual_error == "Укажите день выручки — не позже сегодняшнего."
    _call(s, "apply_period", {"date_from": "2026-13-01", "date_to": "2026-11-30"})
    assert s.period_error == "Такой даты нет — введите её как дд.мм.гггг, например 05.11.2026."
    _call(s, "apply_period", {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert s.period_error == "Начало периода позже его конца."
    assert db.exec(select(ManualRevenue)).all() == []


def test_a_refused_period_shows_no_old_figures_and_manual_revenue_of_another_month_is_listed(db):  # noqa: F811
    from smo_app.state.analytics import AnalyticsState

    s = _signed_in(db, AnalyticsState, Role.owner, "olga")
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    _call(s, "load")
    assert s.days and s.total_revenue
    # when the owner types a period that ends before it starts
    _call(s, "apply_period", {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    # then the message stands alone: no figures of the period shown before
    assert s.period_error == "Начало периода позже его конца."
    assert s.days == [] and s.total_revenue == "" and s.total_orders == 0 and s.abc_rows == []
    # when revenue is added for a day outside the shown period
    _call(s, "preset", "this_month")
    earlier = today.replace(day=1) - timedelta(days=40)
    _call(s, "add_manual", {"day": earlier.isoformat(), "amount": "250", "note": "Fair"})
    # then the page moves to that month and its list holds the new entry
    assert s.manual_error == "" and [r["amount"] for r in s.manual_rows] == ["250\u00a0₽"]
    assert s.date_from == earlier.replace(day=1).isoformat() and s.period_error == ""
    # the chart's axis reads days as the screen's language writes them, not ISO dates
    assert s.figure.layout.xaxis.ticktext[0] == earlier.replace(day=1).strftime("%d.%m")


def test_admin_reads_but_cannot_enter_revenue_and_a_manager_sees_no_figures(db):  # noqa: F811
    from smo_app.state.analytics import AnalyticsState, SummaryState

    admin = _signed_in(db, AnalyticsState, Role.admin, "ada")
    _call(admin, "load")
    assert not admin.can_manual and len(admin.days) >= 1
    _call(admin, "add_manual", {"day": date.today().isoformat(), "amount": "10", "note": "x"})
    assert admin.manual_error == "Недостаточно прав для этого действия."
    manager = _signed_in(db, SummaryState, Role.manager, "max")
    _call(manager, "load_summary")
    assert manager.metrics == []
    page = _state(AnalyticsState)
    page.bo_token = manager.bo_token
    _call(page, "load")
    assert page.days == [] and page.abc_rows == []
    refused = _call(page, "download_pnl")
    assert refused is not None and "pnl_" not in str(refused.args)
