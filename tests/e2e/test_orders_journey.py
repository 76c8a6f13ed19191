"""A manager takes an order from new to completed on the order card in a real browser, and the
customer's Telegram (a fake Bot API the outbox sender delivers to) receives every status."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session

from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox
from tests.e2e.conftest import shot
from tests.e2e.helpers import make_staff_member, sign_in_backoffice

pytestmark = pytest.mark.e2e

CUSTOMER_CHAT = 7_300_000_123  # Telegram ids are 64-bit


@pytest.fixture
def fake_tg():
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    yield fake
    fake.stop()


def _place_order(app_db_url) -> int:
    """A Mini App order from a customer with a Telegram chat, placed through the services."""
    from sqlalchemy import select

    from smo_app.models.catalog import Product, Variant
    from tests.commerce_factories import place

    engine = create_engine(app_db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            customer = Customer(telegram_id=CUSTOMER_CHAT, username="journey_buyer", full_name="Ольга Журнева",
                                phone="+79165550123")
            s.add(customer)
            s.commit()
            vid = s.exec(select(Variant.id).join(Product, Product.id == Variant.product_id)
                         .where(Variant.qty >= 2, Variant.active.is_(True), Product.hidden.is_(False),
                                Product.deleted.is_(False), Product.suspended.is_(False))
                         .order_by(Variant.id)).first()[0]
            return place(s, customer.id, {vid: 1}).id
    finally:
        engine.dispose()


def _deliver_outbox(app_db_url, fake) -> list[str]:
    """Run the sidecar's outbox sender against the fake Bot API until nothing waits; the texts the
    customer's chat received."""
    from tests.bot.conftest import make_settings
    from tests.bot.sender_support import WAITING, count, run_senders

    engine = create_engine(app_db_url)
    try:
        settings = make_settings(fake, app_db_url)
        run_senders(settings, lambda: Session(engine, expire_on_commit=False), timeout=30,
                    until=lambda: count(engine, Outbox.chat_id == CUSTOMER_CHAT, Outbox.status.in_(WAITING)) == 0)
        with Session(engine) as s:
            assert s.query(Outbox).filter(Outbox.chat_id == CUSTOMER_CHAT, Outbox.status != "sent").count() == 0
    finally:
        engine.dispose()
    return [m["params"].get("text") or "" for m in fake.sent(CUSTOMER_CHAT)]


def test_manager_takes_an_order_from_new_to_completed_and_the_customer_hears_each_step(new_page, app_db_url, fake_tg):
    # given a new order from a customer with a Telegram chat, and the manager in the orders section
    order_id = _place_order(app_db_url)
    make_staff_member(app_db_url, "mgr_orders", "manager-orders-1", full_name="Ирина Заказова")
    page = new_page()
    sign_in_backoffice(page, "mgr_orders", "manager-orders-1")
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Заказы").click()
    expect(page).to_have_url(re.compile(r"/admin/orders$"))
    expect(page.locator("#tab-new")).to_contain_text("Новые")
    # when she finds the order by its number and opens its card
    page.get_by_placeholder("Номер, имя, @username или телефон").fill(f"#{order_id}")
    page.locator("#orders-search-go").click()
    row = page.locator(".order-row", has_text="Ольга Журнева")
    expect(row).to_have_count(1)
    row.locator(".order-open").click()
    card = page.locator("#order-card")
    expect(card).to_contain_text(f"Заказ №{order_id}")
    expect(card.locator("#order-sums")).to_contain_text("Итого")
    shot(page, "order-card-new")
    # and presses each next step the card offers, confirming the last one
    for button, status in (("Оплачен", "оплачен"), ("Собирать", "собирается"), ("Отправлен", "отправлен"),
                           ("Доставлен", "доставлен")):
        card.get_by_role("button", name=button, exact=True).click()
        expect(card.locator("#order-history")).to_contain_text(status)
    card.get_by_role("button", name="Выполнен", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Выполнен").click()
    # then the card says completed and offers no more moves; the history has every step
    expect(card.get_by_role("heading")).to_contain_text("выполнен")
    expect(card.locator(".order-action")).to_have_count(0)
    expect(card.locator("#order-history")).to_contain_text("доставлен → выполнен")
    shot(page, "order-card-completed")
    # and the customer's Telegram received the placement and each status, in order
    texts = _deliver_outbox(app_db_url, fake_tg)
    steps = [t for t in texts if f"№{order_id}" in t]
    for status in ("Оплачен", "В сборке", "Отправлен", "Доставлен", "Завершён"):
        assert any(f"«{status}»" in t for t in steps), (status, steps)
    order_of = [next(i for i, t in enumerate(steps) if f"«{s}»" in t)
                for s in ("Оплачен", "В сборке", "Отправлен", "Доставлен", "Завершён")]
    assert order_of == sorted(order_of)
