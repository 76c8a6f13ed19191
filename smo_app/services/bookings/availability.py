"""Free slots read from the database: the calendars, the live bookings and the service's rules fed to
``slots.free_slots`` — per day (the slot step of the Mini App) and per month (days with free slots
highlighted). Times come back UTC with the shop's local label."""
from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime, timedelta, timezone

from pydantic import BaseModel
from sqlalchemy import String, case, cast
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState
from smo_app.services.bookings import calendar as cal
from smo_app.services.bookings.catalog import live_service, provider_resources
from smo_app.services.bookings.slots import Busy, Rules, free_slots
from smo_app.services.core.actor import Actor
from smo_app.services.core.shop_locale import shop_tz


class SlotOut(BaseModel):
    starts_at: datetime  # UTC
    label: str  # HH:MM in the shop's zone
    staff_ids: list[int | None]  # who is free then (None: the shop)


class DaySlots(BaseModel):
    day: date
    zone: str
    slots: list[SlotOut]


class MonthDays(BaseModel):
    year: int
    month: int
    zone: str
    free_days: list[date]


def rules_of(service: BookingService) -> Rules:
    return Rules(duration_min=service.duration_min, step_min=service.step_min,
                 buffer_before_min=service.buffer_before_min, buffer_after_min=service.buffer_after_min,
                 capacity=service.capacity, service_id=service.id)


def busy_of(session: Session, resource: int, lo: datetime, hi: datetime, *, now: datetime,
            ignore_booking_id: int | None = None) -> list[Busy]:
    """The live bookings of a resource touching ``[lo, hi)`` (a pending one whose hold ran out no longer counts)."""
    return busy_by_resource(session, [resource], lo, hi, now=now, ignore_booking_id=ignore_booking_id)[resource]


def _moment(text: str | None) -> datetime | None:
    """A timestamp read as text (SQLite's stored UTC text, PostgreSQL's ``timestamptz::text``) as UTC."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _as_text(column):
    return cast(column, String)


def busy_by_resource(session: Session, resources: list[int], lo: datetime, hi: datetime, *, now: datetime,
                     ignore_booking_id: int | None = None) -> dict[int, list[Busy]]:
    """:func:`busy_of` for several resources in one query. A month holds thousands of rows: their
    times are read as text and parsed by ``fromisoformat`` (SQLAlchemy's SQLite datetime parsing
    is a regular expression per value, ten times slower); the start only of class seats, the hold
    only of pending bookings."""
    pending = BookingState.pending.value
    q = select(Booking.resource, _as_text(Booking.busy_from), _as_text(Booking.busy_to), Booking.exclusive,
               Booking.service_id, case((Booking.exclusive.is_(False), _as_text(Booking.starts_at))),
               case((Booking.state == pending, _as_text(Booking.hold_until))), Booking.id).where(
        Booking.resource.in_(resources), Booking.busy_from < hi, Booking.busy_to > lo,
        Booking.state != BookingState.cancelled.value)
    out: dict[int, list[Busy]] = {r: [] for r in resources}
    for resource, b_from, b_to, exclusive, service_id, starts_at, hold_until, bid in session.exec(q).all():
        if bid == ignore_booking_id:
            continue
        if hold_until is not None and _moment(hold_until) <= now:
            continue
        out[resource].append(Busy(start=_moment(b_from), end=_moment(b_to), exclusive=exclusive,
                                  service_id=service_id, starts_at=_moment(starts_at)))
    return out


def _window(service: BookingService, now: datetime) -> tuple[datetime, datetime]:
    return now + timedelta(minutes=service.min_notice_min), now + timedelta(days=service.max_ahead_days)


def resource_slots(session: Session, service: BookingService, resource: int, day: date, *, now: datetime,
                   ignore_booking_id: int | None = None, enforce_window: bool = True) -> list[datetime]:
    """One resource's free starts on a local date (the booking use case asks this under the lock)."""
    tz = shop_tz(session)
    calendar = cal.read_calendar(session, resource=resource, start=day, end=day)
    intervals = cal.intervals_on(calendar, day)
    if not intervals:
        return []
    lo = datetime.combine(day, datetime.min.time(), tz) - timedelta(days=1)
    busy = busy_of(session, resource, lo, lo + timedelta(days=3), now=now, ignore_booking_id=ignore_booking_id)
    earliest, latest = _window(service, now) if enforce_window else (now, None)
    return free_slots(day=day, tz=tz, intervals=intervals, rules=rules_of(service), busy=busy,
                      earliest=earliest, latest=latest)


def day_slots(session: Session, *, actor: Actor | None, service_id: int, day: date,
              now: datetime | None = None) -> DaySlots:
    """The free slots of a service on a local date, merged across its providers."""
    now = now or utcnow()
    service = live_service(session, service_id, actor=actor or Actor.anonymous())
    tz = shop_tz(session)
    merged: dict[datetime, list[int | None]] = {}
    for resource, staff_id in provider_resources(session, service.id):
        for start in resource_slots(session, service, resource, day, now=now):
            merged.setdefault(start, []).append(staff_id)
    slots = [SlotOut(starts_at=s, label=s.astimezone(tz).strftime("%H:%M"), staff_ids=ids)
             for s, ids in sorted(merged.items())]
    return DaySlots(day=day, zone=tz.key, slots=slots)


def month_days(session: Session, *, actor: Actor | None, service_id: int, year: int, month: int,
               now: datetime | None = None) -> MonthDays:
    """The local dates of a month with at least one free slot: calendars and bookings read once."""
    now = now or utcnow()
    service = live_service(session, service_id, actor=actor or Actor.anonymous())
    tz = shop_tz(session)
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    lo = datetime.combine(first, datetime.min.time(), tz) - timedelta(days=1)
    hi = datetime.combine(last, datetime.min.time(), tz) + timedelta(days=2)
    earliest, latest = _window(service, now)
    rules = rules_of(service)
    free: set[date] = set()
    resources = [r for r, _staff in provider_resources(session, service.id)]
    calendars = cal.read_calendars(session, resources, start=first, end=last)
    busy_all = busy_by_resource(session, resources, lo, hi, now=now)
    first_open, last_open = max(first, earliest.astimezone(tz).date()), min(last, latest.astimezone(tz).date())
    for resource in resources:
        calendar = calendars[resource]
        busy = sorted(busy_all[resource], key=lambda b: b.start)
        starts = [b.start for b in busy]
        day = first_open
        while day <= last_open:
            intervals = cal.intervals_on(calendar, day) if day not in free else []
            if intervals:
                midnight = datetime.combine(day, datetime.min.time(), tz)
                # a booking lasts at most a day and its buffers: those starting two days before to a day after
                near = busy[bisect_left(starts, midnight - timedelta(days=2)):bisect_left(starts, midnight + timedelta(days=2))]
                if free_slots(day=day, tz=tz, intervals=intervals, rules=rules, busy=near, earliest=earliest,
                              latest=latest):
                    free.add(day)
            day += timedelta(days=1)
    return MonthDays(year=year, month=month, zone=tz.key, free_days=sorted(free))
