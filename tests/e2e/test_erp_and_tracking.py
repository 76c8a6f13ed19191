"""Browser journeys of issue 20: the owner connects MoySklad on its screen, presses "sync now" and sees
the products and the status panel; a customer's paid order shows its CDEK tracking number; the
order card prints the waybill. On an app of their own (the sync adds MoySklad's items to the catalog)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import pages, serve_app, shot
from tests.e2e.helpers import sign_in_owner

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def erp_app(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e-erp') / 'smo.db'}"
    with serve_app(db, log_name="e2e-erp-app.log") as base:
        yield base


@pytest.fixture
def page_at(browser, erp_app):
    with pages(browser, erp_app) as make:
        yield make


def test_the_owner_connects_moysklad_syncs_and_sees_products_and_the_panel(page_at):
    page = page_at()
    sign_in_owner(page)
    page.get_by_role("navigation").get_by_role("link", name="МойСклад").click()
    expect(page.get_by_role("heading", name="Синхронизация с МоимСкладом")).to_be_visible()
    expect(page.locator("#erp-last-full")).to_have_text("ещё не было")
    # turning sync on without a token is refused with a clear message, nothing saved
    page.get_by_role("checkbox", name="Синхронизация включена").click()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_contain_text("Введите токен")
    # a wrong token is refused by MoySklad
    page.get_by_label("Токен доступа МоегоСклада").fill("not-the-token")
    page.get_by_role("button", name="Проверить подключение").click()
    expect(page.get_by_role("alert")).to_contain_text("не принял токен")
    # the right one lists MoySklad's stores; saved with sync on
    page.get_by_label("Токен доступа МоегоСклада").fill("demo-moysklad-token")
    page.get_by_role("button", name="Проверить подключение").click()
    expect(page.get_by_text(re.compile("Подключение работает"))).to_be_visible()
    expect(page.get_by_label("Склад", exact=True)).to_have_value(re.compile(".+"))
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Настройки МоегоСклада сохранены.")).to_be_visible()
    # sync now (a double tap runs one pull)
    page.get_by_role("button", name="Синхронизировать сейчас").dblclick()
    expect(page.get_by_text(re.compile("Готово: 4 позиций"))).to_be_visible()
    expect(page.locator("#erp-last-full")).to_contain_text("успешно")
    expect(page.locator(".erp-run")).to_have_count(2)  # the full pull and the order sweep: one pull only
    shot(page, "erp-panel-after-sync")
    # the products are in the catalog
    page.goto("/admin/catalog")
    expect(page.get_by_text("Диффузор «Бергамот»").first).to_be_visible()
    # after a reload the panel still says so
    page.goto("/admin/erp")
    expect(page.locator("#erp-linked")).to_have_text("4")


def test_a_paid_cdek_order_shows_its_tracking_number_to_the_customer_and_on_the_card(page_at):
    phone = page_at(390, 844)
    phone.goto("/")
    phone.get_by_role("button", name=re.compile("демо", re.I)).click()
    expect(phone.get_by_role("searchbox")).to_be_visible()
    phone.get_by_role("button", name=re.compile("Заказы")).click()
    phone.locator("[data-order]").first.click()
    expect(phone.locator("#sf-tracking")).to_have_text(re.compile(r"^\d{6,}$"))
    expect(phone.get_by_role("link", name="Отследить")).to_have_attribute("href", re.compile(r"cdek\.ru/.+order_id=\d+"))
    number = phone.locator("#sf-tracking").inner_text()
    order = re.search(r"\d+", phone.get_by_role("heading", name=re.compile("Заказ №")).inner_text()).group(0)
    shot(phone, "miniapp-order-tracking")
    # the order card shows the same number, the carrier's status and prints the waybill
    page = page_at()
    sign_in_owner(page)
    page.goto("/admin/orders")
    page.get_by_text(f"№{order}").first.click()
    expect(page.locator("#order-tracking")).to_have_value(number)
    expect(page.locator("#order-shipment")).to_contain_text("СДЭК")
    expect(page.locator("#order-shipment")).to_contain_text("Статус доставки:")
    expect(page.locator("#order-shipment")).not_to_contain_text(re.compile(r"\b[A-Z_]{4,}\b"))  # never CDEK's code
    with page.expect_download() as download:
        page.get_by_role("button", name="Печать накладной").click()
    assert open(download.value.path(), "rb").read(4) == b"%PDF"
