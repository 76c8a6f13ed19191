"""Booking a service (Chromium, 390×844, inside the Telegram stub of tests/e2e/miniapp.py): the
customer books a consultation with a deposit paid on YooKassa's page (the fake YooKassa on a local
port, the app's live client), sees it in "My bookings" and cancels it (the deposit comes back); a
manager opens the Bookings calendar on the backoffice and completes another of their bookings with
the final price."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from smo_app.models.bookings import Booking
from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.services.bookings import booking, calendar, catalog
from smo_app.services.bookings.slots import local_moment
from tests.commerce_factories import SYSTEM
from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_in_backoffice
from tests.e2e.miniapp import open_in_telegram, press_main
from tests.factories import PASSWORD, make_staff

pytestmark = pytest.mark.e2e

CUSTOMER_TG_ID = 6_200_000_001
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(scope="module")
def app_url(miniapp):
    return miniapp.url


@pytest.fixture(scope="module")
def shop(miniapp_db) -> dict:
    """A consultation (500 ₽ deposit) and an online pick, both by Мария (a manager), 10–18 every day."""
    with Session(miniapp_db, expire_on_commit=False) as s:
        maria = make_staff(s, Role.manager, username="maria-bk", full_name="Мария Запись")
        consult = catalog.save_service(s, actor=SYSTEM, data=catalog.ServiceIn(
            name="Примерка аромата", price_minor=150000, duration_min=60, step_min=60, place="Студия",
            deposit_kind="fixed", deposit_value=50000, provider_ids=[maria.id]))
        online = catalog.save_service(s, actor=SYSTEM, data=catalog.ServiceIn(
            name="Видеозвонок со стилистом", price_minor=90000, duration_min=30, step_min=30, format="online",
            min_notice_min=0, provider_ids=[maria.id]))
        calendar.set_week(s, actor=SYSTEM, resource=maria.id, week={d: [(600, 1080)] for d in range(7)})
    return {"consult": consult.id, "online": online.id, "maria": maria.id}


def _payment_page(page: Page) -> str:
    page.wait_for_function("() => __tg.links.length >= 1", timeout=15_000)
    url = page.evaluate("() => __tg.links[0]")
    return parse_qs(urlparse(url).query)["orderId"][0]


def test_book_with_a_deposit_see_it_cancel_it_and_a_manager_completes_a_booking(new_page, miniapp, miniapp_db, shop):
    # given a customer in the Mini App
    page = new_page(390, 844)
    open_in_telegram(page, CUSTOMER_TG_ID)
    expect(page.get_by_role("searchbox")).to_be_visible()
    # when they open the "Book" tab and the consultation
    page.locator("#sf-tab-bookings").click()
    page.locator(f'[data-service="{shop["consult"]}"]').click()
    # then the month shows the days with free time; they pick one two days ahead and 11:00
    day = (datetime.now(MSK) + timedelta(days=2)).date()
    if day.month != datetime.now(MSK).month:
        page.locator("#sf-month-next").click()
    page.locator(f'[data-day="{day.isoformat()}"][data-free="1"]').click()
    expect(page.get_by_text(re.compile("Время указано по часовому поясу магазина: "))).to_be_visible()
    page.locator('[data-slot="11:00"]').click()
    # and give their contacts and book
    page.locator("#sf-booking-name").fill("Ольга Запись")
    page.locator("#sf-booking-phone").fill("+7 916 555-44-33")
    press_main(page, "Записаться")
    expect(page.get_by_role("heading", name="Время за вами — осталось внести предоплату")).to_be_visible()
    shot(page, "bookings-deposit")
    # and pay the deposit on YooKassa's page, then say so
    page.locator('[data-method="yookassa"]').click()
    payment_id = _payment_page(page)
    assert miniapp.yookassa.payments[payment_id]["amount"]["value"] == "500.00"
    miniapp.yookassa.pay(payment_id)
    page.get_by_role("button", name="Я оплатил(а)").click()
    expect(page.locator("#sf-booking-state")).to_have_text("подтверждена")
    # then "My bookings" lists it, and cancelling it (well ahead) gives the deposit back
    page.get_by_role("button", name="Мои записи").last.click()
    card = page.locator("[data-booking]").first
    expect(card).to_contain_text("Примерка аромата")
    expect(card).to_contain_text("11:00")
    shot(page, "bookings-mine")
    card.get_by_placeholder("Причина (необязательно)").fill("Заболела")
    card.locator("[data-cancel]").click()
    expect(page.locator("[data-booking]").first.locator('[data-state="cancelled"]')).to_be_visible()
    assert [r["amount"]["value"] for r in miniapp.yookassa.refunds.values()
            if r["payment_id"] == payment_id] == ["500.00"]

    # given another booking of this customer with Мария, the online pick at 15:00 the same day
    with Session(miniapp_db, expire_on_commit=False) as s:
        customer_id = s.exec(select(Customer.id).where(Customer.telegram_id == CUSTOMER_TG_ID)).one()
        other = booking.book(s, actor=SYSTEM, service_id=shop["online"], starts_at=local_moment(day, 15 * 60, MSK),
                             contact_name="Ольга Запись", contact_phone="+79165554433", customer_id=customer_id)
    # when Мария opens Bookings on the backoffice and that day
    staff_page = new_page(1280, 900)
    sign_in_backoffice(staff_page, "maria-bk", PASSWORD)
    expect(staff_page).to_have_url(re.compile(r"/admin/?$"))  # signed in before the next address is typed
    staff_page.goto("/admin/bookings")
    if day.month != datetime.now(MSK).month:
        staff_page.locator("#bk-next-month").click()
    staff_page.locator(f"#bk-day-{day.isoformat()}").click()
    row = staff_page.locator(f"#bk-row-{other.id}")
    expect(row).to_contain_text("Видеозвонок со стилистом")
    expect(row).to_contain_text("подтверждена")
    # and completes it at 1 200 ₽
    staff_page.locator(f"#bk-final-{other.id}").fill("1200")
    staff_page.locator(f"#bk-complete-{other.id}").click()
    # then it is completed at that price
    expect(row).to_contain_text("выполнена")
    shot(staff_page, "bookings-calendar")
    with Session(miniapp_db) as s:
        done = s.get(Booking, other.id)
        assert (done.state, done.final_price_minor) == ("completed", 120000)
