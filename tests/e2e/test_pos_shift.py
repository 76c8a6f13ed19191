"""One whole shift on a 1024×768 tablet in Chromium, with the bot sidecar against the fake Bot API:
PIN → open with a float → scan an item (USB scanner keystrokes) → attach a customer by the
loyalty QR → a discount above policy → approved from Telegram → split payment with change →
receipt → return one line → close with the counted cash → the Z report's Excel, and the same
report delivered to the admin's chat as a document."""
from __future__ import annotations

import re
import subprocess
import sys
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.base import utcnow
from smo_app.models.catalog import Variant
from smo_app.models.customer import Customer
from smo_app.models.pos import PosDevice
from smo_app.models.staff import Staff
from smo_app.services.core.actor import Actor
from smo_app.services.customers.loyalty_qr import issue_loyalty_token
from smo_app.services.messaging import presence
from smo_app.services.pos import cart, reports
from smo_app.services.sales.pricing import pct_half_up
from smo_app.services.staff import accounts
from smo_app.settings import DEFAULT_SECRET_KEY
from tests.bot.procs import ROOT, sidecar_env, wait_until
from tests.e2e.conftest import ARTIFACTS, shot
from tests.e2e.helpers import name_tablet, register_as_found, sign_in_pos
from tests.e2e.helpers import wedge_scan as _scan
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.e2e

MANAGER_TG = 7_100_000_000_001  # 64-bit chat ids
ADMIN_TG = 7_100_000_000_002
BARCODE = "4601234567890"
SYSTEM = Actor.system("e2e")


TABLET = "Планшет смены"
SIDECAR_START_S = 90  # waits on a condition: a passing one returns as soon as it holds


@pytest.fixture
def register(app_db_url):
    """The demo register with no shift open (the journey opens its own, and its Z report counts only
    this journey's sale and return), left closed with this tablet's cart empty even when the journey
    fails half-way — nothing of it is counted by the next journey."""
    with register_as_found(app_db_url, tablets=(TABLET,), shift="closed") as reg:
        yield reg


@pytest.fixture
def shop(app_db_url, register):
    """The demo shop prepared for the journey: a barcode on a stocked item (its own code given back
    after the journey), the manager and the admin linked to Telegram, the bot sidecar polling the
    fake Bot API."""
    engine = make_engine(app_db_url)
    with Session(engine, expire_on_commit=False) as s:
        for username, tg in (("manager", MANAGER_TG), ("admin", ADMIN_TG)):
            staff = s.exec(select(Staff).where(Staff.username == username)).one()
            accounts.set_telegram_id(s, actor=SYSTEM, staff_id=staff.id, telegram_id=tg)
        variant = s.exec(select(Variant).where(Variant.qty >= 5, Variant.price_minor > 0).order_by(Variant.id)).first()
        own_barcode, variant.barcode = variant.barcode, BARCODE
        s.add(variant)
        s.commit()
        customer = s.exec(select(Customer).where(Customer.username == "anna_aroma")).one()
        info = {"variant_id": variant.id, "price": variant.price_minor, "customer_id": customer.id,
                "customer": customer.full_name, "register_id": register["register_id"]}
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    log = open(ARTIFACTS / "e2e-sidecar.log", "ab")
    env = sidecar_env(app_db_url, fake.base_url, SMO_SHOP_TIMEZONE="Europe/Moscow")
    sidecar = subprocess.Popen([sys.executable, "-m", "bot_sidecar"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        yield {**info, "fake": fake, "engine": engine}
    finally:
        sidecar.terminate()
        sidecar.wait(timeout=15)
        log.close()
        fake.stop()
        with Session(engine) as s:
            variant = s.get(Variant, info["variant_id"])
            variant.barcode = own_barcode
            s.add(variant)
            s.commit()
        engine.dispose()


def _sidecar_log() -> str:
    return (ARTIFACTS / "e2e-sidecar.log").read_text(errors="replace")[-3000:]


def _bot_online(engine) -> bool:
    with Session(engine) as s:
        return presence.sidecar_status(s).online


def _money_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def test_a_whole_shift_on_the_tablet(new_page, shop):
    fake = shop["fake"]
    page = new_page(1024, 768)
    # Telegram is offered for approvals only while the bot is online: wait for its first heartbeat
    # (a sidecar starting beside the rest of the suite on a loaded machine can take most of a minute)
    assert wait_until(lambda: _bot_online(shop["engine"]), SIDECAR_START_S), _sidecar_log()
    # PIN → the open-shift form → open with a float of 1 000 ₽
    sign_in_pos(page, "Сергей Иванов", "4444")
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    name_tablet(page, TABLET)
    page.get_by_label("Размен на начало смены, ₽").fill("1000")
    page.get_by_role("button", name="Открыть смену", exact=True).click()
    expect(page.locator("#shift-state")).to_have_text("Смена открыта")

    # scan the item with the USB scanner: the cart shows it
    _scan(page, BARCODE)
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator(".line-qty")).to_have_text("1")

    # the customer shows the loyalty QR of the Mini App: the scanner reads the token
    token = issue_loyalty_token(shop["customer_id"], utcnow(), secret_key=DEFAULT_SECRET_KEY)
    _scan(page, token)
    expect(page.locator("#pos-customer")).to_have_text(shop["customer"])

    # a 20 % line discount is above the seller's 5 %: the sale waits for a manager
    page.locator(".line-discount").click()
    page.locator("#line-entry").fill("20")
    page.locator("#line-key-enter").click()
    expect(page.locator("#pos-approval")).to_be_visible()
    expect(page.get_by_role("button", name="Оплатить", exact=True)).to_be_disabled()
    page.get_by_role("button", name="Запросить в Telegram", exact=True).click()
    expect(page.locator("#approval-waiting")).to_be_visible()
    shot(page, "pos-approval-waiting")

    # the manager's Telegram got Approve / Deny; she presses Approve
    assert wait_until(lambda: any(c["params"].get("reply_markup") for c in fake.sent(MANAGER_TG)), SIDECAR_START_S)
    request = next(c for c in fake.sent(MANAGER_TG) if c["params"].get("reply_markup"))
    approve = request["params"]["reply_markup"]["inline_keyboard"][0][0]
    assert approve["text"] == "Разрешить"
    fake.push_update({"callback_query": {
        "id": "cb1", "chat_instance": "ci", "data": approve["callback_data"],
        "from": {"id": MANAGER_TG, "is_bot": False, "first_name": "Мария", "language_code": "ru"},
        "message": {"message_id": 1, "date": 0, "chat": {"id": MANAGER_TG, "type": "private"}, "text": "…"}}})
    # the tablet updates by itself
    expect(page.locator("#approval-approved")).to_be_visible(timeout=30_000)

    # split payment: 100 ₽ by card, the rest in cash with 50 ₽ change
    with Session(shop["engine"]) as s:
        device = s.exec(select(PosDevice).where(PosDevice.name == TABLET)).one()
        total = cart.get_cart(s, actor=SYSTEM, register_id=device.register_id, device_id=device.id).total_minor
    assert total == shop["price"] - pct_half_up(shop["price"], 20)
    page.get_by_label("Картой, ₽").fill("100")
    page.get_by_label("Наличными дали, ₽").fill(_money_text(total - 10000 + 5000))
    expect(page.locator("#pos-change")).to_contain_text("50")
    shot(page, "pos-sale")
    page.get_by_role("button", name="Оплатить", exact=True).click()

    # the receipt (80 mm) with the change
    expect(page).to_have_url(re.compile(r"/pos/receipt\?id=\d+"))
    expect(page.locator("#pos-receipt")).to_contain_text("Сдача")
    receipt_no = page.url.rsplit("=", 1)[1]
    shot(page, "pos-receipt")

    # return the line
    page.get_by_role("button", name="Возвраты", exact=True).click()
    page.get_by_label("Номер чека, телефон или имя покупателя").fill(receipt_no)
    page.get_by_role("button", name="Найти", exact=True).click()
    expect(page.locator(".return-line")).to_have_count(1)
    page.locator(".return-plus").click()
    page.get_by_role("button", name="Оформить возврат", exact=True).click()
    expect(page.locator("#return-result")).to_contain_text("Возврат оформлен")

    # close with the counted cash
    with Session(shop["engine"]) as s:
        expected = reports.x_report(s, actor=SYSTEM, register_id=shop["register_id"]).expected_cash_minor
    page.get_by_role("button", name="Смена", exact=True).click()
    expect(page.locator("#pos-report-title")).to_contain_text("X")
    page.get_by_label("Пересчитано в кассе, ₽").fill(_money_text(expected))
    page.get_by_role("button", name="Закрыть смену", exact=True).click()
    expect(page.locator("#pos-report-title")).to_contain_text("Z")
    shot(page, "pos-z-report")
    # the bot is online: the note says the report is (being) sent, not that it waits for the bot
    expect(page.locator("#pos-closed-note")).to_contain_text(re.compile(r"Z-отчёт (отправлен|отправляется)"))

    # the Z report's Excel opens and says what happened
    with page.expect_download() as dl:
        page.get_by_role("button", name="Скачать Excel", exact=True).click()
    wb = load_workbook(BytesIO(open(dl.value.path(), "rb").read()))
    values = {row[0]: row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)}
    assert values["Продаж"] == 1 and values["Возвратов"] == 1
    assert values["Карта, ₽"] == 100 and values["Разница, ₽"] == 0
    assert values["Ожидается в кассе, ₽"] == expected / 100

    # and the admin got it in Telegram as a document
    # (the admin may get other documents meanwhile, e.g. the nightly backup: the Z report is the .xlsx)
    def z_reports():
        return [c for c in fake.sent(ADMIN_TG) if c["method"].lower() == "senddocument"
                and c["files"]["document"]["filename"].startswith("z-report-")]

    assert wait_until(lambda: z_reports(), SIDECAR_START_S)
    doc = z_reports()[-1]
    sent = load_workbook(BytesIO(doc["files"]["document"]["content"]))
    assert sent.active.title == "Z-отчёт"
