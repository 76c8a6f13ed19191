"""The owner switches YooKassa (and Stripe) on from the Payments set-up screen (no keys in the
environment), checks the keys typed before saving them, saves; then a customer pays an order by
YooKassa, another by Stripe (Chromium).

The app runs with YooKassa's API address pointed at the fake YooKassa on a local port, but without
keys or methods in the environment: until the owner saves the keys, the Mini App offers no YooKassa.
The fake's confirmation URL is its own local payment page; the customer presses "Оплатить" there and
the fake notifies the shop's webhook, which fetches the payment back before crediting it. Stripe's
API address points at the fake Stripe likewise: paying creates a Checkout Session whose page is the
fake's local checkout page; its "Оплатить" sends the signed ``checkout.session.completed`` event."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from integrations.fakeserver import LocalServer
from integrations.stripe.fake import FakeStripe
from integrations.yookassa.fake import DEMO_SECRET_KEY, DEMO_SHOP_ID, FakeYooKassa
from smo_app.models.orders import Order
from smo_app.models.payments import Payment
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
STRIPE = "Банковская карта (Stripe)"
STRIPE_CUSTOMER_TG_ID = 6_200_000_002
STRIPE_KEY, STRIPE_WEBHOOK_SECRET = "sk_test_OwnerSwitchKey1", "whsec_OwnerSwitchSecret1"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    fake = FakeYooKassa()
    server = LocalServer(fake.handle).start()
    fake.page_url = server.base_url
    stripe = FakeStripe(api_key=STRIPE_KEY, webhook_secret=STRIPE_WEBHOOK_SECRET)
    stripe_server = LocalServer(stripe.handle).start()
    stripe.page_url = stripe_server.base_url
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-owner-switch') / 'smo.db'}"
    env = {"SMO_BOT_TOKEN": MINI_APP_BOT_TOKEN, "SMO_YOOKASSA_MODE": "live", "SMO_YOOKASSA_BASE_URL": server.base_url,
           "SMO_STRIPE_MODE": "live", "SMO_STRIPE_BASE_URL": stripe_server.base_url,
           "SMO_CDEK_MODE": "off", "SMO_DADATA_MODE": "off"}
    try:
        with serve_app(db_url, env, log_name="e2e-owner-switch.log") as base:
            fake.notify_url = f"{base}/api/payments/yookassa/webhook"
            stripe.notify_url = f"{base}/api/payments/stripe/webhook"
            yield base, db_url, fake, stripe
    finally:
        server.stop()
        stripe_server.stop()


@pytest.fixture(scope="module")
def app_url(shop):
    return shop[0]


def _on_payments_tab(page: Page, base: str, login: str, password: str, tab: str) -> None:
    sign_in_backoffice(page, login, password)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto(f"{base}/admin/payments")
    page.get_by_role("tab", name=tab).click()


def _owner_and_candle(db_url: str, login: str, password: str, full_name: str, candle: str, price_minor: int):
    """An owner and a candle in stock: the engine and the candle's id."""
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    make_staff_member(db_url, login, password, full_name=full_name, role="owner")
    with Session(engine) as s:
        return engine, make_product(s, name=candle, price_minor=price_minor, qty=5).id


def _owner_saves_keys(owner: Page, provider: str, keys: dict[str, str]) -> None:
    """The owner types ``keys`` (field name -> value), checks them with the provider, then switches
    ``provider`` on and saves."""
    for name, value in keys.items():
        owner.locator(f"#setup-key-{name}").fill(value)
    owner.locator(f"#setup-key-{name}").blur()
    owner.locator(f"#setup-check-{provider}").click()
    expect(owner.locator("#setup-check-result")).to_contain_text("Подключение работает")
    owner.locator(f"#setup-method-{provider}").click()
    owner.locator("#setup-save-providers").click()
    expect(owner.get_by_text("Сохранено.")).to_be_visible()


def _customer_pays_on_the_page(new_page, customer: Page, method: str, page_prefix: str) -> Page:
    """On the open order the customer picks ``method`` and pays: Telegram is asked to open a link
    starting with ``page_prefix`` (the fake's local page), where they press "Оплатить"."""
    methods = customer.get_by_role("radiogroup", name="Выберите способ оплаты")
    methods.get_by_role("radio", name=method).click()
    customer.get_by_role("button", name=re.compile("^Оплатить")).click()
    customer.wait_for_function("() => __tg.links.length >= 1", timeout=15_000)
    link = customer.evaluate("() => __tg.links[0]")
    assert link.startswith(page_prefix), link
    checkout = new_page(390, 844)
    checkout.goto(link)
    return checkout


def _pay_there_and_see_it_paid(checkout: Page, customer: Page, shots: tuple[str, str]) -> None:
    """The customer presses "Оплатить" on the provider's page; their open order turns paid by itself."""
    shot(checkout, shots[0])
    checkout.locator("#pay").click()
    expect(customer.get_by_text("Оплачен", exact=True)).to_be_visible(timeout=20_000)
    shot(customer, shots[1])


def test_the_owner_switches_yookassa_on_from_the_screen_and_a_customer_pays_with_it(browser, shop):
    base, db_url, fake, _stripe = shop
    engine, product_id = _owner_and_candle(db_url, "olga_switch", "olga-switch-secret-1", "Ольга Хозяйка",
                                           "Свеча «ЮKassa»", 90000)
    with pages(browser, base) as new_page:
        owner: Page = new_page(1280, 900)
        _on_payments_tab(owner, base, "olga_switch", "olga-switch-secret-1", "Настройка")
        # given no keys anywhere: the check says to enter them
        expect(owner.locator("#setup-key-yookassa_shop_id")).to_be_enabled()
        # when the owner types the shop's keys, checks them before saving (YooKassa's fake, over HTTP,
        # answers for the keys just typed), switches YooKassa on and saves
        _owner_saves_keys(owner, "yookassa", {"yookassa_shop_id": DEMO_SHOP_ID, "yookassa_secret_key": DEMO_SECRET_KEY})
        expect(owner.locator("#setup-check-result")).to_contain_text(DEMO_SHOP_ID)
        expect(owner.get_by_text(re.compile("••••cret"))).to_be_visible()  # the key, masked
        shot(owner, "payments-owner-switched-yookassa-on")

        # and a customer opens their new order in the Mini App
        customer: Page = new_page(390, 844)
        order_id = _order_opened_from_my_orders(customer, engine, product_id, CUSTOMER_TG_ID, "Ира Клиентова",
                                                "+7 999 000-44-55")
        # then YooKassa is offered; paying opens the fake's local payment page (not yoomoney.ru)
        checkout = _customer_pays_on_the_page(new_page, customer, YOOKASSA, f"{fake.page_url}/checkout/")
        # when the customer presses "Оплатить" on that page, then the open order screen turns paid by itself
        _pay_there_and_see_it_paid(checkout, customer, ("payments-demo-yookassa-page", "payments-owner-switch-paid"))
    with Session(engine) as s:
        assert s.get(Order, order_id).status == "paid"
    engine.dispose()


def test_the_owner_switches_stripe_on_and_a_customer_pays_on_its_checkout_page(browser, shop):
    base, db_url, _fake, stripe = shop
    engine, product_id = _owner_and_candle(db_url, "olga_stripe", "olga-stripe-secret-1", "Ольга Страйп",
                                           "Свеча «Stripe»", 70000)
    with pages(browser, base) as new_page:
        owner: Page = new_page(1280, 900)
        _on_payments_tab(owner, base, "olga_stripe", "olga-stripe-secret-1", "Настройка")
        # when the owner types Stripe's keys, checks them, switches Stripe on and saves
        _owner_saves_keys(owner, "stripe", {"stripe_api_key": STRIPE_KEY, "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET})

        # and a customer opens their new order in the Mini App and pays by Stripe
        customer: Page = new_page(390, 844)
        order_id = _order_opened_from_my_orders(customer, engine, product_id, STRIPE_CUSTOMER_TG_ID, "Стас Картов",
                                                "+7 999 000-66-77")
        # then Telegram is asked to open the Checkout Session's page (a link, not a client secret)
        checkout = _customer_pays_on_the_page(new_page, customer, STRIPE, f"{stripe.page_url}/c/pay/cs_")
        expect(checkout.locator("#sum")).to_have_text("700.00 RUB")
        # when the customer presses "Оплатить" on that page, then the open order screen turns paid, once
        _pay_there_and_see_it_paid(checkout, customer, ("payments-demo-stripe-page", "payments-stripe-paid"))
    with Session(engine) as s:
        assert s.get(Order, order_id).status == "paid"
        assert [p.status for p in s.exec(select(Payment).where(Payment.order_id == order_id)).all()] == ["succeeded"]
    engine.dispose()


def test_the_owner_restores_an_order_cancelled_by_hand_whose_transfer_was_confirmed(browser, shop):
    """A transfer screenshot confirmed after a manager cancelled the order: the Payments screen offers
    "Восстановить заказ" while the goods are there, and says why not when the last unit was sold."""
    from sqlalchemy import create_engine

    base, db_url, _fake, _stripe = shop
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
