"""The Mini App's way back, in Chromium at 390×844 inside an injected Telegram: the browser's Back
and Telegram's BackButton walk back through the screens instead of leaving the app, a reload in
the middle of checkout stays on its step, a sold-out option is marked and cannot be chosen, and
/wheel has a way back to the shop. Runs on the Mini App's app (conftest.miniapp), which also
serves the backoffice phone journey, so one build serves both."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from smo_app.services.stock import supplies
from tests.commerce_factories import SYSTEM, make_product, supplier_id
from tests.e2e.conftest import shot
from tests.e2e.miniapp import open_in_telegram, press_back, press_main
from tests.e2e.test_storefront_payment import app_url  # noqa: F401  (the Mini App's app: conftest.miniapp)

pytestmark = pytest.mark.e2e

CUSTOMER_TG_ID = 6_000_000_025


@pytest.fixture(scope="module")
def diffuser(miniapp_db) -> int:
    """A diffuser whose 50 ml is in stock and whose 250 ml is sold out."""
    with Session(miniapp_db) as s:
        p = make_product(s, name="Диффузор «Назад»", variants=[{"label": "50 мл", "price_minor": 90000},
                                                               {"label": "250 мл", "price_minor": 250000}])
        supplies.receive_supply(s, actor=SYSTEM, supplier_id=supplier_id(s),
                                items=[{"variant_id": p.variants[0].id, "qty": 5, "total_minor": 150000}])
        return p.id


def _browser_back(page: Page) -> None:
    page.evaluate("history.back()")


def test_back_walks_the_screens_and_a_reload_keeps_the_checkout_step(new_page, diffuser, app_url):  # noqa: F811
    page = new_page(390, 844)
    # given a customer who opens the diffuser from a link inside Telegram
    open_in_telegram(page, CUSTOMER_TG_ID, f"p{diffuser}")
    expect(page.get_by_role("heading", name="Диффузор «Назад»")).to_be_visible()
    # then the sold-out option is marked and tapping it does not choose it
    sold_out = page.locator('[data-variant="250 мл"]')
    expect(sold_out.locator('[data-sold-out="1"]')).to_be_visible()
    expect(sold_out).to_have_attribute("aria-disabled", "true")
    sold_out.click(force=True)  # a customer can still tap it
    expect(page.locator("#sf-notice")).to_contain_text("нет в наличии")
    expect(page.locator('[data-variant="50 мл"]')).to_have_attribute("aria-checked", "true")
    shot(page, "mini-app-sold-out")
    # when they press the browser's Back on the card, they land in the catalog, still in the app
    page.wait_for_function("() => (history.state && history.state.smoDepth) === 1")
    _browser_back(page)
    expect(page.locator("#sf-search")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/?(#.*)?$"))
    # when they find it again, add it and go to checkout
    page.locator("#sf-search").fill("Диффузор")
    page.locator(f'[data-product="{diffuser}"]').first.click()
    expect(page.get_by_role("heading", name="Диффузор «Назад»")).to_be_visible()
    press_main(page, "В корзину")
    expect(page.locator("#sf-cart-count")).to_have_text("1")
    page.locator("#sf-tab-cart").click()
    expect(page.locator('[data-line="50 мл"]')).to_be_visible()
    press_main(page, "Оформить заказ")
    page.locator("#sf-name").fill("Вера Назарова")
    page.locator("#sf-phone").fill("+7 999 000-25-25")
    press_main(page, "Далее")
    expect(page.locator("#sf-address")).to_be_visible()
    # when the page is reloaded on the delivery step
    page.reload()
    # then it opens on the same step
    expect(page.locator("#sf-address")).to_be_visible()
    expect(page.get_by_role("heading", name="Оформить заказ")).to_be_visible()
    shot(page, "mini-app-reloaded-checkout")
    # and Telegram's BackButton goes back to the cart, the browser's Back from there to the catalog
    press_back(page)
    expect(page.locator('[data-line="50 мл"]')).to_be_visible()
    page.locator("#sf-tab-catalog").click()
    expect(page.locator("#sf-search")).to_be_visible()
    page.locator("#sf-search").fill("Диффузор")
    page.locator(f'[data-product="{diffuser}"]').first.click()
    expect(page.get_by_role("heading", name="Диффузор «Назад»")).to_be_visible()
    page.wait_for_function("() => (history.state && history.state.smoDepth) === 1")
    press_back(page)
    expect(page.locator("#sf-search")).to_be_visible()
    # the wheel has its own way back to the shop
    page.goto("/wheel")
    back = page.locator("#wheel-back")
    expect(back).to_be_visible()
    back.click()
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/?$"))
    expect(page.locator("#sf-search")).to_be_visible()
