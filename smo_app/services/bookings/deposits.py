"""Deposits (BK5) through the payments port, as orders pay: started once per booking (the port's
idempotency key), credited once when the provider's payment is fetched back as succeeded, and given
back through the same port when the booking was freed first or is cancelled within the policy.

A deposit credited while its hold expires is one row decided once: the credit sets
``deposit_paid_at`` only where it is unset, the expiry cancels only an unpaid pending booking, and a
credit that finds the booking already cancelled refunds it — booked once or refunded, never both.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from integrations.ports.payment import CreatePayment, ProviderPayment
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.tx import atomic
from smo_app.services.payments.dto import ApplyOut
from smo_app.services.payments.providers import enabled_methods, port_for, require_port
from smo_app.settings import get_settings

REDIRECT_METHODS = ("yookassa", "stripe")  # the methods whose port pays a deposit on the provider's page

# the provider's metadata names our payment row and order; a deposit names neither (0): the payments
# service hands its notices to :func:`apply_notice`, which knows the deposit by the provider's id
NO_ROW = 0


def deposit_methods(session: Session, *, actor: Actor | None = None) -> list[str]:
    """The shop's enabled payment methods that can take a deposit (a provider's payment page)."""
    return [m for m in enabled_methods() if m in REDIRECT_METHODS and port_for(m) is not None]


def poll_started(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """The sidecar's job, before holds expire: ask the provider about each started, unpaid deposit and
    credit the ones it took (the customer may have closed the Mini App after paying)."""
    now = now or utcnow()
    ids = session.exec(select(Booking.id).where(
        Booking.state == BookingState.pending.value, Booking.deposit_ref.is_not(None),
        Booking.deposit_paid_at.is_(None))).all()
    session.rollback()
    credited = 0
    for booking_id in ids:
        try:
            credited += confirm_deposit(session, actor=actor, booking_id=booking_id, now=now).outcome == "confirmed"
        except DomainError:
            continue  # not paid yet
    return credited


class DepositStart(BaseModel):
    booking_id: int
    provider: str
    confirmation_url: str | None
    amount_minor: int


class DepositResult(BaseModel):
    booking_id: int
    outcome: str  # confirmed | already | refunded
    state: str


def _booking(session: Session, booking_id: int, actor: Actor) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or (actor.is_customer and booking.customer_id != actor.id):
        raise NotFound("booking", booking_id)
    return booking


@atomic
def start_deposit(session: Session, *, actor: Actor, booking_id: int, provider: str,
                  return_url: str | None = None, now: datetime | None = None) -> DepositStart:
    """Ask the provider for the deposit's payment (again: the same one, by the idempotency key)."""
    now = now or utcnow()
    booking = _booking(session, booking_id, actor)
    if booking.state != BookingState.pending.value or booking.deposit_paid_at is not None:
        raise DomainError("bookings.deposit_not_due", "no deposit is due")
    if booking.hold_until is not None and booking.hold_until <= now:
        raise DomainError("bookings.hold_expired", "the hold ran out")
    port = require_port(provider)
    service = session.get(BookingService, booking.service_id)
    settings = get_settings()
    made = port.create_payment(CreatePayment(
        payment_id=NO_ROW, order_id=NO_ROW, amount_minor=booking.deposit_minor,
        description=f"Deposit: {service.name}"[:128], idempotency_key=f"booking-deposit-{booking.id}",
        return_url=return_url or settings.payments_return_url or settings.public_url))
    session.execute(update(Booking).where(Booking.id == booking.id, Booking.deposit_paid_at.is_(None))
                    .values(deposit_provider=provider, deposit_ref=made.id))
    session.commit()
    return DepositStart(booking_id=booking.id, provider=provider, confirmation_url=made.confirmation_url,
                        amount_minor=booking.deposit_minor)


@atomic
def confirm_deposit(session: Session, *, actor: Actor, booking_id: int, now: datetime | None = None) -> DepositResult:
    """Fetch the deposit's payment back from the provider; when it succeeded, credit it once: the
    pending booking is confirmed, or, freed before it came, the money goes back."""
    now = now or utcnow()
    booking = _booking(session, booking_id, actor)
    if booking.deposit_ref is None or booking.deposit_provider is None:
        raise DomainError("bookings.deposit_not_started", "no deposit payment")
    fact = require_port(booking.deposit_provider).get_payment(booking.deposit_ref)
    return _credit(session, booking, fact, actor=actor, now=now)


def _credit(session: Session, booking: Booking, fact: ProviderPayment, *, actor: Actor, now: datetime) -> DepositResult:
    if fact.status != "succeeded" or fact.id != booking.deposit_ref or fact.amount_minor != booking.deposit_minor \
            or fact.payment_id not in (None, NO_ROW):
        raise DomainError("bookings.deposit_not_paid", "the provider has not taken it")
    credited = session.execute(update(Booking).where(
        Booking.id == booking.id, Booking.deposit_ref == fact.id, Booking.deposit_paid_at.is_(None))
        .values(deposit_paid_at=now, updated_at=now)).rowcount
    if not credited:
        session.rollback()
        fresh = session.get(Booking, booking.id)
        session.refresh(fresh)
        return DepositResult(booking_id=booking.id, outcome="already", state=fresh.state)
    confirmed = session.execute(update(Booking).where(
        Booking.id == booking.id, Booking.state == BookingState.pending.value)
        .values(state=BookingState.confirmed.value, hold_until=None, version=Booking.version + 1)).rowcount
    audit.record(session, actor=actor, action="booking.deposit_paid", entity="booking", entity_id=booking.id,
                 after={"amount_minor": booking.deposit_minor, "provider": booking.deposit_provider,
                        "confirmed": bool(confirmed)})
    session.commit()
    if confirmed:
        return DepositResult(booking_id=booking.id, outcome="confirmed", state=BookingState.confirmed.value)
    refund_deposit(session, booking_id=booking.id, amount_minor=booking.deposit_minor)
    return DepositResult(booking_id=booking.id, outcome="refunded", state=BookingState.cancelled.value)


def owns_payment(session: Session, *, provider: str, provider_payment_id: str) -> bool:
    """The provider's payment is a booking's deposit (its notices and refunds are the bookings')."""
    return session.exec(select(Booking.id).where(
        Booking.deposit_provider == provider, Booking.deposit_ref == provider_payment_id)).first() is not None


def apply_notice(session: Session, *, provider: str, fact: ProviderPayment, now: datetime) -> ApplyOut:
    """The payments inbox's notice about a deposit (already confirmed by fetching it back), credited
    as :func:`confirm_deposit` does; registered by the composition root with ``payments.providers``."""
    booking = session.exec(select(Booking).where(Booking.deposit_provider == provider,
                                                 Booking.deposit_ref == fact.id)).first()
    if booking is None or fact.status != "succeeded":
        return ApplyOut(outcome="ignored", reason="payment.unknown")
    try:
        result = _credit(session, booking, fact, actor=Actor.system(f"payments:{provider}"), now=now)
    except DomainError as exc:
        return ApplyOut(outcome="ignored", reason=exc.code)
    return ApplyOut(outcome={"confirmed": "paid", "already": "already"}.get(result.outcome, "canceled"),
                    reason=None if result.outcome != "refunded" else "bookings.hold_expired")


def refund_deposit(session: Session, *, booking_id: int, amount_minor: int) -> bool:
    """Give a credited deposit back through the port, once (marked before the call; the provider's
    idempotency key makes a retry the same refund)."""
    marked = session.execute(update(Booking).where(
        Booking.id == booking_id, Booking.deposit_paid_at.is_not(None), Booking.deposit_refunded_minor == 0)
        .values(deposit_refunded_minor=amount_minor)).rowcount
    if not marked:
        session.rollback()
        return False
    booking = session.exec(select(Booking).where(Booking.id == booking_id)).one()
    audit.record(session, actor=Actor.system("bookings"), action="booking.deposit_refund", entity="booking",
                 entity_id=booking_id, after={"amount_minor": amount_minor, "provider": booking.deposit_provider})
    session.commit()
    require_port(booking.deposit_provider).refund(
        provider_payment_id=booking.deposit_ref, amount_minor=amount_minor, currency="RUB",
        idempotency_key=f"booking-deposit-refund-{booking_id}", reason="booking cancelled")
    return True
