"""Shared set-up for booking tests: a service with a provider working every day 10:00–18:00 (shop
time, Europe/Moscow in tests) and a fixed "now" a week before the day booked; Telegram Payments and
Stars served by the fake Bot API for deposits paid by invoice."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from integrations.telegram_payments.client import TelegramPaymentsClient
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.bookings import calendar, catalog
from smo_app.services.bookings.slots import local_moment
from smo_app.services.payments import providers
from tests.commerce_factories import SYSTEM
from tests.factories import make_staff
from tests.fakes.telegram_api import FakeTelegram

TZ = ZoneInfo("Europe/Moscow")
DAY = date(2026, 12, 14)  # a Monday
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
PHONE = "+7 916 123-45-67"


BOT_TOKEN = "123456:TEST-token"


def telegram_invoice_ports(fake: FakeTelegram) -> None:
    """Telegram Payments (a test provider token) and Stars through ``fake``."""
    for stars in (False, True):
        client = TelegramPaymentsClient(bot_token=BOT_TOKEN, provider_token=None if stars else "381764678:TEST:100",
                                        stars=stars, api_base=fake.base_url)
        providers.use_port(client.provider, client)


@pytest.fixture
def invoices():
    """The fake Bot API serving Telegram Payments and Stars for one test (import it into a test module)."""
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    telegram_invoice_ports(fake)
    yield fake
    providers.reset_ports()
    fake.stop()


def shop_takes_transfers(session: Session, monkeypatch, *, review_minutes: int = 30) -> None:
    """Transfers switched on, to the details the owner entered."""
    from smo_app.services.payments.setup import TransferIn, save_transfer
    from smo_app.settings import reset_settings_cache

    monkeypatch.setenv("SMO_PAYMENT_METHODS", "manual")
    reset_settings_cache()
    save_transfer(session, actor=make_staff(session, Role.owner).actor(), data=TransferIn(
        recipient="ИП Волкова", bank="Демо-банк", account="2202 2000 0000 0000", comment="Заказ №{order}",
        review_minutes=review_minutes))


def next_week(hhmm: str) -> datetime:
    """``hhmm`` a week after the real now (for what Telegram's updates check against the clock)."""
    return at(hhmm, (utcnow() + timedelta(days=7)).astimezone(TZ).date())


def at(hhmm: str, day: date = DAY) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return local_moment(day, h * 60 + m, TZ)


def make_service(session: Session, *, providers: int = 1, hours=((600, 1080),), **fields) -> catalog.ServiceOut:
    staff = [make_staff(session, Role.manager) for _ in range(providers)]
    data = {"name": "Консультация", "price_minor": 300000, "duration_min": 60, "step_min": 30,
            "place": "Студия, Тверская 1", "min_notice_min": 60, **fields, "provider_ids": [s.id for s in staff]}
    service = catalog.save_service(session, actor=SYSTEM, data=catalog.ServiceIn(**data))
    for s in staff or [None]:
        calendar.set_week(session, actor=SYSTEM, resource=s.id if s else 0, week={d: list(hours) for d in range(7)})
    return service


def labels(slots) -> list[str]:
    return [s.label for s in slots.slots]


def plus(moment: datetime, minutes: int) -> datetime:
    return moment + timedelta(minutes=minutes)
