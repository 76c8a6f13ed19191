"""The waitlist (BK5): a customer waits for a full day or one slot of a service; when a booking is
cancelled the first in line is offered the freed slot — held for them for ``OFFER_MINUTES`` as a
pending booking — by a bot message with a button; an offer not taken in time passes to the next."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState, WaitlistEntry, WaitlistState
from smo_app.models.customer import Customer
from smo_app.services.bookings.availability import resource_slots
from smo_app.services.bookings.catalog import live_service
from smo_app.services.bookings.notices import when_text
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor, own_customer_id
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.locks import xact_lock
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.core.tx import atomic
from smo_app.services.messaging.outbox import enqueue_message

OFFER_MINUTES = 30
CALLBACK_PREFIX = "bkwait"
ACCEPT_PREFIX = CALLBACK_PREFIX + ":"  # the button's callback data: bkwait:<entry id>


class WaitlistOut(BaseModel):
    id: int
    service_id: int
    day: date
    starts_at: datetime | None
    state: str


@atomic
def join(session: Session, *, actor: Actor, service_id: int, day: date, starts_at: datetime | None = None,
         now: datetime | None = None) -> WaitlistOut:
    """Wait for a day (or one slot) of a service; joining twice keeps the first place."""
    customer_id = own_customer_id(actor)
    live_service(session, service_id, actor=actor)
    if day < (now or utcnow()).astimezone(shop_tz(session)).date():
        raise DomainError("bookings.day_past", "the day is over")
    existing = session.exec(select(WaitlistEntry).where(
        WaitlistEntry.service_id == service_id, WaitlistEntry.customer_id == customer_id, WaitlistEntry.day == day,
        WaitlistEntry.state.in_([WaitlistState.waiting.value, WaitlistState.offered.value]))).first()
    if existing is None:
        customer = session.get(Customer, customer_id)
        existing = WaitlistEntry(service_id=service_id, customer_id=customer_id, day=day, starts_at=starts_at,
                                 telegram_id=customer.telegram_id if customer else None)
        session.add(existing)
        session.flush()
        audit.record(session, actor=actor, action="booking.waitlist_join", entity="booking_waitlist",
                     entity_id=existing.id, after={"service_id": service_id, "day": day.isoformat()})
        session.commit()
    return WaitlistOut(id=existing.id, service_id=service_id, day=existing.day, starts_at=existing.starts_at,
                       state=existing.state)


def offer_freed(session: Session, *, booking: Booking, service: BookingService, now: datetime) -> WaitlistEntry | None:
    """Offer a freed booking's slot to the first in line for its day: hold it for them (a pending
    booking) and queue the bot message with the button. No commit (the cancellation's transaction)."""
    day = booking.starts_at.astimezone(shop_tz(session)).date()
    entries = session.exec(select(WaitlistEntry).where(
        WaitlistEntry.service_id == service.id, WaitlistEntry.day == day,
        WaitlistEntry.state == WaitlistState.waiting.value).order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    entry = next((e for e in entries if e.starts_at is None or e.starts_at == booking.starts_at), None)
    if entry is None:
        return None
    xact_lock(session, f"booking:resource:{booking.resource}")
    if booking.starts_at not in resource_slots(session, service, booking.resource, day, now=now, enforce_window=False):
        return None  # taken again meanwhile (or already begun)
    until = now + timedelta(minutes=OFFER_MINUTES)
    customer = session.get(Customer, entry.customer_id)
    hold = Booking(service_id=service.id, customer_id=entry.customer_id, staff_id=booking.staff_id,
                   resource=booking.resource, exclusive=booking.exclusive, starts_at=booking.starts_at,
                   ends_at=booking.ends_at, busy_from=booking.busy_from, busy_to=booking.busy_to,
                   state=BookingState.pending.value, hold_until=until, format=booking.format, place=booking.place,
                   contact_name=(customer.full_name or "") if customer else "", contact_phone=(customer.phone or "") if customer else "",
                   price_minor=service.price_minor, deposit_minor=booking.deposit_minor if booking.deposit_minor else 0,
                   created_at=now, updated_at=now)
    session.add(hold)
    session.flush()
    entry.state, entry.offer_booking_id, entry.offer_until = WaitlistState.offered.value, hold.id, until
    session.add(entry)
    if entry.telegram_id:
        lang = (customer.language if customer else None) or "ru"
        enqueue_message(
            session, kind="booking_waitlist_offer", chat_id=entry.telegram_id, customer_id=entry.customer_id,
            text=t("bot.booking.waitlist_offer", lang, service=service.name, when=when_text(session, booking),
                   minutes=OFFER_MINUTES),
            buttons=[[{"text": t("bot.booking.waitlist_take", lang), "callback_data": f"{ACCEPT_PREFIX}{entry.id}"}]],
            dedupe_key=f"booking_waitlist_offer:{entry.id}", expires_at=until)
    return entry


@atomic
def accept_offer(session: Session, *, actor: Actor, entry_id: int, now: datetime | None = None) -> WaitlistOut:
    """The customer takes the held slot from the bot's button: confirmed (or, with a deposit, held for it)."""
    now = now or utcnow()
    customer_id = own_customer_id(actor)
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.customer_id != customer_id:
        raise NotFound("waitlist", entry_id)
    if entry.state != WaitlistState.offered.value or entry.offer_until is None or entry.offer_until <= now:
        raise DomainError("bookings.offer_expired", "the offer has run out")
    hold = session.get(Booking, entry.offer_booking_id)
    service = session.get(BookingService, entry.service_id)
    values = ({"hold_until": now + timedelta(minutes=service.hold_min)} if hold.deposit_minor
              else {"state": BookingState.confirmed.value, "hold_until": None})
    taken = session.execute(update(Booking).where(
        Booking.id == hold.id, Booking.state == BookingState.pending.value, Booking.hold_until > now)
        .values(version=Booking.version + 1, updated_at=now, **values)).rowcount
    if not taken:
        raise DomainError("bookings.offer_expired", "the offer has run out")
    entry.state = WaitlistState.booked.value
    session.add(entry)
    audit.record(session, actor=actor, action="booking.waitlist_accept", entity="booking", entity_id=hold.id)
    session.commit()
    return WaitlistOut(id=entry.id, service_id=entry.service_id, day=entry.day, starts_at=entry.starts_at,
                       state=entry.state)


@atomic
def expire_offers(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """The sidecar's job: an offer not taken in time expires, its hold is freed, the next in line is offered."""
    now = now or utcnow()
    stale = session.exec(select(WaitlistEntry).where(
        WaitlistEntry.state == WaitlistState.offered.value, WaitlistEntry.offer_until <= now)).all()
    for entry in stale:
        entry.state = WaitlistState.expired.value
        session.add(entry)
        hold = session.get(Booking, entry.offer_booking_id)
        session.execute(update(Booking).where(
            Booking.id == hold.id, Booking.state == BookingState.pending.value, Booking.deposit_paid_at.is_(None))
            .values(state=BookingState.cancelled.value, cancel_reason="offer_expired", cancelled_by="system",
                    version=Booking.version + 1, updated_at=now))
        session.flush()
        session.refresh(hold)
        if hold.state == BookingState.cancelled.value:  # freed now, or by the holds job a moment before
            offer_freed(session, booking=hold, service=session.get(BookingService, hold.service_id), now=now)
    if stale:
        audit.record(session, actor=actor, action="booking.waitlist_expired", entity="booking_waitlist",
                     after={"count": len(stale)})
    session.commit()
    return len(stale)
