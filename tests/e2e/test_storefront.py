"""The Mini App in Chromium at 390×844 with an injected ``window.Telegram.WebApp`` whose initData
is signed by the test with a test bot token (the app runs with that token), delivery quotes from
the CDEK fake served on a local port (tests/e2e/miniapp.py, conftest.miniapp). Telegram's
MainButton and BackButton are the test's stubs: the test presses them as the customer would
press Telegram's buttons."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from smo_app.models.orders import Order
from smo_app.services.catalog import products as catalog
from smo_app.services.core.actor import Actor
from smo_app.services.sales import orders
from smo_app.services.stock import supplies
from smo_app.settings import reset_settings_cache
from tests.e2e.conftest import shot
from tests.e2e.miniapp import init_data as _init_data, press_back, press_main, telegram_webapp as _telegram

pytestmark = pytest.mark.e2e

CUSTOMER_TG_ID = 6_000_000_001
SYSTEM = Actor.system("e2e")


@pytest.fixture(scope="module")
def app_url(miniapp):
    """The Mini App's app (conftest.miniapp): the test bot token, CDEK and YooKassa fakes on local ports."""
    return miniapp.url


@pytest.fixture(scope="module")
def candle(miniapp_db) -> int:
    """A product with two variants in stock."""
    with Session(miniapp_db) as s:
        p = catalog.create_product(s, actor=SYSTEM, name="Свеча «Тест»", description="Соевый воск, хлопковый фитиль.",
                                   variants=[{"label": "100 мл", "price_minor": 60000, "weight_g": 250},
                                             {"label": "200 мл", "price_minor": 100000, "weight_g": 450}])
        supplier = supplies.create_supplier(s, actor=SYSTEM, name="E2E supplier")
        supplies.receive_supply(s, actor=SYSTEM, supplier_id=supplier.id, items=[
            {"variant_id": v.id, "qty": 10, "total_minor": 10 * 20000} for v in p.variants])
        return p.id


def test_a_customer_shops_from_a_product_link_to_a_placed_order_that_follows_staff(new_page, miniapp_db, candle,
                                                                                   monkeypatch):
    monkeypatch.setenv("SMO_DEMO", "1")  # this process calls the services as staff would
    reset_settings_cache()
    # given a customer opening the Mini App from a product link inside Telegram
    page = new_page(390, 844)
    page.add_init_script(_telegram(_init_data(CUSTOMER_TG_ID, f"p{candle}"), CUSTOMER_TG_ID))
    page.goto("/")
    # then the product card opens, with its variants
    expect(page.get_by_role("heading", name="Свеча «Тест»")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-tg-buttons", "1")
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-button-color')"
                         ).strip() == "#2481cc"  # Telegram's theme
    # when they add both variants with Telegram's main button
    page.locator('[data-variant="100 мл"]').click()
    press_main(page, "В корзину")
    expect(page.locator("#sf-notice")).to_contain_text("100 мл")
    page.locator('[data-variant="200 мл"]').click()
    press_main(page, "В корзину")
    expect(page.locator("#sf-cart-count")).to_have_text("2")
    assert "success" in page.evaluate("__tg.haptics")
    shot(page, "storefront-product")
    # and open the cart and apply a promo code
    page.locator("#sf-tab-cart").click()
    expect(page.locator("[data-line]")).to_have_count(2)
    page.locator("#sf-promo").fill("AROMA15")
    page.get_by_role("button", name="Применить").click()
    expect(page.locator("#sf-breakdown")).to_contain_text("Промокод")
    expect(page.locator("#sf-total")).to_have_text("1\u00a0360\u00a0₽")  # 1 600 ₽ − 15 %
    shot(page, "storefront-cart")
    # and check out: contacts, courier with a live quote, no extras, the summary
    press_main(page, "Оформить заказ")
    page.locator("#sf-name").fill("Ольга Иванова")
    page.locator("#sf-phone").fill("+7 999 000-11-22")
    page.wait_for_function("() => __tg.closing === true")  # closing the half-filled checkout asks first
    press_main(page, "Далее")
    expect(page.locator("#sf-address")).to_be_visible()
    page.get_by_role("radio", name="Курьер").click()
    page.locator("#sf-address").fill("Москва, ул. Тверская, 1")
    expect(page.locator("#sf-quote")).to_contain_text("₽")
    press_main(page, "Далее")
    expect(page.locator("#sf-certificate")).to_be_visible()
    press_main(page, "Далее")
    expect(page.locator("#sf-payment-step")).to_contain_text("Оплата — на экране заказа сразу после оформления")
    expect(page.locator("#sf-breakdown")).to_contain_text("Доставка")
    shot(page, "storefront-summary")
    # when they tap "place" twice in a row
    press_main(page, "Подтвердить заказ", times=2)
    # then one order is placed and its screen opens
    expect(page.locator("#sf-order-title")).to_contain_text("Заказ №")
    expect(page.locator("#sf-order-status")).to_contain_text("Новый")
    with Session(miniapp_db) as s:
        placed = s.exec(select(Order).where(Order.contact_name == "Ольга Иванова")).all()
        assert len(placed) == 1 and placed[0].delivery_type == "courier" and placed[0].delivery_minor > 0
        order_id = placed[0].id
    # and it is in My orders
    press_back(page)
    expect(page.locator(f'[data-order="{order_id}"]')).to_contain_text("Новый")
    # when staff move the order, the open screen follows without a reload
    with Session(miniapp_db) as s:
        orders.transition(s, actor=SYSTEM, order_id=order_id, to_status="paid")
    expect(page.locator(f'[data-order="{order_id}"]')).to_contain_text("Оплачен", timeout=15_000)
    shot(page, "storefront-orders")


def test_forged_init_data_sees_the_refusal_screen(new_page, miniapp_db):
    page = new_page(390, 844)
    # given init data signed for one user with that user's id changed afterwards
    genuine = _init_data(CUSTOMER_TG_ID + 1)
    forged = genuine.replace(str(CUSTOMER_TG_ID + 1), str(CUSTOMER_TG_ID + 2))
    assert forged != genuine
    page.add_init_script(_telegram(forged, CUSTOMER_TG_ID + 1))
    page.goto("/")
    expect(page.get_by_role("heading", name="Не удалось войти")).to_be_visible()
    expect(page.get_by_text(re.compile("Telegram"))).not_to_have_count(0)
    shot(page, "storefront-refused")
    from smo_app.models.customer import Customer

    with Session(miniapp_db) as s:
        assert s.exec(select(Customer).where(Customer.telegram_id.in_([CUSTOMER_TG_ID + 1, CUSTOMER_TG_ID + 2]))).first() is None


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_a_plain_browser_in_demo_mode_signs_in_a_demo_customer(new_page, miniapp_db):
    # given a customer opening the Mini App's address in a plain browser (the app runs in demo mode)
    page = new_page(390, 844)
    errors = _console_errors(page)
    page.goto("/")
    # then the shop greets them by its name and offers its bot, and the demo sign-in
    expect(page.get_by_role("heading", name="Аромалавка")).to_be_visible()
    expect(page.get_by_role("link", name="Открыть магазин в Telegram")).to_have_attribute(
        "href", re.compile(r"^https://t\.me/\w+$"))
    page.wait_for_load_state("networkidle")
    assert errors == []  # no hydration mismatch or any other error
    # and English is a click away
    page.get_by_role("radio", name="EN").click()
    expect(page.get_by_role("link", name="Open the shop in Telegram")).to_be_visible()
    page.get_by_role("button", name="Sign in as a demo customer").click()
    # then the catalog opens with ordinary buttons (no Telegram here)
    expect(page.get_by_role("searchbox")).to_be_visible()
    page.get_by_role("searchbox").fill("Тест")
    expect(page.locator("[data-product]")).to_have_count(1)
    shot(page, "storefront-browser-catalog")
