"""Deposits (BK5) through the payments port, as orders pay: started once per booking (the port's
idempotency key), credited once when the provider's payment is fetched back as succeeded, and given
back through the same port when the booking was freed first or is cancelled within the policy.

Telegram Payments and Stars take a deposit as an invoice whose payload names the booking
(``smo:dep:<id>``, not an order's payment): the bot's pre-checkout asks :func:`check_pre_checkout`
(pending, unpaid, hold not run out, the sum as started), and ``successful_payment`` is credited by
the same :func:`_credit`, which then learns the payment's id (Telegram's charge id). Stars are
priced as orders are (``payments.core.stars_for``) and go back through the port's refund.

A deposit credited while its hold expires is one row decided once: the credit sets
``deposit_paid_at`` only where it is unset, the expiry cancels only an unpaid pending booking, and a
credit that finds the booking already cancelled refunds it — booked once or refunded, never both.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from integrations.http import ProviderRejected
from integrations.ports.payment import CreatePayment, ProviderPayment
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState
from smo_app.models.customer import Customer
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.tx import atomic
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.payments.core import dead_letter_payment, stars_for
from smo_app.services.payments.dto import ApplyOut
from smo_app.services.payments.providers import enabled_methods, port_for, require_port
from smo_app.services.payments.setup import configured, transfer_details
from smo_app.settings import get_settings

REDIRECT_METHODS = ("yookassa", "stripe")  # the methods whose port pays a deposit on the provider's page
MANUAL = "manual"  # a transfer by the shop's details, its screenshot decided by staff (``deposit_proofs``)
INVOICE_METHODS = ("telegram", "stars")  # Telegram's invoice, opened in the Mini App; paid through the bot
REFERENCE_PREFIX = "smo:dep:"  # an invoice payload naming a booking's deposit (an order's is "smo:pay:")

# the provider's metadata names our payment row and order; a deposit names neither (0): the payments
# service hands its notices to :func:`apply_notice`, which knows the deposit by the provider's id
NO_ROW = 0


def deposit_reference(booking_id: int) -> str:
    return f"{REFERENCE_PREFIX}{booking_id}"


def booking_of(reference: str | None) -> int | None:
    """The booking a deposit's reference (Telegram's invoice payload) names, else None."""
    ours = bool(reference) and reference.startswith(REFERENCE_PREFIX)
    tail = reference.removeprefix(REFERENCE_PREFIX) if ours else ""
    return int(tail) if tail.isdigit() else None


def _settings(session: Session):
    return configured(session, get_settings())[1]  # the owner's payment set-up, the environment on top


def deposit_methods(session: Session, *, actor: Actor | None = None) -> list[str]:
    """The shop's enabled payment methods that can take a deposit (a provider's payment page, a
    Telegram invoice), each configured (its port is there); a transfer once the shop entered where
    it goes."""
    enabled = enabled_methods(_settings(session))
    out = [m for m in enabled if m in REDIRECT_METHODS + INVOICE_METHODS and port_for(m) is not None]
    if MANUAL in enabled and transfer_details(session).ready:
        out.append(MANUAL)
    session.rollback()
    return out


def under_review(b: Booking) -> bool:
    """A screenshot of the deposit sent by transfer waits for staff (the hold is paused for it)."""
    return b.state == BookingState.pending.value and b.deposit_paid_at is None and b.hold_until is None \
        and b.deposit_provider == MANUAL


def _due(booking: Booking, provider: str | None, settings) -> tuple[int, str]:
    """What the provider is asked for the deposit: kopecks, or whole Stars as orders convert them."""
    if provider == "stars":
        return stars_for(booking.deposit_minor, settings.stars_kopecks_per_star), "XTR"
    return booking.deposit_minor, settings.currency


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
    outcome: str  # confirmed | already | refunded | not_credited (a payment it does not take: a dead letter)
    state: str


def own_booking(session: Session, booking_id: int, actor: Actor) -> Booking:
    """The booking (a customer's own only; staff and the system any)."""
    booking = session.get(Booking, booking_id)
    if booking is None or (actor.is_customer and booking.customer_id != actor.id):
        raise NotFound("booking", booking_id)
    return booking


@atomic
def start_deposit(session: Session, *, actor: Actor, booking_id: int, provider: str,
                  return_url: str | None = None, now: datetime | None = None) -> DepositStart:
    """Ask the provider for the deposit's payment (again: the same one, by the idempotency key)."""
    now = now or utcnow()
    booking = own_booking(session, booking_id, actor)
    if booking.state != BookingState.pending.value or booking.deposit_paid_at is not None:
        raise DomainError("bookings.deposit_not_due", "no deposit is due")
    if booking.hold_until is not None and booking.hold_until <= now:
        raise DomainError("bookings.hold_expired", "the hold ran out")
    if under_review(booking):  # the hold is paused for a transfer's screenshot: staff decide first
        raise DomainError("bookings.deposit_in_review", "a transfer waits for review")
    if provider not in REDIRECT_METHODS + INVOICE_METHODS:
        raise DomainError("payment.method_unavailable", f"{provider} takes no deposit", method=provider)
    port = require_port(provider)
    service = session.get(BookingService, booking.service_id)
    settings = _settings(session)
    amount, currency = _due(booking, provider, settings)
    made = port.create_payment(CreatePayment(
        payment_id=NO_ROW, order_id=NO_ROW, amount_minor=amount, currency=currency,
        description=f"Deposit: {service.name}"[:128], idempotency_key=f"booking-deposit-{booking.id}",
        return_url=return_url or settings.payments_return_url or settings.public_url,
        reference=deposit_reference(booking.id), title=service.name[:32]))
    # a Telegram invoice has no id until it is paid (the charge id, learnt when it is credited)
    session.execute(update(Booking).where(Booking.id == booking.id, Booking.deposit_paid_at.is_(None))
                    .values(deposit_provider=provider, deposit_ref=made.id or None))
    session.commit()
    return DepositStart(booking_id=booking.id, provider=provider, confirmation_url=made.confirmation_url,
                        amount_minor=amount)


@atomic
def confirm_deposit(session: Session, *, actor: Actor, booking_id: int, now: datetime | None = None) -> DepositResult:
    """Fetch the deposit's payment back from the provider; when it succeeded, credit it once: the
    pending booking is confirmed, or, freed before it came, the money goes back."""
    now = now or utcnow()
    booking = own_booking(session, booking_id, actor)
    if booking.deposit_paid_at is not None:
        return DepositResult(booking_id=booking.id, outcome="already", state=booking.state)
    if booking.deposit_provider in INVOICE_METHODS:  # Telegram cannot be asked; the bot hears the payment
        raise DomainError("bookings.deposit_not_paid", "no successful_payment yet")
    if booking.deposit_ref is None or booking.deposit_provider is None:
        raise DomainError("bookings.deposit_not_started", "no deposit payment")
    fact = require_port(booking.deposit_provider).get_payment(booking.deposit_ref)
    return _credit(session, booking, fact, actor=actor, now=now)


def _credit(session: Session, booking: Booking, fact: ProviderPayment, *, actor: Actor, now: datetime) -> DepositResult:
    """Credit the provider's succeeded payment to the booking once (a conditional UPDATE: the first
    of any number of deliveries wins). A Telegram invoice's payment is the booking's by its payload:
    the charge id becomes ``deposit_ref`` as it is credited."""
    invoiced = fact.provider in INVOICE_METHODS and booking_of(fact.reference) == booking.id
    if fact.status != "succeeded" or (fact.amount_minor, fact.currency.upper()) != _due(
            booking, fact.provider, _settings(session)) or fact.payment_id not in (None, NO_ROW) \
            or not (fact.id == booking.deposit_ref or invoiced):
        raise DomainError("bookings.deposit_not_paid", "the provider has not taken it")
    mine = Booking.deposit_ref == fact.id
    if invoiced:  # the invoice started last (the same method); a charge already credited is the same row
        mine = mine | (Booking.deposit_ref.is_(None) & (Booking.deposit_provider == fact.provider))
    credited = session.execute(update(Booking).where(
        Booking.id == booking.id, mine, Booking.deposit_paid_at.is_(None))
        .values(deposit_paid_at=now, deposit_ref=fact.id, deposit_provider=fact.provider, updated_at=now)).rowcount
    if not credited:
        session.rollback()
        fresh = session.get(Booking, booking.id)
        session.refresh(fresh)
        if fresh.deposit_ref != fact.id:  # money for a deposit paid otherwise (or an invoice replaced): back by hand
            _not_credited(session, fresh, fact, now=now)
            return DepositResult(booking_id=booking.id, outcome="not_credited", state=fresh.state)
        return DepositResult(booking_id=booking.id, outcome="already", state=fresh.state)
    confirmed = session.execute(update(Booking).where(
        Booking.id == booking.id, Booking.state == BookingState.pending.value)
        .values(state=BookingState.confirmed.value, hold_until=None, version=Booking.version + 1)).rowcount
    audit.record(session, actor=actor, action="booking.deposit_paid", entity="booking", entity_id=booking.id,
                 after={"amount_minor": booking.deposit_minor, "provider": fact.provider,
                        "confirmed": bool(confirmed)})
    session.commit()
    if confirmed:
        return DepositResult(booking_id=booking.id, outcome="confirmed", state=BookingState.confirmed.value)
    refund_deposit(session, booking_id=booking.id, amount_minor=booking.deposit_minor)
    return DepositResult(booking_id=booking.id, outcome="refunded", state=BookingState.cancelled.value)


def _not_credited(session: Session, booking: Booking, fact: ProviderPayment, *, now: datetime) -> None:
    """Money the booking does not take (its deposit was paid by another payment, or the invoice paid
    is not the one started last): a dead letter and an alert to owner and admins, to give it back."""
    dead_letter_payment(session, provider=fact.provider, reason="bookings.deposit_not_credited", fact=fact,
                        payment=None, order_id=None, refundable=True, now=now)
    audit.record(session, actor=Actor.system(f"payments:{fact.provider}"), action="booking.deposit_not_credited",
                 entity="booking", entity_id=booking.id,
                 after={"amount_minor": fact.amount_minor, "currency": fact.currency, "provider": fact.provider})
    session.commit()


def check_pre_checkout(session: Session, *, provider: str, reference: str, currency: str, total_amount: int,
                       now: datetime | None = None) -> str | None:
    """Telegram's pre-checkout for a deposit's invoice (registered with ``payments.providers``):
    None while the booking is pending, unpaid, its hold not run out and the sum is the one started
    with this method; otherwise the i18n key of the reason. Reads only."""
    now = now or utcnow()
    booking = session.get(Booking, booking_of(reference) or 0)
    if booking is None or booking.state != BookingState.pending.value or booking.deposit_paid_at is not None:
        return "bookings.deposit_closed"
    if booking.hold_until is not None and booking.hold_until <= now:
        return "bookings.hold_expired"
    if booking.deposit_provider != provider or (total_amount, (currency or "").upper()) != _due(
            booking, provider, _settings(session)):
        return "bookings.deposit_changed"
    return None


def owns_payment(session: Session, *, provider: str, provider_payment_id: str | None,
                 reference: str | None = None) -> bool:
    """The provider's payment is a booking's deposit (its notices and refunds are the bookings'):
    a Telegram invoice by its payload, any other by the provider's payment id."""
    if booking_of(reference) is not None:
        return True
    if not provider_payment_id:
        return False
    return session.exec(select(Booking.id).where(
        Booking.deposit_provider == provider, Booking.deposit_ref == provider_payment_id)).first() is not None


def apply_notice(session: Session, *, provider: str, fact: ProviderPayment, now: datetime) -> ApplyOut:
    """The payments inbox's notice about a deposit (already confirmed by fetching it back), credited
    as :func:`confirm_deposit` does; registered by the composition root with ``payments.providers``."""
    named = booking_of(fact.reference)
    booking = session.get(Booking, named) if named is not None else session.exec(select(Booking).where(
        Booking.deposit_provider == provider, Booking.deposit_ref == fact.id)).first()
    if fact.status != "succeeded":
        return ApplyOut(outcome="ignored", reason="payment.unknown")
    try:
        if booking is None:
            raise DomainError("bookings.deposit_not_credited", "no such booking")
        result = _credit(session, booking, fact, actor=Actor.system(f"payments:{provider}"), now=now)
    except DomainError as exc:
        if named is None:
            return ApplyOut(outcome="ignored", reason=exc.code)
        # Telegram took the money for a deposit it cannot be credited to (the sum differs): back by hand
        session.rollback()
        _not_credited(session, booking or Booking(id=named), fact, now=now)
        return ApplyOut(outcome="dead", reason="bookings.deposit_not_credited")
    outcome = {"confirmed": "paid", "already": "already", "not_credited": "dead"}.get(result.outcome, "canceled")
    return ApplyOut(outcome=outcome, reason={"refunded": "bookings.hold_expired",
                                             "not_credited": "bookings.deposit_not_credited"}.get(result.outcome))


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
    if booking.deposit_provider == MANUAL:  # a transfer goes back by hand, as an order's does
        session.commit()
        return True
    extra, (amount, currency) = {}, (amount_minor, "RUB")
    if booking.deposit_provider == "stars":  # the whole payment goes back to the buyer's Telegram account
        customer = session.get(Customer, booking.customer_id) if booking.customer_id else None
        extra["user_id"] = customer.telegram_id if customer is not None else None
        amount, currency = _due(booking, "stars", _settings(session))
    session.commit()
    try:
        require_port(booking.deposit_provider).refund(
            provider_payment_id=booking.deposit_ref, amount_minor=amount, currency=currency,
            idempotency_key=f"booking-deposit-refund-{booking_id}", reason="booking cancelled", **extra)
    except ProviderRejected as exc:  # a card paid in Telegram goes back in the provider's dashboard
        record_dead_letter(session, provider=booking.deposit_provider, kind="payment", reason="payment.refund_failed",
                           reference=booking.deposit_ref, detail=f"booking {booking_id} deposit: {exc}"[:500],
                           payload={"booking_id": booking_id, "amount_minor": amount_minor,
                                    "provider_payment_id": booking.deposit_ref})
        session.commit()
    return True
