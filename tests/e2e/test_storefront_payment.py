"""Paying for an order in the Mini App (Chromium, 390×844, inside the Telegram stub of
tests/e2e/miniapp.py) through YooKassa, end to end on the real wire format.

The app runs with YooKassa in live mode against the fake YooKassa API served on a local port
(conftest.miniapp): the app's client creates the payment over HTTP, Telegram is asked to open
YooKassa's payment page, the test plays the customer on that page (the fake's ``pay``/``cancel``)
and then YooKassa itself, POSTing the notification to the app's webhook; the app trusts it only
after fetching the payment back from the fake. The customer's Telegram is the fake Bot API the
sidecar's outbox sender delivers to."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from smo_app.models.catalog import Variant
from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.payments import Payment
from tests.commerce_factories import make_product, place
from tests.e2e.conftest import shot
from tests.e2e.miniapp import open_in_telegram, press_main

pytestmark = pytest.mark.e2e

PAYER_TG_ID = 6_100_000_001
CANCELLER_TG_ID = 6_100_000_002
YOOKASSA = "Банковская карта или СБП (ЮKassa)"
PAID_TEXT = "Заказ оплачен. Спасибо!"
CANCELLED_TEXT = "Оплата отменена. Можно попробовать ещё раз или выбрать другой способ."
WAITING_TEXT = "Ждём подтверждения оплаты…"


@pytest.fixture(scope="module")
def app_url(miniapp):
    return miniapp.url


@pytest.fixture(scope="module")
def diffuser(miniapp_db) -> int:
    """A one-variant product in stock: 1 200 ₽."""
    with Session(miniapp_db) as s:
        return make_product(s, name="Диффузор «Оплата»", price_minor=120000, qty=10).id


@pytest.fixture
def fake_tg():
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    yield fake
    fake.stop()


def _same_page(page: Page) -> list[str]:
    """Mark the loaded document; the returned list collects every later document load."""
    page.evaluate("() => { window.__samePage = true; }")
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    return loads


def _yookassa_page(page: Page, count: int) -> str:
    """The ``count``-th payment page the app asked Telegram to open: YooKassa's payment id."""
    page.wait_for_function("n => __tg.links.length >= n", arg=count, timeout=15_000)
    url = page.evaluate("n => __tg.links[n - 1]", count)
    assert url.startswith("https://yoomoney.ru/checkout/"), url
    return parse_qs(urlparse(url).query)["orderId"][0]


def _yookassa_notifies(app_url: str, yookassa, event: str, payment_id: str) -> None:
    """YooKassa POSTs its notification (its own JSON) to the shop's webhook."""
    r = httpx.post(f"{app_url}/api/payments/yookassa/webhook", content=yookassa.notification(event, payment_id),
                   headers={"Content-Type": "application/json"}, timeout=15)
    assert r.status_code == 200 and r.json()["outcome"] == "processed", r.text


def _deliver_to(engine, fake, chat_id: int) -> list[str]:
    """Run the sidecar's outbox sender against the fake Bot API until nothing waits for ``chat_id``;
    the texts that chat received."""
    from tests.bot.conftest import make_settings
    from tests.bot.sender_support import WAITING, count, run_senders

    settings = make_settings(fake, engine.url.render_as_string(hide_password=False))
    # the sender runs its own event loop: in a thread, away from Playwright's
    with ThreadPoolExecutor(1) as pool:
        pool.submit(run_senders, settings, lambda: Session(engine, expire_on_commit=False), timeout=30,
                    until=lambda: count(engine, Outbox.chat_id == chat_id, Outbox.status.in_(WAITING)) == 0).result()
    return [m["params"].get("text") or "" for m in fake.sent(chat_id)]


def _order_opened_from_my_orders(page: Page, miniapp_db, diffuser: int, telegram_id: int, contact_name: str,
                                 phone: str) -> int:
    """A customer with a new order (placed earlier, pickup) opens it from My orders: its id."""
    open_in_telegram(page, telegram_id)
    expect(page.get_by_role("searchbox")).to_be_visible()
    with Session(miniapp_db) as s:
        customer_id = s.exec(select(Customer.id).where(Customer.telegram_id == telegram_id)).one()
        vid = s.exec(select(Variant.id).where(Variant.product_id == diffuser)).one()
        order_id = place(s, customer_id, {vid: 1}, delivery_type="pickup", address="ПВЗ, Москва, ул. Тверская, 7",
                         contact_name=contact_name, phone=phone).id
    page.get_by_role("button", name=re.compile("Заказы")).click()
    page.get_by_role("link", name=re.compile(f"Заказ №{order_id}")).click()
    expect(page.get_by_role("heading", name=f"Заказ №{order_id}")).to_be_visible()
    return order_id


def test_a_customer_pays_with_yookassa_and_the_order_turns_paid_without_a_reload(new_page, miniapp, miniapp_db,
                                                                                    diffuser, fake_tg):
    # given a customer who opened the Mini App from a product link and checked out, courier to Moscow
    page = new_page(390, 844)
    open_in_telegram(page, PAYER_TG_ID, f"p{diffuser}")
    expect(page.get_by_role("heading", name="Диффузор «Оплата»")).to_be_visible()
    press_main(page, "В корзину")
    page.get_by_role("button", name=re.compile("Корзина")).click()
    press_main(page, "Оформить заказ")
    page.get_by_label("Имя").fill("Вера Платёжкина")
    page.get_by_label("Телефон").fill("+7 999 000-22-33")
    press_main(page, "Далее")
    page.get_by_role("radio", name="Курьер").click()
    quote = page.get_by_text(re.compile(r"^Доставка: .*₽"))
    expect(quote).to_have_count(0)  # the pickup quote is gone: no address yet
    page.get_by_label("Адрес").fill("Москва, ул. Тверская, 1")
    expect(quote).to_be_visible()  # the courier's quote for what they typed
    press_main(page, "Далее")
    expect(page.get_by_label("Подарочный сертификат (код)")).to_be_visible()
    press_main(page, "Далее")
    press_main(page, "Подтвердить заказ")
    # then the order's screen offers the shop's payment methods, YooKassa first
    title = page.get_by_role("heading", name=re.compile(r"^Заказ №\d+$"))
    expect(title).to_be_visible()
    order_id = int(title.inner_text().rsplit("№", 1)[1])
    with Session(miniapp_db) as s:
        order = s.get(Order, order_id)
        assert order.contact_name == "Вера Платёжкина" and order.status == "new" and order.delivery_minor > 0
        total = order.total_minor
    expect(page.get_by_role("heading", name="Оплата")).to_be_visible()
    methods = page.get_by_role("radiogroup", name="Выберите способ оплаты")
    expect(methods.get_by_role("radio", name=YOOKASSA)).to_be_checked()
    pay = page.get_by_role("button", name=re.compile("^Оплатить"))
    expect(pay).to_contain_text(f"{total // 100:,}".replace(",", "\u00a0") + "\u00a0₽")
    shot(page, "storefront-pay-choose")
    loads = _same_page(page)
    # when they pay: the app asks Telegram to open YooKassa's page and waits for the confirmation
    pay.click()
    payment_id = _yookassa_page(page, 1)
    expect(page.get_by_text(WAITING_TEXT)).to_be_visible()
    assert miniapp.yookassa.payments[payment_id]["amount"]["value"] == f"{total // 100}.{total % 100:02d}"
    # and pay on that page, and YooKassa notifies the shop
    miniapp.yookassa.pay(payment_id)
    _yookassa_notifies(miniapp.url, miniapp.yookassa, "payment.succeeded", payment_id)
    # then the open order screen turns "paid" by itself: no reload, no navigation
    expect(page.get_by_text("Оплачен", exact=True)).to_be_visible(timeout=15_000)  # the status badge
    expect(page.get_by_text(PAID_TEXT)).to_be_visible(timeout=15_000)  # and the payment step's confirmation stays
    expect(page.get_by_role("button", name=re.compile("^Оплатить"))).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("() => window.__samePage === true") and loads == []
    shot(page, "storefront-paid")
    with Session(miniapp_db) as s:
        [paid] = s.exec(select(Payment).where(Payment.order_id == order_id)).all()
        assert (paid.provider, paid.status, paid.provider_payment_id) == ("yookassa", "succeeded", payment_id)
        assert s.get(Order, order_id).status == "paid"
    # and the customer's Telegram hears that the order is paid
    texts = _deliver_to(miniapp_db, fake_tg, PAYER_TG_ID)
    assert f"Заказ №{order_id}: статус «Оплачен»." in texts, texts


def test_a_cancelled_payment_says_so_and_the_customer_can_try_again(new_page, miniapp, miniapp_db, diffuser):
    # given a customer with a new order (placed earlier), opening it from My orders
    page = new_page(390, 844)
    order_id = _order_opened_from_my_orders(page, miniapp_db, diffuser, CANCELLER_TG_ID, "Пётр Отменов", "+79990003344")
    loads = _same_page(page)
    # when they start paying, and cancel on YooKassa's page
    page.get_by_role("button", name=re.compile("^Оплатить")).click()
    first = _yookassa_page(page, 1)
    miniapp.yookassa.cancel(first)
    _yookassa_notifies(miniapp.url, miniapp.yookassa, "payment.canceled", first)
    # then the screen says the payment was cancelled and offers to pay again; the order is still new
    expect(page.get_by_role("alert")).to_have_text(CANCELLED_TEXT, timeout=15_000)
    expect(page.get_by_text("Новый", exact=True)).to_be_visible()
    shot(page, "storefront-pay-cancelled")
    # when they try again
    page.get_by_role("button", name=re.compile("^Оплатить")).click()
    # then a new payment opens on YooKassa's page, and the screen waits for it
    second = _yookassa_page(page, 2)
    assert second != first
    expect(page.get_by_text(WAITING_TEXT)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("() => window.__samePage === true") and loads == []
    with Session(miniapp_db) as s:
        rows = s.exec(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)).all()
        assert [(p.attempt, p.status) for p in rows] == [(1, "canceled"), (2, "pending")]
        assert s.get(Order, order_id).status == "new"


TRANSFER_TG_ID = 6_100_000_003
MANUAL = "Перевод по реквизитам (приложить снимок экрана)"
# the smallest PNG there is: one transparent pixel
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def test_a_customer_pays_by_transfer_with_a_screenshot_and_sees_it_confirmed(new_page, miniapp, miniapp_db, diffuser,
                                                                                tmp_path):
    from datetime import timedelta

    from smo_app.models.base import utcnow
    from smo_app.models.payments import PaymentProof
    from smo_app.models.staff import Role
    from smo_app.services.payments.manual import decide_manual_payment
    from smo_app.services.payments.setup import TransferIn, save_transfer
    from smo_app.services.sales.orders import auto_cancel_unpaid
    from tests.factories import make_staff

    # given a shop whose owner entered the transfer details and an SBP link
    with Session(miniapp_db) as s:
        save_transfer(s, actor=make_staff(s, Role.owner).actor(), data=TransferIn(
            recipient="ИП Петрова Анна", bank="Т-Банк", account="2202 2000 1234 5678", comment="Заказ №{order}",
            sbp_link="https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2", review_minutes=20))
    # and a customer with a new order, opening it from My orders
    page = new_page(390, 844)
    order_id = _order_opened_from_my_orders(page, miniapp_db, diffuser, TRANSFER_TG_ID, "Ирина Переводова",
                                            "+79990005566")
    # then it says until when to pay
    expect(page.locator("#payment-deadline")).to_contain_text("Оплатите до")
    # when they choose the transfer
    page.get_by_role("radiogroup", name="Выберите способ оплаты").get_by_role("radio", name=MANUAL).click()
    # then the details are shown with the sum, the comment naming the order, copy buttons and the SBP QR
    details = page.locator("#transfer-details")
    expect(details).to_contain_text("ИП Петрова Анна")
    expect(page.locator("#transfer-account")).to_have_text("2202200012345678")
    expect(page.locator("#transfer-comment")).to_have_text(f"Заказ №{order_id}")
    expect(page.locator("#transfer-sum")).to_contain_text("1\u00a0200")
    expect(page.get_by_role("button", name="Скопировать")).to_have_count(4)
    expect(page.get_by_role("img", name="QR-код для оплаты через СБП")).to_be_visible()
    shot(page, "storefront-transfer-details")
    # when they attach a file that is not a picture
    proof_input = page.locator("#payment-proof-file")
    (tmp_path / "receipt.txt").write_text("not a picture")
    proof_input.set_input_files(tmp_path / "receipt.txt")
    # then they are told what is needed, and nothing is attached
    expect(page.get_by_role("alert")).to_have_text("Нужна картинка: JPEG, PNG или WebP.")
    with Session(miniapp_db) as s:
        assert s.exec(select(PaymentProof).join(Payment).where(Payment.order_id == order_id)).first() is None
    # when they attach the screenshot
    (tmp_path / "transfer.png").write_bytes(PNG)
    proof_input.set_input_files(tmp_path / "transfer.png")
    # then the screen says it is under review, and the order carries it
    review = "Снимок на проверке, обычно до 20 минут"
    expect(page.get_by_text(re.compile(review))).to_be_visible()
    with Session(miniapp_db) as s:
        proof = s.exec(select(PaymentProof).join(Payment).where(Payment.order_id == order_id)).one()
        assert (proof.filename, proof.content_type, proof.content) == ("transfer.png", "image/png", PNG)
        payment_id = proof.payment_id
    # when they close the Mini App and open the order again
    page.close()
    page = new_page(390, 844)
    open_in_telegram(page, TRANSFER_TG_ID)
    page.get_by_role("button", name=re.compile("Заказы")).click()
    page.get_by_role("link", name=re.compile(f"Заказ №{order_id}")).click()
    # then the screenshot is still under review — no payment methods offered again
    expect(page.get_by_text(re.compile(review))).to_be_visible()
    expect(page.get_by_role("radiogroup", name="Выберите способ оплаты")).to_have_count(0)
    # when 16 minutes pass and the auto-cancel job runs (its clock moved on)
    with Session(miniapp_db) as s:
        assert order_id not in auto_cancel_unpaid(s, now=utcnow() + timedelta(minutes=16))
        assert s.get(Order, order_id).status == "new"
    expect(page.get_by_text("Новый", exact=True)).to_be_visible()
    shot(page, "storefront-transfer-under-review")
    loads = _same_page(page)
    with Session(miniapp_db) as s:
        # when the manager confirms the transfer
        manager = make_staff(s, Role.manager).actor()
        decide_manual_payment(s, actor=manager, payment_id=payment_id, accept=True)
    # then the customer's open screen turns "paid" by itself
    expect(page.get_by_text(PAID_TEXT)).to_be_visible(timeout=15_000)
    assert page.evaluate("() => window.__samePage === true") and loads == []
