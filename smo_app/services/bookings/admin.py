"""The backoffice's Bookings screen: its read-models (the month by provider, a day's bookings, the
services with their providers, whose calendar may be edited) and the forms as typed (amounts in
rubles, "10:00-14:00, 15:00-19:00" hours, a local date and time) turned into the use cases' data."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.bookings import SHOP_RESOURCE, BookingState
from smo_app.models.staff import Staff
from smo_app.services.bookings import booking, calendar, catalog
from smo_app.services.bookings.slots import Interval
from smo_app.services.core import form_input
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.shop_locale import shop_tz

_RANGE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")


class Provider(BaseModel):
    resource: int
    name: str  # "" for the shop (the screen says so in its language)


class BookingsOverview(BaseModel):
    services: list[catalog.ServiceOut]
    providers: list[Provider]
    staff: list[Provider]  # everyone who may be named a provider
    can_manage: bool
    can_delete: bool
    own_resource: int | None  # a provider without bookings.manage sees only their own


class MonthDay(BaseModel):
    day: date
    count: int
    in_month: bool


def overview(session: Session, *, actor: Actor) -> BookingsOverview:
    if not (can(actor, Perm.bookings_manage) or actor.is_staff):
        require(actor, Perm.bookings_manage)
    manage = can(actor, Perm.bookings_manage)
    staff = session.exec(select(Staff.id, Staff.full_name).where(Staff.is_active.is_(True)).order_by(Staff.full_name)).all()
    services = catalog.list_services(session, actor=actor, include_hidden=True)
    named = sorted({sid for s in services for sid in s.provider_ids})
    names = dict(staff)
    providers = [Provider(resource=sid, name=names.get(sid, "")) for sid in named]
    if any(not s.provider_ids for s in services) or not services:
        providers.append(Provider(resource=SHOP_RESOURCE, name=""))
    if not manage:
        providers = [p for p in providers if p.resource == actor.id]
    return BookingsOverview(services=services, providers=providers,
                            staff=[Provider(resource=i, name=n) for i, n in staff], can_manage=manage,
                            can_delete=can(actor, Perm.catalog_delete), own_resource=None if manage else actor.id)


def _day_bounds(session: Session, first: date, last: date) -> tuple[datetime, datetime]:
    tz = shop_tz(session)
    return datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)


def month(session: Session, *, actor: Actor, year: int, month: int, staff_id: int | None = None) -> list[MonthDay]:
    """The month's grid (Monday first, whole weeks) with the live bookings each day holds."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    end = last + timedelta(days=6 - last.weekday())
    lo, hi = _day_bounds(session, start, end)
    counts = Counter(b.local_day for b in booking.list_bookings(session, actor=actor, start=lo, end=hi, staff_id=staff_id)
                     if b.state != BookingState.cancelled.value)
    days, d = [], start
    while d <= end:
        days.append(MonthDay(day=d, count=counts.get(d, 0), in_month=d.month == month))
        d += timedelta(days=1)
    return days


def day_bookings(session: Session, *, actor: Actor, day: date, staff_id: int | None = None) -> list[booking.BookingOut]:
    lo, hi = _day_bounds(session, day, day)
    return booking.list_bookings(session, actor=actor, start=lo, end=hi, staff_id=staff_id)


def parse_intervals(text: str) -> list[Interval]:
    """``"10:00-14:00, 15:00-19:00"`` → ``[(600, 840), (900, 1140)]``; empty: none (a day off)."""
    out: list[Interval] = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        m = _RANGE.match(part)
        if not m:
            raise DomainError("bookings.hours_invalid", f"not a range: {part!r}")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
            raise DomainError("bookings.hours_invalid", f"not a time: {part!r}")
        out.append((h1 * 60 + m1, h2 * 60 + m2))
    return out


def intervals_text(intervals: list[Interval]) -> str:
    return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in intervals)


def calendar_view(session: Session, *, actor: Actor, resource: int, start: date | None = None) -> calendar.Calendar:
    """A provider's hours and special days from ``start`` (bookings.manage, or the provider's own)."""
    if not (can(actor, Perm.bookings_manage) or (actor.is_staff and actor.id == resource)):
        require(actor, Perm.bookings_manage)
    return calendar.read_calendar(session, resource=resource, start=start)


def save_week_form(session: Session, *, actor: Actor, resource: int, form: dict[str, str]) -> calendar.Calendar:
    """The hours form: one text per weekday (``"0"`` … ``"6"``)."""
    week = {d: parse_intervals(str(form.get(str(d), ""))) for d in range(7)}
    return calendar.set_week(session, actor=actor, resource=resource, week=week)


def set_day_form(session: Session, *, actor: Actor, resource: int | None, form: dict[str, str]) -> calendar.DayException:
    """A special day: ``day`` (YYYY-MM-DD), ``kind`` (off | hours), ``hours`` text, ``note``."""
    day = form_input.day(form.get("day"), "bookings.day_invalid", field="day")
    kind = str(form.get("kind") or "off")
    intervals = parse_intervals(str(form.get("hours", ""))) if kind == "hours" else []
    return calendar.set_day(session, actor=actor, resource=resource, day=day, kind=kind, intervals=intervals,
                            note=str(form.get("note", "")).strip())


def service_form(session: Session, *, actor: Actor, form: dict[str, str], provider_ids: list[int],
                 service_id: int | None = None) -> catalog.ServiceOut:
    """The services editor's form as typed (price and fixed deposit in rubles, minutes, a percent)."""
    def num(name: str, default: int) -> int:
        return form_input.whole_number(form.get(name, ""), "bookings.number_invalid", field=name, minimum=0,
                                       default=default)

    deposit_kind = str(form.get("deposit_kind") or "none")
    price = form_input.amount(form.get("price") or "0", "bookings.amount_invalid", field="price")
    deposit_value = 0
    if deposit_kind == "fixed":
        deposit_value = form_input.amount(form.get("deposit") or "0", "bookings.amount_invalid", field="deposit")
    elif deposit_kind == "percent":
        deposit_value = num("deposit", 0)
    data = catalog.ServiceIn(
        name=str(form.get("name", "")), description=str(form.get("description", "")), price_minor=price,
        duration_min=num("duration", 60), step_min=num("step", 30), buffer_before_min=num("buffer_before", 0),
        buffer_after_min=num("buffer_after", 0), format=str(form.get("format") or "offline"),
        place=str(form.get("place", "")), capacity=num("capacity", 1), min_notice_min=num("notice", 60),
        max_ahead_days=num("ahead", 60), deposit_kind=deposit_kind, deposit_value=deposit_value,
        hold_min=num("hold", 15), cancel_free_hours=num("cancel_free", 24), hidden=bool(form.get("hidden")),
        photo_url=str(form.get("photo_url", "")).strip() or None, provider_ids=provider_ids)
    return catalog.save_service(session, actor=actor, data=data, service_id=service_id)


def local_moment(session: Session, day_text: str, time_text: str) -> datetime:
    """A local date and ``HH:MM`` as typed → the UTC moment."""
    day = form_input.day(day_text, "bookings.day_invalid", field="day")
    m = re.match(r"^\s*(\d{1,2})[:.](\d{2})\s*$", time_text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise DomainError("bookings.slot_invalid", "not a time", field="time")
    tz = shop_tz(session)
    return datetime.combine(day, time(int(m.group(1)), int(m.group(2))), tz)


def complete_form(session: Session, *, actor: Actor, booking_id: int, price: str) -> booking.BookingOut:
    return booking.complete(session, actor=actor, booking_id=booking_id,
                            final_price_minor=form_input.amount(price, "bookings.amount_invalid", field="price"))


def move_form(session: Session, *, actor: Actor, booking_id: int, day: str, at: str) -> booking.BookingOut:
    return booking.move(session, actor=actor, booking_id=booking_id, starts_at=local_moment(session, day, at))


def book_for_caller(session: Session, *, actor: Actor, service_id: int, day: str, at: str, name: str, phone: str,
                    format: str | None = None) -> booking.BookingOut:
    """The screen's form → a booking staff make for a caller (the time read in the shop's zone)."""
    return booking.book(session, actor=actor, service_id=service_id, starts_at=local_moment(session, day, at),
                        contact_name=name, contact_phone=phone, format=format)
