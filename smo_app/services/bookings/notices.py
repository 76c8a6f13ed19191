"""Booking messages through the outbox (CO3): new and cancelled bookings to staff, a cancellation
to the customer, and a transfer's deposit checked. Queued in the caller's transaction (no commit), each once (dedupe keys name the
booking's version)."""
from __future__ import annotations

from html import escape

from sqlmodel import Session

from smo_app.i18n import t
from smo_app.models.bookings import Booking, BookingService
from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.messaging.outbox import enqueue_message, enqueue_staff_alert

STAFF_ROLES = (Role.owner, Role.admin, Role.manager)


def when_text(session: Session, booking: Booking) -> str:
    return booking.starts_at.astimezone(shop_tz(session)).strftime("%d.%m.%Y %H:%M")


def staff_new(session: Session, booking: Booking, service: BookingService) -> None:
    when, name = when_text(session, booking), escape(booking.contact_name or "—")
    enqueue_staff_alert(session, kind="booking_new", roles=STAFF_ROLES, dedupe_key=f"booking_new:{booking.id}",
                        text=lambda lang: t("bot.booking.staff_new", lang, service=escape(service.name), when=when,
                                            name=name, phone=escape(booking.contact_phone or "—")))


def staff_cancelled(session: Session, booking: Booking, service: BookingService) -> None:
    when = when_text(session, booking)
    enqueue_staff_alert(session, kind="booking_cancelled", roles=STAFF_ROLES,
                        dedupe_key=f"booking_cancelled:{booking.id}",
                        text=lambda lang: t("bot.booking.staff_cancelled", lang, service=escape(service.name), when=when,
                                            reason=escape(booking.cancel_reason or "—")))


def customer_cancelled(session: Session, booking: Booking, service: BookingService) -> None:
    _to_customer(session, booking, "booking_cancelled", "bot.booking.cancelled", service=escape(service.name),
                 reason=escape(booking.cancel_reason or "—"))


def customer_hold_expired(session: Session, booking: Booking) -> None:
    """The deposit did not come in time: the slot is free again (said once)."""
    service = session.get(BookingService, booking.service_id)
    _to_customer(session, booking, "booking_hold_expired", "bot.booking.hold_expired", service=escape(service.name))


def customer_deposit_confirmed(session: Session, booking: Booking) -> None:
    """A transfer's screenshot was checked by staff: the booking stands (said once)."""
    service = session.get(BookingService, booking.service_id)
    _to_customer(session, booking, "booking_deposit_confirmed", "bot.booking.deposit_confirmed",
                 service=escape(service.name))


def _to_customer(session: Session, booking: Booking, kind: str, key: str, **params) -> None:
    customer = session.get(Customer, booking.customer_id) if booking.customer_id else None
    if customer is None or not customer.telegram_id:
        return
    text = t(key, customer.language or "ru", when=when_text(session, booking), **params)
    enqueue_message(session, kind=kind, chat_id=customer.telegram_id, text=text, customer_id=customer.id,
                    dedupe_key=f"{kind}_customer:{booking.id}")
