"""The owner's payment set-up in the backoffice (Chromium), on the Mini App's app whose YooKassa
runs against the fake YooKassa API on a local port (conftest.miniapp): the keys come from the
environment there, so the screen says so; "check connection" asks the fake over HTTP and answers
in words; the transfer details the owner saves are what the customer's order shows."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import shot
from tests.e2e.helpers import make_staff_member, sign_in_backoffice

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_url(miniapp):
    return miniapp.url


def test_the_owner_checks_yookassa_and_enters_the_transfer_details(new_page, miniapp, miniapp_db):
    from integrations.yookassa.fake import DEMO_SHOP_ID
    from smo_app.services.payments.setup import transfer_for_order

    make_staff_member(miniapp.db_url, "olga_pay", "olga-pay-secret-1", full_name="Ольга Платёжная", role="owner")
    page: Page = new_page(1280, 900)
    sign_in_backoffice(page, "olga_pay", "olga-pay-secret-1")
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto(f"{miniapp.url}/admin/payments")
    page.get_by_role("tab", name="Настройка").click()
    # the YooKassa keys come from the environment here: the screen says so and does not show them
    expect(page.get_by_text(re.compile("задано в окружении")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"/api/payments/yookassa/webhook"))).to_be_visible()
    # when the owner checks the connection, YooKassa (its fake, over HTTP) answers who the shop is
    page.locator("#setup-check-yookassa").click()
    result = page.locator("#setup-check-result")
    expect(result).to_contain_text("Подключение работает")
    expect(result).to_contain_text(DEMO_SHOP_ID)
    shot(page, "payments-setup-check")
    # when they enter transfer details with a bad account, they are told which field is wrong
    page.get_by_label("Получатель").fill("ИП Платёжная О. В.")
    page.get_by_label("Счёт, карта или телефон для СБП").fill("12ab")
    page.locator("#setup-save").click()
    expect(page.locator("#setup-error")).to_contain_text("от 10 до 34 цифр")
    # and then correct it and save
    page.get_by_label("Счёт, карта или телефон для СБП").fill("4081 7810 0000 0000 0001")
    page.get_by_label("Ссылка СБП для QR-кода").fill("https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2")
    page.locator("#setup-save").click()
    expect(page.get_by_text("Сохранено.")).to_be_visible()
    shot(page, "payments-setup-transfer")
    # then a customer's order shows them
    with Session(miniapp_db) as s:
        shown = transfer_for_order(s, 42)
    assert (shown.recipient, shown.account, shown.comment) == ("ИП Платёжная О. В.", "40817810000000000001", "Заказ №42")
