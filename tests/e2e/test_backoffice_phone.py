"""The backoffice on a phone (390×844): the sidebar is a drawer behind the menu button, and the
dashboard, the orders, an order's card and analytics fit the screen — no horizontal page overflow,
no figure broken across lines (measured from the element boxes), tables scroll inside their box."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import make_staff_member, sign_in_backoffice
# the Mini App journeys' app (a demo shop too): one build serves this and tests/e2e/test_mini_app_back.py
from tests.e2e.test_storefront_payment import app_url  # noqa: F401

pytestmark = pytest.mark.e2e

PHONE = (390, 844)

# Every leaf element whose text is a figure (digits with their separators, a currency or unit after
# it): on how many lines its text lies (distinct tops of the text's line boxes), and the page's width.
MEASURE = r"""
() => {
  const figure = /^[+\-−–]?\s*[\d\s\u00a0\u202f.,:%/№#-]*\d[\d\s\u00a0\u202f.,:%/-]*\s*(₽|%|шт\.?|кг|г|мл|руб\.?|RUB)?$/;
  const broken = [];
  let figures = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (el.children.length || !el.textContent || el.closest('svg')) continue;
    const text = el.textContent.trim();
    if (text.length < 2 || !figure.test(text)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue;
    figures++;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1) broken.push(text + ' (' + tops.size + ' lines)');
  }
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > innerWidth + 1 && getComputedStyle(el).position !== 'fixed'
      && !el.closest('.rt-ScrollAreaViewport, .rt-TableRoot, [data-radix-scroll-area-viewport]');
  }).slice(0, 8).map(el => (el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].slice(0, 2).join('.'))
                           + ' right=' + Math.round(el.getBoundingClientRect().right));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth, figures, broken, wide};
}
"""


def fits_the_phone(page: Page, name: str, *, min_figures: int = 1) -> None:
    """The screen as it is now: a screenshot, then the page no wider than the phone and every figure on one line."""
    page.wait_for_timeout(400)  # let the last layout settle (fonts, a chart's resize)
    shot(page, f"phone-{name}")
    m = page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["innerWidth"], f"{name}: the page scrolls sideways: {m}"
    assert m["broken"] == [], f"{name}: figures broken across lines: {m['broken']}"
    assert m["figures"] >= min_figures, f"{name}: no figures measured: {m}"


def test_an_owner_checks_the_shop_from_a_phone(new_page, miniapp):
    make_staff_member(miniapp.db_url, "owner_phone", "owner-phone-1", full_name="Олег Телефонов", role="owner")
    page = new_page(*PHONE)
    sign_in_backoffice(page, "owner_phone", "owner-phone-1")
    # the dashboard: the summary's figures on one line each, no sidebar in the way
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_be_visible()
    expect(page.locator("#analytics-summary .metric-value").first).to_be_visible()
    expect(page.locator("#sidebar")).to_be_hidden()
    fits_the_phone(page, "dashboard", min_figures=4)
    # the menu button opens the sidebar as a drawer over the page; its links lead on
    page.locator("#bo-menu").click()
    drawer = page.get_by_role("navigation")
    expect(drawer).to_be_visible()
    assert page.evaluate("document.getElementById('sidebar').getBoundingClientRect().left") == 0
    shot(page, "phone-drawer")
    drawer.get_by_role("link", name="Заказы").click()
    expect(page).to_have_url(re.compile(r"/admin/orders$"))
    expect(page.locator("#sidebar")).to_be_hidden()  # a new page starts with the drawer closed
    # the orders: every tab's table scrolls inside its own box
    page.locator("#tab-all").click()
    rows = page.locator(".order-row")
    expect(rows.first).to_be_visible()
    fits_the_phone(page, "orders", min_figures=3)
    table = page.locator(".rt-TableRoot", has=rows.first)
    box = table.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] + 1
    # an order's card
    rows.first.locator(".order-open").click()
    card = page.locator("#order-card")
    expect(card.locator("#order-sums")).to_contain_text("Итого")
    fits_the_phone(page, "order-card", min_figures=2)
    # (the card is a dialog over the page: it fits the screen, and nothing in it is wider than the dialog)
    assert card.evaluate("el => el.getBoundingClientRect().right <= innerWidth && el.scrollWidth <= el.clientWidth + 1"), \
        card.evaluate("el => [el.getBoundingClientRect().right, el.scrollWidth, el.clientWidth]")
    amounts = card.locator("#order-sums").evaluate(
        "el => [...el.querySelectorAll('*')].filter(x => !x.children.length && /\\d/.test(x.textContent))"
        ".map(x => x.getBoundingClientRect().right)")
    assert amounts and max(amounts) <= PHONE[0], amounts  # the sums' figures are on screen
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    # analytics: the figures, the chart and the tables
    page.goto("/admin/analytics")
    expect(page.locator("#revenue-chart")).to_be_visible()
    expect(page.locator("#revenue-table")).to_be_visible()
    fits_the_phone(page, "analytics", min_figures=4)
