"""Booking reminders (CO3) through the outbox: the morning of the day (from 08:00 shop time) and an
hour before, to the customer; each provider's day schedule in the morning. The sidecar runs
:func:`queue_reminders` every few minutes; dedupe keys name the booking's version, so a reminder is
queued once per version, and a move or cancel expires the ones still waiting (:func:`expire_for`)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from html import escape

from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Staff
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.messaging.outbox import enqueue_message

MORNING = time(8, 0)
HOUR_BEFORE = timedelta(hours=1)
KINDS = ("booking_remind_morning", "booking_remind_hour")


def expire_for(session: Session, booking: Booking) -> int:
    """The waiting reminders of a booking that moved or was cancelled are not sent. No commit."""
    return session.execute(update(Outbox).where(
        Outbox.kind.in_(KINDS), Outbox.dedupe_key.like(f"%:{booking.id}:v%"),
        Outbox.status == OutboxStatus.pending.value).values(status=OutboxStatus.expired.value)).rowcount or 0


def queue_reminders(session: Session, *, now: datetime | None = None) -> list[int]:
    """Queue what is due now; returns the outbox ids queued. Commits."""
    now = now or utcnow()
    tz = shop_tz(session)
    local_now = now.astimezone(tz)
    today = local_now.date()
    end_of_day = datetime.combine(today + timedelta(days=1), time(), tz)
    rows = session.exec(select(Booking, BookingService.name, Customer).join(
        BookingService, BookingService.id == Booking.service_id).join(
        Customer, Customer.id == Booking.customer_id, isouter=True).where(
        Booking.state == BookingState.confirmed.value, Booking.starts_at > now,
        Booking.starts_at < end_of_day)).all()
    queued: list[int] = []
    schedule: dict[int, list[str]] = defaultdict(list)
    for booking, service_name, customer in rows:
        when = booking.starts_at.astimezone(tz).strftime("%H:%M")
        if booking.staff_id:
            schedule[booking.staff_id].append(f"{when} — {escape(service_name)}, {escape(booking.contact_name or '—')}")
        if customer is None or not customer.telegram_id:
            continue
        lang = customer.language or "ru"
        due = []
        if local_now.time() >= MORNING:
            due.append(("booking_remind_morning", "bot.booking.reminder_morning"))
        if booking.starts_at - now <= HOUR_BEFORE:
            due.append(("booking_remind_hour", "bot.booking.reminder_hour"))
        for kind, key in due:
            row = enqueue_message(session, kind=kind, chat_id=customer.telegram_id, customer_id=customer.id,
                                  text=t(key, lang, service=escape(service_name), time=when),
                                  dedupe_key=f"{kind}:{booking.id}:v{booking.version}", expires_at=booking.starts_at)
            if row is not None:
                session.flush()
                queued.append(row.id)
    if local_now.time() >= MORNING:
        for staff in session.exec(select(Staff).where(Staff.id.in_(list(schedule)), Staff.telegram_id.is_not(None),
                                                      Staff.is_active.is_(True))).all():
            row = enqueue_message(session, kind="booking_provider_day", chat_id=staff.telegram_id, staff_id=staff.id,
                                  text=t("bot.booking.provider_day", staff.language or "ru",
                                         lines="\n".join(sorted(schedule[staff.id]))),
                                  dedupe_key=f"booking_provider_day:{staff.id}:{today.isoformat()}",
                                  expires_at=end_of_day)
            if row is not None:
                session.flush()
                queued.append(row.id)
    session.commit()
    return queued
