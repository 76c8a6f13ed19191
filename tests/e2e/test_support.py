"""The Support area in a real browser: a manager opens a ticket waiting for an operator, sees the
customer's message, answers from the web, and the customer's Telegram (the fake Bot API the
outbox sender delivers to) receives the answer from the bot."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session

from smo_app.models.outbox import Outbox
from tests.e2e.conftest import shot
from tests.e2e.helpers import make_staff_member, nav, sign_in_backoffice

pytestmark = pytest.mark.e2e

CUSTOMER_CHAT = 7_300_000_321  # Telegram ids are 64-bit


@pytest.fixture
def fake_tg():
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    yield fake
    fake.stop()


def _customer_asks_for_a_person(app_db_url) -> None:
    """A customer writes to the bot and asks for a person, through the services the bot calls."""
    from smo_app.models.customer import Customer
    from smo_app.services.core.actor import Actor
    from smo_app.services.customers.registration import TelegramProfile
    from smo_app.services.support import tickets

    engine = create_engine(app_db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            customer = Customer(telegram_id=CUSTOMER_CHAT, username="support_journey", full_name="Тамара Вопросова")
            s.add(customer)
            s.commit()
            sender = TelegramProfile(telegram_id=CUSTOMER_CHAT, username="support_journey", full_name="Тамара Вопросова")
            for text in ("Свеча пришла без крышки, что делать?", "Позовите оператора"):
                tickets.customer_writes(s, actor=Actor.customer(customer.id), sender=sender, lang="ru", text=text)
    finally:
        engine.dispose()


def _deliver(app_db_url, fake) -> list[str]:
    from tests.bot.conftest import make_settings
    from tests.bot.sender_support import WAITING, count, run_senders

    engine = create_engine(app_db_url)
    try:
        settings = make_settings(fake, app_db_url)
        with ThreadPoolExecutor(1) as pool:  # the sender's own event loop, away from Playwright's
            pool.submit(run_senders, settings, lambda: Session(engine, expire_on_commit=False), timeout=30,
                        until=lambda: count(engine, Outbox.chat_id == CUSTOMER_CHAT,
                                            Outbox.status.in_(WAITING)) == 0).result()
    finally:
        engine.dispose()
    return [m["params"].get("text") or "" for m in fake.sent(CUSTOMER_CHAT)]


def test_a_manager_answers_a_ticket_from_the_web_and_the_customer_gets_it(new_page, app_db_url, fake_tg):
    # given a customer who asked for a person, and a manager signed in
    _customer_asks_for_a_person(app_db_url)
    make_staff_member(app_db_url, "mgr_support", "manager-support-1", full_name="Зоя Ответова")
    page = new_page()
    sign_in_backoffice(page, "mgr_support", "manager-support-1")
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_be_visible()
    # when she opens Support: the ticket waits in the first tab
    nav(page).get_by_role("link", name="Поддержка").click()
    expect(page).to_have_url(re.compile(r"/admin/support$"))
    row = page.locator("#support-queue tr", has_text="Тамара Вопросова")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Открыть").click()
    ticket = page.locator("#support-ticket")
    expect(ticket.locator("#support-conversation")).to_contain_text("Свеча пришла без крышки")
    expect(ticket.locator("#support-ticket-state")).to_have_text("ждёт оператора")
    expect(ticket.get_by_role("link", name=re.compile("Тамара Вопросова"))).to_have_attribute(
        "href", re.compile(r"/admin/customers\?customer=\d+"))
    # and answers from the web
    ticket.get_by_label("Ответ клиенту (придёт от имени бота)").fill("Тамара, пришлём крышку завтра курьером.")
    ticket.get_by_role("button", name="Отправить").click()
    # then the ticket is hers, the answer is in the conversation
    expect(ticket.locator("#support-ticket-state")).to_have_text("у оператора")
    expect(ticket.locator("#support-conversation")).to_contain_text("пришлём крышку завтра")
    expect(ticket).to_contain_text("Зоя Ответова")
    shot(page, "support-answered")
    # and the customer's Telegram received it from the bot
    texts = _deliver(app_db_url, fake_tg)
    assert "Тамара, пришлём крышку завтра курьером." in texts
