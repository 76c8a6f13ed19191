"""The owner switches YooKassa on from the Payments set-up screen (no keys in the environment), checks
the keys typed before saving them, saves; then a customer pays an order by YooKassa (Chromium).

The app runs with YooKassa's API address pointed at the fake YooKassa on a local port, but without
keys or methods in the environment: until the owner saves the keys, the Mini App offers no YooKassa.
The fake's confirmation URL is its own local payment page; the customer presses "Оплатить" there and
the fake notifies the shop's webhook, which fetches the payment back before crediting it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from integrations.fakeserver import LocalServer
from integrations.yookassa.fake import DEMO_SECRET_KEY, DEMO_SHOP_ID, FakeYooKassa
from smo_app.models.orders import Order
from smo_app.models.staff import Staff
from smo_app.services.core.actor import Actor
from smo_app.services.payments.manual import decide_manual_payment, submit_proof
from smo_app.services.sales import orders
from smo_app.services.stock import ledger
from smo_app.settings import get_settings
from tests.commerce_factories import make_product, place, variant_id
from tests.e2e.conftest import pages, serve_app, shot
from tests.e2e.helpers import make_staff_member, sign_in_backoffice
from tests.e2e.miniapp import MINI_APP_BOT_TOKEN
from tests.e2e.test_storefront_payment import _order_opened_from_my_orders
from tests.factories import make_customer

pytestmark = pytest.mark.e2e

CUSTOMER_TG_ID = 6_200_000_001
YOOKASSA = "Банковская карта или СБП (ЮKassa)"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    fake = FakeYooKassa()
    server = LocalServer(fake.handle).start()
    fake.page_url = server.base_url
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-owner-switch') / 'smo.db'}"
    env = {"SMO_BOT_TOKEN": MINI_APP_BOT_TOKEN, "SMO_YOOKASSA_MODE": "live", "SMO_YOOKASSA_BASE_URL": server.base_url,
           "SMO_CDEK_MODE": "off", "SMO_DADATA_MODE": "off"}
    try:
        with serve_app(db_url, env, log_name="e2e-owner-switch.log") as base:
            fake.notify_url = f"{base}/api/payments/yookassa/webhook"
            yield base, db_url, fake
    finally:
        server.stop()


@pytest.fixture(scope="module")
def app_url(shop):
    return shop[0]


def _on_payments_tab(page: Page, base: str, login: str, password: str, tab: str) -> None:
    sign_in_backoffice(page, login, password)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto(f"{base}/admin/payments")
    page.get_by_role("tab", name=tab).click()


def test_the_owner_switches_yookassa_on_from_the_screen_and_a_customer_pays_with_it(browser, shop):
    from sqlalchemy import create_engine

    base, db_url, fake = shop
    engine = create_engine(db_url)
    make_staff_member(db_url, "olga_switch", "olga-switch-secret-1", full_name="Ольга Хозяйка", role="owner")
    with Session(engine) as s:
        product_id = make_product(s, name="Свеча «ЮKassa»", price_minor=90000, qty=5).id
    with pages(browser, base) as new_page:
        owner: Page = new_page(1280, 900)
        _on_payments_tab(owner, base, "olga_switch", "olga-switch-secret-1", "Настройка")
        # given no keys anywhere: the check says to enter them
        expect(owner.locator("#setup-key-yookassa_shop_id")).to_be_enabled()
        # when the owner types the shop's keys and checks them before saving
        owner.locator("#setup-key-yookassa_shop_id").fill(DEMO_SHOP_ID)
        owner.locator("#setup-key-yookassa_secret_key").fill(DEMO_SECRET_KEY)
        owner.locator("#setup-key-yookassa_secret_key").blur()
        owner.locator("#setup-check-yookassa").click()
        # then YooKassa (its fake, over HTTP) answers for the keys just typed
        result = owner.locator("#setup-check-result")
        expect(result).to_contain_text("Подключение работает")
        expect(result).to_contain_text(DEMO_SHOP_ID)
        # when they switch YooKassa on and save
        owner.locator("#setup-method-yookassa").click()
        owner.locator("#setup-save-providers").click()
        expect(owner.get_by_text("Сохранено.")).to_be_visible()
        expect(owner.get_by_text(re.compile("••••cret"))).to_be_visible()  # the key, masked
        shot(owner, "payments-owner-switched-yookassa-on")

        # and a customer opens their new order in the Mini App
        customer: Page = new_page(390, 844)
        order_id = _order_opened_from_my_orders(customer, engine, product_id, CUSTOMER_TG_ID, "Ира Клиентова",
                                                "+7 999 000-44-55")
        # then YooKassa is offered; paying opens the fake's local payment page (not yoomoney.ru)
        methods = customer.get_by_role("radiogroup", name="Выберите способ оплаты")
        methods.get_by_role("radio", name=YOOKASSA).click()
        customer.get_by_role("button", name=re.compile("^Оплатить")).click()
        customer.wait_for_function("() => __tg.links.length >= 1", timeout=15_000)
        link = customer.evaluate("() => __tg.links[0]")
        assert link.startswith(f"{fake.page_url}/checkout/"), link
        # when the customer presses "Оплатить" on that page
        checkout = new_page(390, 844)
        checkout.goto(link)
        shot(checkout, "payments-demo-yookassa-page")
        checkout.locator("#pay").click()
        # then the open order screen turns paid by itself
        expect(customer.get_by_text("Оплачен", exact=True)).to_be_visible(timeout=20_000)
        shot(customer, "payments-owner-switch-paid")
    with Session(engine) as s:
        assert s.get(Order, order_id).status == "paid"
    engine.dispose()


def test_the_owner_restores_an_order_cancelled_by_hand_whose_transfer_was_confirmed(browser, shop):
    """A transfer screenshot confirmed after a manager cancelled the order: the Payments screen offers
    "Восстановить заказ" while the goods are there, and says why not when the last unit was sold."""
    from sqlalchemy import create_engine

    base, db_url, _fake = shop
    engine = create_engine(db_url)
    make_staff_member(db_url, "olga_restore", "olga-restore-secret-1", full_name="Ольга Восстанова", role="owner")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    made = []
    with Session(engine) as s:
        staff = s.exec(select(Staff).where(Staff.username == "olga_restore")).one()
        owner = Actor.staff(staff.id, staff.role, staff.full_name)
        for name, qty in (("Свеча «Вернётся»", 3), ("Свеча «Последняя»", 1)):
            vid = variant_id(make_product(s, name=name, price_minor=50000, qty=qty))
            customer = make_customer(s)
            order = place(s, customer.id, {vid: 1}, delivery_type="pickup")
            sent = submit_proof(s, actor=Actor.customer(customer.id), order_id=order.id, filename="pay.png",
                                content=png, settings=get_settings().model_copy(update={"payment_methods": "manual"}))
            orders.cancel_order(s, actor=owner, order_id=order.id, reason="не дозвонились")
            decide_manual_payment(s, actor=owner, payment_id=sent.id, accept=True)
            made.append((order.id, vid))
        # the last unit of the second one is sold at the till meanwhile
        ledger.apply_move(s, actor=Actor.system("pos"), variant_id=made[1][1], delta=-1, kind="sale")
        s.commit()
    (restorable, _), (gone, _) = made
    with pages(browser, base) as new_page:
        page: Page = new_page(1280, 900)
        _on_payments_tab(page, base, "olga_restore", "olga-restore-secret-1", "Незачисленные")
        row = page.locator(".payment-letter-row", has=page.get_by_role("cell", name=str(restorable), exact=True))
        sold_out = page.locator(".payment-letter-row", has=page.get_by_role("cell", name=str(gone), exact=True))
        expect(sold_out.locator(".restore-why-not")).to_contain_text("Восстановить нельзя. Товара уже нет на складе")
        expect(row.locator(".restore-why-not")).to_have_count(0)
        shot(page, "payments-restore-offered")
        row.get_by_label("Что сделать").select_option(label="Восстановить заказ")
        row.get_by_label("Комментарий").fill("клиент всё ещё ждёт")
        row.get_by_role("button", name="Выполнить").click()
        expect(row).to_have_count(0)
        shot(page, "payments-restored")
    with Session(engine) as s:
        assert s.get(Order, restorable).status == "paid" and s.get(Order, gone).status == "cancelled"
    engine.dispose()
