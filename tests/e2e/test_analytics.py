"""Analytics in a real browser: the owner sees the summary, enters revenue made outside the
system, changes the period (chart and table follow) and downloads the P&L; a manager sees none of it."""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import Session

from smo_app.db import make_engine
from smo_app.services.core.actor import Actor
from smo_app.services.staff import accounts
from tests.e2e.helpers import sign_in_backoffice, sign_in_owner

pytestmark = pytest.mark.e2e
NBSP = "\u00a0"


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


def _chart_starts_on(page, day: date) -> None:
    """Wait until the plotly chart is drawn with bars starting on ``day``."""
    page.wait_for_function(
        """(day) => { const el = document.querySelector('#revenue-chart .js-plotly-plot');
                      return !!(el && el.data && el.data.length && el.data[0].x[0] === day); }""",
        arg=day.isoformat(), timeout=15_000)


def test_owner_reads_analytics_changes_the_period_and_downloads_the_pnl(new_page):
    page = new_page()
    sign_in_owner(page)
    # the summary block is on the landing page
    expect(page.locator("#metric-revenue_today")).to_be_visible()
    page.locator("#nav-analytics").click()
    expect(page).to_have_url(re.compile(r"/admin/analytics/?$"))
    today = _today()
    expect(page.locator(".day-row")).to_have_count(today.day)
    total_before = page.locator("#period-total").inner_text()
    # when the owner enters 1 500 ₽ earned at a fair today
    page.locator("#manual-day").fill(f"{today:%d.%m.%Y}")  # typed as a Russian owner writes a day
    page.locator("#manual-amount").fill("1500")
    page.locator("#manual-note").fill("Ярмарка")
    page.locator("#manual-add").click()
    # then the entry, the day's row, the total and the chart count it
    expect(page.locator(".manual-row")).to_have_count(1)
    manual_cell = page.locator(".day-row").nth(today.day - 1).locator("td").nth(6)  # day, total, 4 channels, manual
    expect(manual_cell).to_have_text(f"1{NBSP}500{NBSP}₽")
    expect(page.locator("#period-total")).not_to_have_text(total_before)
    _chart_starts_on(page, today.replace(day=1))
    # when the period becomes last month, the table and the chart follow
    last = today.replace(day=1) - timedelta(days=1)
    page.locator("#preset-last-month").click()
    expect(page.locator("#period-total")).to_contain_text(f"{last.replace(day=1):%d.%m.%Y} — {last:%d.%m.%Y}")
    expect(page.locator(".day-row")).to_have_count(calendar.monthrange(last.year, last.month)[1])
    expect(page.locator(".manual-row")).to_have_count(0)
    _chart_starts_on(page, last.replace(day=1))
    # and back to this month: the P&L file downloads and counts the fair
    page.locator("#preset-this-month").click()
    expect(page.locator(".manual-row")).to_have_count(1)
    with page.expect_download() as download:
        page.locator("#download-pnl").click()
    file = download.value
    assert file.suggested_filename == f"pnl_{today.replace(day=1).isoformat()}_{today.isoformat()}.xlsx"
    summary = load_workbook(BytesIO(Path(file.path()).read_bytes()))["Итоги"]
    figures = {r[0]: r[1] for r in summary.iter_rows(min_row=2, values_only=True)}
    assert figures["Выручка, внесённая вручную"] == 1500.0 and figures["Выручка"] >= 1500.0


def test_a_manager_sees_no_figures(new_page, app_db_url):
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        accounts.create_staff(s, actor=Actor.system("e2e"), username="mgr_analytics", full_name="Мария Аналитик",
                              role="manager", password="manager-analytics-1")
    engine.dispose()
    page = new_page()
    sign_in_backoffice(page, "mgr_analytics", "manager-analytics-1")
    expect(page.locator("#greeting")).to_be_visible()
    expect(page.locator("#nav-catalog")).to_be_visible()
    expect(page.locator("#nav-analytics")).to_have_count(0)
    expect(page.locator("#metric-revenue_today")).to_have_count(0)
    page.goto("/admin/analytics")
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#revenue-chart")).to_have_count(0)
