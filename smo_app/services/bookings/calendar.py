"""Providers' calendars (BK2): working hours per weekday in the shop's time zone, and day
exceptions — a day off, an extra working day, a shorter day — and holidays for everyone."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel
from sqlalchemy import delete, or_
from sqlmodel import Session, select

from smo_app.models.bookings import BookingDay, BookingHours
from smo_app.services.bookings.slots import Interval, day_intervals
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic

DAY_KINDS = ("off", "hours")


class DayException(BaseModel):
    resource: int | None  # None: a holiday for everyone
    day: date
    kind: str
    intervals: list[Interval] = []
    note: str = ""


class Calendar(BaseModel):
    resource: int
    week: dict[int, list[Interval]]  # weekday (0 = Monday) → intervals
    days: list[DayException]


def _check(intervals: list[Interval]) -> list[Interval]:
    out = sorted((int(s), int(e)) for s, e in intervals)
    for s, e in out:
        if not 0 <= s < e <= 24 * 60:
            raise DomainError("bookings.hours_invalid", "bad interval")
    for (_, e1), (s2, _) in zip(out, out[1:]):
        if s2 < e1:
            raise DomainError("bookings.hours_overlap", "intervals overlap")
    return out


@atomic
def set_week(session: Session, *, actor: Actor, resource: int, week: dict[int, list[Interval]]) -> Calendar:
    """Replace a resource's weekly hours (a weekday not given is a day off)."""
    require(actor, Perm.bookings_manage)
    checked = {int(d): _check(iv) for d, iv in week.items() if 0 <= int(d) <= 6}
    before = read_calendar(session, resource=resource).week
    session.execute(delete(BookingHours).where(BookingHours.resource == resource))
    for weekday, intervals in checked.items():
        for s, e in intervals:
            session.add(BookingHours(resource=resource, weekday=weekday, start_min=s, end_min=e))
    audit.record(session, actor=actor, action="booking_hours.update", entity="booking_resource", entity_id=resource,
                 before={str(k): v for k, v in before.items()}, after={str(k): v for k, v in checked.items()})
    session.commit()
    return read_calendar(session, resource=resource)


@atomic
def set_day(session: Session, *, actor: Actor, resource: int | None, day: date, kind: str,
            intervals: list[Interval] = (), note: str = "") -> DayException:
    """Mark one local date for a resource (or, ``resource`` None, a holiday for everyone): ``off``, or
    ``hours`` with the intervals that replace the weekday's (an extra or a shorter day)."""
    require(actor, Perm.bookings_manage)
    if kind not in DAY_KINDS:
        raise DomainError("bookings.day_kind_invalid", "bad kind")
    checked = _check(list(intervals)) if kind == "hours" else []
    if kind == "hours" and not checked:
        raise DomainError("bookings.hours_invalid", "no interval")
    _clear_day(session, resource, day)
    rows = [BookingDay(resource=resource, day=day, kind=kind, start_min=s, end_min=e, note=note[:200])
            for s, e in checked] or [BookingDay(resource=resource, day=day, kind=kind, note=note[:200])]
    session.add_all(rows)
    audit.record(session, actor=actor, action="booking_day.set", entity="booking_resource", entity_id=resource,
                 after={"day": day.isoformat(), "kind": kind, "intervals": checked, "note": note})
    session.commit()
    return DayException(resource=resource, day=day, kind=kind, intervals=checked, note=note)


@atomic
def clear_day(session: Session, *, actor: Actor, resource: int | None, day: date) -> None:
    require(actor, Perm.bookings_manage)
    _clear_day(session, resource, day)
    audit.record(session, actor=actor, action="booking_day.clear", entity="booking_resource", entity_id=resource,
                 after={"day": day.isoformat()})
    session.commit()


def _clear_day(session: Session, resource: int | None, day: date) -> None:
    who = BookingDay.resource.is_(None) if resource is None else BookingDay.resource == resource
    session.execute(delete(BookingDay).where(who, BookingDay.day == day))


def read_calendar(session: Session, *, resource: int, start: date | None = None, end: date | None = None) -> Calendar:
    return read_calendars(session, [resource], start=start, end=end)[resource]


def read_calendars(session: Session, resources: list[int], *, start: date | None = None,
                   end: date | None = None) -> dict[int, Calendar]:
    """Several resources' hours and special days (holidays included in each), in two queries."""
    weeks: dict[int, dict[int, list[Interval]]] = {r: defaultdict(list) for r in resources}
    for h in session.exec(select(BookingHours).where(BookingHours.resource.in_(resources))
                          .order_by(BookingHours.weekday, BookingHours.start_min)).all():
        weeks[h.resource][h.weekday].append((h.start_min, h.end_min))
    q = select(BookingDay).where(or_(BookingDay.resource.in_(resources), BookingDay.resource.is_(None)))
    if start is not None:
        q = q.where(BookingDay.day >= start)
    if end is not None:
        q = q.where(BookingDay.day <= end)
    grouped: dict[tuple[int | None, date], DayException] = {}
    for d in session.exec(q.order_by(BookingDay.day, BookingDay.start_min)).all():
        ex = grouped.setdefault((d.resource, d.day), DayException(resource=d.resource, day=d.day, kind=d.kind, note=d.note))
        if d.kind == "hours" and d.start_min is not None and d.end_min is not None:
            ex.intervals.append((d.start_min, d.end_min))
    days = list(grouped.values())
    return {r: Calendar(resource=r, week=dict(weeks[r]), days=[d for d in days if d.resource in (None, r)])
            for r in resources}


def intervals_on(calendar: Calendar, day: date) -> list[Interval]:
    """The resource's working intervals on a local date: a holiday or day off closes it, an
    exception's hours replace the weekday's."""
    own = [d for d in calendar.days if d.day == day and d.resource is not None]
    holiday = any(d.day == day and d.resource is None and d.kind == "off" for d in calendar.days)
    off = holiday or any(d.kind == "off" for d in own)
    exception = next((d.intervals for d in own if d.kind == "hours"), None)
    return day_intervals(calendar.week.get(day.weekday(), []), exception, off=off)
