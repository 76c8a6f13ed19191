"""Shared set-up for booking tests: a service with a provider working every day 10:00–18:00 (shop
time, Europe/Moscow in tests) and a fixed "now" a week before the day booked."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smo_app.models.staff import Role
from smo_app.services.bookings import calendar, catalog
from smo_app.services.bookings.slots import local_moment
from tests.commerce_factories import SYSTEM
from tests.factories import make_staff

TZ = ZoneInfo("Europe/Moscow")
DAY = date(2026, 12, 14)  # a Monday
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
PHONE = "+7 916 123-45-67"


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
