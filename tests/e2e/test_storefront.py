"""The Mini App in Chromium at 390×844 with an injected ``window.Telegram.WebApp`` whose initData
is signed by the test with a test bot token (the app runs with that token), delivery quotes from
the CDEK fake served on a local port. Telegram's MainButton and BackButton are the test's stubs:
the test presses them as the customer would press Telegram's buttons."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, create_engine, select

from integrations.cdek.fake import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FakeCdek
from integrations.fakeserver import LocalServer
from smo_app.models.orders import Order
from smo_app.services.catalog import products as catalog
from smo_app.services.core.actor import Actor
from smo_app.services.customers.telegram_init_data import sign_init_data
from smo_app.services.sales import orders
from smo_app.services.stock import supplies
from smo_app.settings import reset_settings_cache
from tests.e2e import conftest
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

BOT_TOKEN = "7000000001:AAe2eTestTokenOfTheShopBot"
CUSTOMER_TG_ID = 6_000_000_001
SYSTEM = Actor.system("e2e")


@pytest.fixture(scope="module")
def cdek_server():
    server = LocalServer(FakeCdek().handle).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sf_db_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-storefront') / 'smo.db'}"


@pytest.fixture(scope="module")
def app_url(sf_db_url, cdek_server):
    """The app as conftest starts it, plus the test bot token and CDEK pointed at the local fake."""
    base_env = conftest._app_env
    conftest._app_env = lambda url: {
        **base_env(url), "SMO_BOT_TOKEN": BOT_TOKEN, "SMO_CDEK_MODE": "live",
        "SMO_CDEK_BASE_URL": cdek_server.base_url, "SMO_CDEK_CLIENT_ID": DEMO_CLIENT_ID,
        "SMO_CDEK_CLIENT_SECRET": DEMO_CLIENT_SECRET, "SMO_DADATA_MODE": "fake",
    }
    started = conftest.app_url._get_wrapped_function()(sf_db_url)
    try:
        yield next(started)
    finally:
        conftest._app_env = base_env
        started.close()


@pytest.fixture(scope="module")
def shop_db(app_url, sf_db_url):
    engine = create_engine(sf_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def candle(shop_db) -> int:
    """A product with two variants in stock."""
    with Session(shop_db) as s:
        p = catalog.create_product(s, actor=SYSTEM, name="Свеча «Тест»", description="Соевый воск, хлопковый фитиль.",
                                   variants=[{"label": "100 мл", "price_minor": 60000, "weight_g": 250},
                                             {"label": "200 мл", "price_minor": 100000, "weight_g": 450}])
        supplier = supplies.create_supplier(s, actor=SYSTEM, name="E2E supplier")
        supplies.receive_supply(s, actor=SYSTEM, supplier_id=supplier.id, items=[
            {"variant_id": v.id, "qty": 10, "total_minor": 10 * 20000} for v in p.variants])
        return p.id


def _telegram(init_data: str, user_id: int) -> str:
    """window.Telegram.WebApp as Telegram gives it, with MainButton/BackButton the test can press."""
    return """
window.__tg = {main: {text: '', visible: false, active: true, cb: null, progress: false},
               back: {visible: false, cb: null}, haptics: [], closing: false};
window.Telegram = {WebApp: {
  initData: %s, initDataUnsafe: {user: {id: %d, language_code: 'ru'}}, platform: 'ios', version: '8.0',
  themeParams: {bg_color: '#ffffff', text_color: '#111111', button_color: '#2481cc', hint_color: '#999999'},
  ready() {}, expand() {},
  MainButton: {
    setParams(p) { if ('text' in p) __tg.main.text = p.text; if ('is_visible' in p) __tg.main.visible = p.is_visible;
                   if ('is_active' in p) __tg.main.active = p.is_active; },
    show() { __tg.main.visible = true; }, hide() { __tg.main.visible = false; }, onClick(cb) { __tg.main.cb = cb; },
    showProgress() { __tg.main.progress = true; }, hideProgress() { __tg.main.progress = false; }},
  BackButton: {show() { __tg.back.visible = true; }, hide() { __tg.back.visible = false; },
               onClick(cb) { __tg.back.cb = cb; }},
  HapticFeedback: {impactOccurred(k) { __tg.haptics.push('impact'); }, selectionChanged() { __tg.haptics.push('select'); },
                   notificationOccurred(k) { __tg.haptics.push(k); }},
  enableClosingConfirmation() { __tg.closing = true; }, disableClosingConfirmation() { __tg.closing = false; },
  openTelegramLink(url) { __tg.opened = url; },
}};
""" % (json.dumps(init_data), user_id)


def _init_data(user_id: int, start_param: str | None = None) -> str:
    fields = {"user": json.dumps({"id": user_id, "first_name": "Ольга", "language_code": "ru"}),
              "auth_date": str(int(datetime.now(timezone.utc).timestamp()))}
    if start_param:
        fields["start_param"] = start_param
    return sign_init_data(fields, bot_token=BOT_TOKEN)


def press_main(page: Page, text: str, *, times: int = 1) -> None:
    """Press Telegram's MainButton once it says ``text`` and is active."""
    page.wait_for_function("t => __tg.main.visible && __tg.main.active && __tg.main.text === t && __tg.main.cb",
                           arg=text, timeout=15_000)
    page.evaluate("n => { for (let i = 0; i < n; i++) __tg.main.cb(); }", times)


def press_back(page: Page) -> None:
    page.wait_for_function("() => __tg.back.visible && __tg.back.cb", timeout=15_000)
    page.evaluate("() => __tg.back.cb()")


def test_a_customer_shops_from_a_product_link_to_a_placed_order_that_follows_staff(new_page, shop_db, candle,
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
    with Session(shop_db) as s:
        placed = s.exec(select(Order).where(Order.contact_name == "Ольга Иванова")).all()
        assert len(placed) == 1 and placed[0].delivery_type == "courier" and placed[0].delivery_minor > 0
        order_id = placed[0].id
    # and it is in My orders
    press_back(page)
    expect(page.locator(f'[data-order="{order_id}"]')).to_contain_text("Новый")
    # when staff move the order, the open screen follows without a reload
    with Session(shop_db) as s:
        orders.transition(s, actor=SYSTEM, order_id=order_id, to_status="paid")
    expect(page.locator(f'[data-order="{order_id}"]')).to_contain_text("Оплачен", timeout=15_000)
    shot(page, "storefront-orders")


def test_forged_init_data_sees_the_refusal_screen(new_page, shop_db):
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

    with Session(shop_db) as s:
        assert s.exec(select(Customer).where(Customer.telegram_id.in_([CUSTOMER_TG_ID + 1, CUSTOMER_TG_ID + 2]))).first() is None


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_a_plain_browser_in_demo_mode_signs_in_a_demo_customer(new_page, shop_db):
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
