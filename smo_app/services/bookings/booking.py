"""Booking use cases (BK3, BK4): book a slot no two customers can both take, move, cancel per the
shop's policy, complete with the final price, mark a no-show; "my bookings" and the staff list.

No double booking: the slot is checked again under the resource's transaction lock (PostgreSQL's
advisory lock; SQLite's writer lock) and PostgreSQL's exclusion constraint refuses an overlapping
exclusive booking even so; a class's capacity is counted under the same lock.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState, ServiceFormat, WaitlistEntry
from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from smo_app.services.bookings import deposits, notices, reminders, waitlist
from smo_app.services.bookings.availability import resource_slots
from smo_app.services.bookings.catalog import deposit_for, live_service, provider_resources
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor, own_customer_id
from smo_app.services.core.errors import DomainError, NotFound, PermissionDenied
from smo_app.services.core.locks import xact_lock
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.core.tx import atomic
from smo_app.text_fold import digits

OPEN = (BookingState.pending.value, BookingState.confirmed.value)


class BookingOut(BaseModel):
    id: int
    service_id: int
    service_name: str
    staff_id: int | None
    staff_name: str
    customer_id: int | None
    starts_at: datetime
    ends_at: datetime
    local_day: date
    local_time: str  # HH:MM in the shop's zone
    zone: str
    state: str
    hold_until: datetime | None
    format: str
    place: str
    contact_name: str
    contact_phone: str
    price_minor: int
    deposit_minor: int
    deposit_paid: bool
    deposit_review: bool = False  # a screenshot of the deposit's transfer waits for staff
    deposit_refunded_minor: int
    final_price_minor: int | None
    cancel_reason: str
    version: int


def booking_out(session: Session, b: Booking, service: BookingService | None = None) -> BookingOut:
    service = service or session.get(BookingService, b.service_id)
    staff = session.get(Staff, b.staff_id) if b.staff_id else None
    tz = shop_tz(session)
    local = b.starts_at.astimezone(tz)
    return BookingOut(
        id=b.id, service_id=b.service_id, service_name=service.name if service else "", staff_id=b.staff_id,
        staff_name=staff.full_name if staff else "", customer_id=b.customer_id, starts_at=b.starts_at,
        ends_at=b.ends_at, local_day=local.date(), local_time=local.strftime("%H:%M"), zone=tz.key, state=b.state,
        hold_until=b.hold_until, format=b.format, place=b.place, contact_name=b.contact_name,
        contact_phone=b.contact_phone, price_minor=b.price_minor, deposit_minor=b.deposit_minor,
        deposit_paid=b.deposit_paid_at is not None, deposit_review=deposits.under_review(b),
        deposit_refunded_minor=b.deposit_refunded_minor,
        final_price_minor=b.final_price_minor, cancel_reason=b.cancel_reason, version=b.version)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise DomainError("bookings.slot_invalid", "naive time")
    return moment.astimezone(timezone.utc)


SYSTEM_REASONS = ("hold_expired", "offer_expired")  # why the shop itself freed a booking (not a person's words)


def reason_text(reason: str | None, lang: str) -> str:
    """A cancelled booking's reason as a person reads it: the words staff or the customer typed, or
    what the shop's own job did ("the deposit did not come in time")."""
    return t(f"bookings.reason.{reason}", lang) if reason in SYSTEM_REASONS else (reason or "")


def expire_holds_of(session: Session, resource: int, now: datetime) -> int:
    """Free a resource's pending bookings whose hold ran out unpaid (a conditional update: a deposit
    credited at the same moment wins or loses as one row) and tell their customers. No commit."""
    freed = session.execute(update(Booking).where(
        Booking.resource == resource, Booking.state == BookingState.pending.value, Booking.hold_until <= now,
        Booking.deposit_paid_at.is_(None)).values(
        state=BookingState.cancelled.value, cancel_reason="hold_expired", cancelled_by="system",
        version=Booking.version + 1, updated_at=now).returning(Booking.id)).scalars().all()
    offered = set(session.exec(select(WaitlistEntry.offer_booking_id).where(
        WaitlistEntry.offer_booking_id.in_(freed))).all()) if freed else set()
    for booking_id in freed:
        if booking_id not in offered:  # a waitlist offer not taken says nothing (the next in line is offered)
            notices.customer_hold_expired(session, session.get(Booking, booking_id))
    return len(freed)


def _who_books(session: Session, actor: Actor, customer_id: int | None, phone: str) -> tuple[int | None, bool]:
    """The customer booked for, and whether staff book on their behalf (a caller by phone)."""
    if actor.is_customer:
        return own_customer_id(actor), False
    require(actor, Perm.bookings_manage)
    if customer_id is None and phone:
        key = digits(phone)[-10:]
        for cid, cphone in session.exec(select(Customer.id, Customer.phone).where(Customer.phone.is_not(None))).all():
            if digits(cphone)[-10:] == key:
                return cid, True
    return customer_id, True


def _format_of(service: BookingService, chosen: str | None) -> str:
    if service.format != ServiceFormat.both.value:
        if chosen not in (None, "", service.format):
            raise DomainError("bookings.format_invalid", "format not offered")
        return service.format
    if chosen not in (ServiceFormat.online.value, ServiceFormat.offline.value):
        raise DomainError("bookings.format_required", "choose online or offline")
    return chosen


def _claim(session: Session, service: BookingService, starts_at: datetime, staff_id: int | None, *, now: datetime,
           enforce_window: bool, ignore_booking_id: int | None = None) -> tuple[int, int | None]:
    """Lock the providers in a fixed order and pick the first one free at ``starts_at``."""
    candidates = [(r, s) for r, s in provider_resources(session, service.id) if staff_id is None or s == staff_id]
    if not candidates:
        raise DomainError("bookings.provider_unknown", "not a provider of this service")
    day = starts_at.astimezone(shop_tz(session)).date()
    for resource, sid in candidates:
        xact_lock(session, f"booking:resource:{resource}")
        expire_holds_of(session, resource, now)
        if starts_at in resource_slots(session, service, resource, day, now=now, enforce_window=enforce_window,
                                       ignore_booking_id=ignore_booking_id):
            return resource, sid
    raise DomainError("bookings.slot_taken", "the slot is no longer free")


def _flush_or_taken(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        if "ex_booking_no_overlap" in str(exc.orig):
            raise DomainError("bookings.slot_taken", "the slot is no longer free") from exc
        raise


@atomic
def book(session: Session, *, actor: Actor, service_id: int, starts_at: datetime, staff_id: int | None = None,
         format: str | None = None, contact_name: str = "", contact_phone: str = "", customer_id: int | None = None,
         now: datetime | None = None) -> BookingOut:
    """Book a free slot: a customer for themself (the Mini App), staff for a caller (by phone).
    A customer's booking with a deposit waits ``hold_min`` minutes for it (pending), else it is
    confirmed (staff take a caller's deposit at the desk)."""
    now = now or utcnow()
    contact_name, contact_phone = contact_name.strip(), contact_phone.strip()
    if len(digits(contact_phone)) < 10:
        raise DomainError("bookings.phone_required", "a phone number is needed")
    customer_id, on_behalf = _who_books(session, actor, customer_id, contact_phone)
    service = live_service(session, service_id, actor=actor)
    if service.hidden and not on_behalf:
        raise NotFound("service", service_id)
    fmt = _format_of(service, format)
    starts_at = _utc(starts_at)
    resource, sid = _claim(session, service, starts_at, staff_id, now=now, enforce_window=not on_behalf)
    deposit = deposit_for(service)
    held = bool(deposit) and not on_behalf  # a caller booked by staff pays the deposit at the desk: confirmed
    ends_at = starts_at + timedelta(minutes=service.duration_min)
    booking = Booking(
        service_id=service.id, customer_id=customer_id, staff_id=sid, resource=resource,
        exclusive=service.capacity == 1, starts_at=starts_at, ends_at=ends_at,
        busy_from=starts_at - timedelta(minutes=service.buffer_before_min),
        busy_to=ends_at + timedelta(minutes=service.buffer_after_min),
        state=BookingState.pending.value if held else BookingState.confirmed.value,
        hold_until=now + timedelta(minutes=service.hold_min) if held else None,
        format=fmt, place=service.place if fmt == ServiceFormat.offline.value else "",
        contact_name=contact_name[:128], contact_phone=contact_phone[:32], price_minor=service.price_minor,
        deposit_minor=deposit, created_by_staff_id=actor.id if actor.is_staff else None, created_at=now, updated_at=now)
    session.add(booking)
    _flush_or_taken(session)
    audit.record(session, actor=actor, action="booking.create", entity="booking", entity_id=booking.id,
                 after={"service": service.name, "starts_at": starts_at.isoformat(), "state": booking.state,
                        "deposit_minor": deposit, "phone": contact_phone})
    notices.staff_new(session, booking, service)
    session.commit()
    return booking_out(session, booking, service)


def _load(session: Session, booking_id: int, *, lock: bool = True) -> Booking:
    q = select(Booking).where(Booking.id == booking_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    booking = session.exec(q).first()
    if booking is None:
        raise NotFound("booking", booking_id)
    return booking


def load_for_update(session: Session, booking_id: int) -> Booking:
    """The booking, locked on PostgreSQL (what a decision on it takes first)."""
    return _load(session, booking_id)


def _own_or_staff(actor: Actor, booking: Booking) -> bool:
    """True when staff act (bookings.manage, or the booking's own provider); a customer only on their own."""
    if actor.is_system:
        return True
    if actor.is_customer:
        if booking.customer_id != actor.id:
            raise NotFound("booking", booking.id)
        return False
    if can(actor, Perm.bookings_manage) or (actor.is_staff and booking.staff_id == actor.id):
        return True
    raise PermissionDenied(Perm.bookings_manage.value)


@atomic
def cancel(session: Session, *, actor: Actor, booking_id: int, reason: str = "", now: datetime | None = None) -> BookingOut:
    """Cancel an open booking. A customer may until it starts; the deposit comes back when they cancel
    at least ``cancel_free_hours`` before (else the shop keeps it). Staff give a reason; a deposit is
    always returned then. The refund leaves through the payments port after the commit."""
    now = now or utcnow()
    booking = _load(session, booking_id)
    by_staff = _own_or_staff(actor, booking)
    service = session.get(BookingService, booking.service_id)
    reason = reason.strip()
    if booking.state not in OPEN:
        raise DomainError("bookings.not_open", "the booking is not open", state=booking.state)
    if by_staff and not reason:
        raise DomainError("bookings.reason_required", "give a reason")
    if not by_staff and booking.starts_at <= now:
        raise DomainError("bookings.too_late_to_cancel", "already started")
    refund = 0
    if booking.deposit_paid_at is not None and booking.deposit_minor:
        free_until = booking.starts_at - timedelta(hours=service.cancel_free_hours)
        refund = booking.deposit_minor if by_staff or now <= free_until else 0
    before = {"state": booking.state}
    booking.state = BookingState.cancelled.value
    booking.cancel_reason = (reason or ("customer" if not by_staff else ""))[:300]
    booking.cancelled_by = "staff" if by_staff and actor.is_staff else ("system" if actor.is_system else "customer")
    booking.version += 1
    booking.updated_at = now
    session.add(booking)
    audit.record(session, actor=actor, action="booking.cancel", entity="booking", entity_id=booking.id, before=before,
                 after={"state": booking.state, "refund_minor": refund, "kept_minor": booking.deposit_minor - refund
                        if booking.deposit_paid_at else 0}, note=reason or None)
    reminders.expire_for(session, booking)
    notices.staff_cancelled(session, booking, service)
    if by_staff:
        notices.customer_cancelled(session, booking, service)
    waitlist.offer_freed(session, booking=booking, service=service, now=now)
    session.commit()
    if refund:
        deposits.refund_deposit(session, booking_id=booking.id, amount_minor=refund)
    session.refresh(booking)
    return booking_out(session, booking, service)


@atomic
def move(session: Session, *, actor: Actor, booking_id: int, starts_at: datetime, staff_id: int | None = None,
         now: datetime | None = None) -> BookingOut:
    """Reschedule an open booking to another free slot (the customer within the booking window; staff
    anywhere the calendar is free). Reminders of the old time expire (the version changes)."""
    now = now or utcnow()
    booking = _load(session, booking_id)
    by_staff = _own_or_staff(actor, booking)
    if booking.state not in OPEN:
        raise DomainError("bookings.not_open", "the booking is not open", state=booking.state)
    service = session.get(BookingService, booking.service_id)
    starts_at = _utc(starts_at)
    resource, sid = _claim(session, service, starts_at, staff_id, now=now, enforce_window=not by_staff,
                           ignore_booking_id=booking.id)
    before = {"starts_at": booking.starts_at.isoformat(), "staff_id": booking.staff_id}
    ends_at = starts_at + timedelta(minutes=service.duration_min)
    booking.resource, booking.staff_id, booking.starts_at, booking.ends_at = resource, sid, starts_at, ends_at
    booking.busy_from = starts_at - timedelta(minutes=service.buffer_before_min)
    booking.busy_to = ends_at + timedelta(minutes=service.buffer_after_min)
    booking.version += 1
    booking.updated_at = now
    session.add(booking)
    _flush_or_taken(session)
    reminders.expire_for(session, booking)
    audit.record(session, actor=actor, action="booking.move", entity="booking", entity_id=booking.id, before=before,
                 after={"starts_at": starts_at.isoformat(), "staff_id": sid})
    session.commit()
    return booking_out(session, booking, service)


def _close(session: Session, *, actor: Actor, booking_id: int, state: str, now: datetime, check=None,
           **values) -> BookingOut:
    """Move a confirmed booking to ``completed`` or ``no_show`` (staff: bookings.manage or its provider)."""
    booking = _load(session, booking_id)
    if not _own_or_staff(actor, booking):
        raise PermissionDenied(Perm.bookings_manage.value)
    if booking.state != BookingState.confirmed.value:
        raise DomainError("bookings.not_confirmed", "only a confirmed booking", state=booking.state)
    if check is not None:
        check(booking)
    booking.state = state
    for k, v in values.items():
        setattr(booking, k, v)
    booking.version += 1
    booking.updated_at = now
    session.add(booking)
    audit.record(session, actor=actor, action=f"booking.{state.replace('completed', 'complete')}", entity="booking",
                 entity_id=booking.id, before={"state": BookingState.confirmed.value},
                 after={"state": state, **values} if "final_price_minor" in values else {"state": state})
    session.commit()
    return booking_out(session, booking)


@atomic
def complete(session: Session, *, actor: Actor, booking_id: int, final_price_minor: int,
             now: datetime | None = None) -> BookingOut:
    """Staff mark a confirmed booking done with the final price (it counts in revenue as bookings)."""
    now = now or utcnow()
    if final_price_minor < 0:
        raise DomainError("bookings.price_invalid", "negative price")
    return _close(session, actor=actor, booking_id=booking_id, state=BookingState.completed.value, now=now,
                  final_price_minor=final_price_minor, completed_at=now)


def _started(now: datetime):
    def check(booking: Booking) -> None:
        if booking.starts_at > now:
            raise DomainError("bookings.not_started", "it has not started yet")
    return check


@atomic
def mark_no_show(session: Session, *, actor: Actor, booking_id: int, now: datetime | None = None) -> BookingOut:
    """Staff mark that the customer did not come (after the start; the deposit is kept)."""
    now = now or utcnow()
    return _close(session, actor=actor, booking_id=booking_id, state=BookingState.no_show.value, now=now,
                  check=_started(now))


def my_bookings(session: Session, *, actor: Actor) -> list[BookingOut]:
    """The customer's bookings, upcoming first, then the past (newest first)."""
    customer_id = own_customer_id(actor)
    rows = session.exec(select(Booking).where(Booking.customer_id == customer_id)
                        .order_by(Booking.starts_at.desc()).limit(100)).all()
    return [booking_out(session, b) for b in rows]


def list_bookings(session: Session, *, actor: Actor, start: datetime, end: datetime, staff_id: int | None = None,
                  state: str | None = None) -> list[BookingOut]:
    """Bookings starting in ``[start, end)``: everyone's for bookings.manage, a provider's own otherwise."""
    if not can(actor, Perm.bookings_manage):
        if not actor.is_staff:
            raise PermissionDenied(Perm.bookings_manage.value)
        staff_id = actor.id
    q = select(Booking).where(Booking.starts_at >= start, Booking.starts_at < end)
    if staff_id is not None:
        q = q.where(Booking.staff_id == staff_id)
    if state:
        q = q.where(Booking.state == state)
    return [booking_out(session, b) for b in session.exec(q.order_by(Booking.starts_at).limit(1000)).all()]


@atomic
def expire_holds(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """The sidecar's job: free every slot held for a deposit that did not come in time."""
    now = now or utcnow()
    resources = session.exec(select(Booking.resource).where(
        Booking.state == BookingState.pending.value, Booking.hold_until <= now).distinct()).all()
    freed = sum(expire_holds_of(session, r, now) for r in resources)
    if freed:
        audit.record(session, actor=actor, action="booking.holds_expired", entity="booking", after={"count": freed})
    session.commit()
    return freed


def calendar_file(session: Session, *, actor: Actor, booking_id: int) -> tuple[str, bytes]:
    """"Add to calendar": the booking as an iCalendar (.ics) event, UTC times, the place or "online"."""
    b = _load(session, booking_id, lock=False)
    _own_or_staff(actor, b)
    service = session.get(BookingService, b.service_id)

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")

    stamp = "%Y%m%dT%H%M%SZ"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//smo//bookings//RU", "CALSCALE:GREGORIAN", "BEGIN:VEVENT",
             f"UID:booking-{b.id}-v{b.version}@smo", f"DTSTAMP:{b.updated_at.strftime(stamp)}",
             f"DTSTART:{b.starts_at.strftime(stamp)}", f"DTEND:{b.ends_at.strftime(stamp)}",
             f"SUMMARY:{esc(service.name)}", f"LOCATION:{esc(b.place or b.format)}", "END:VEVENT", "END:VCALENDAR"]
    return f"booking-{b.id}.ics", ("\r\n".join(lines) + "\r\n").encode()
