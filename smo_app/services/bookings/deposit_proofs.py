"""Deposits sent by transfer (BK5): the customer sees the shop's transfer details and sends a
screenshot from the Mini App; while it waits for staff the booking's hold is paused (``hold_until``
unset, so the expiry job never frees it under review); staff confirm it (the deposit credited once,
the booking confirmed) or reject it with a reason (the booking cancelled, the slot freed, the
customer told through the outbox). The screenshot is checked by ``payments.manual.checked_image``.

Pausing is one conditional UPDATE that finds the booking still pending, unpaid and its hold not run
out (or already paused for a transfer), so a screenshot and the expiry at the same moment decide
once; a decision marks the screenshot decided only where it is not (twice: refused).
"""
from __future__ import annotations

from datetime import datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingDepositProof, BookingService, BookingState
from smo_app.money import format_money
from smo_app.services.bookings import booking as bookings
from smo_app.services.bookings.deposits import MANUAL, own_booking, under_review
from smo_app.services.bookings.notices import STAFF_ROLES, customer_deposit_confirmed, when_text
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.core.unique import unique_as
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.services.payments.manual import checked_image, decision_note, stored_screenshot
from smo_app.services.payments.setup import TransferForOrder, transfer_details


class DepositTransfer(TransferForOrder):
    """Where the customer sends the deposit, as the shop entered it, with the comment naming it."""

    booking_id: int
    amount_minor: int
    waiting: bool  # a screenshot is with staff already


class ProofDecision(BaseModel):
    """What a decision on a deposit's screenshot left: the booking confirmed or cancelled."""

    booking_id: int
    state: str


def transfer_for_booking(session: Session, *, actor: Actor, booking_id: int, lang: str = "ru") -> DepositTransfer:
    """The transfer details for the customer's own pending booking (refused when the shop takes no
    transfers or the deposit is not due)."""
    b = own_booking(session, booking_id, actor)
    d = transfer_details(session)
    session.rollback()
    if not d.ready:
        raise DomainError("payment.method_unavailable", "no transfer details", method=MANUAL)
    if b.state != BookingState.pending.value or b.deposit_paid_at is not None:
        raise DomainError("bookings.deposit_closed", "no deposit is due")
    return DepositTransfer(booking_id=b.id, amount_minor=b.deposit_minor, recipient=d.recipient, bank=d.bank,
                           account=d.account, comment=t("bookings.transfer_comment", lang, number=b.id),
                           sbp_link=d.sbp_link, review_minutes=d.review_minutes, waiting=under_review(b))


@atomic
def submit_deposit_proof(session: Session, *, actor: Actor, booking_id: int, filename: str, content: bytes,
                         now: datetime | None = None) -> bool:
    """Attach the customer's screenshot of the deposit (a new one replaces one not decided yet) and
    pause the hold; staff are told. Raises the screenshot's errors (``payment.proof_*``),
    ``bookings.hold_expired``, ``bookings.deposit_closed``."""
    kind = checked_image(content)
    now = now or utcnow()
    b = own_booking(session, booking_id, actor)
    paused = session.execute(update(Booking).where(
        Booking.id == b.id, Booking.state == BookingState.pending.value, Booking.deposit_paid_at.is_(None),
        or_(Booking.hold_until > now, and_(Booking.hold_until.is_(None), Booking.deposit_provider == MANUAL)))
        .values(hold_until=None, deposit_provider=MANUAL, deposit_ref=None, updated_at=now)).rowcount
    if not paused:
        session.rollback()
        session.refresh(b)
        expired = b.cancel_reason == "hold_expired" or (b.state == BookingState.pending.value and b.deposit_paid_at is None)
        raise DomainError("bookings.hold_expired" if expired else "bookings.deposit_closed", "the deposit is not due")
    proof = session.exec(select(BookingDepositProof).where(BookingDepositProof.booking_id == b.id)).first()
    if proof is not None and proof.decided_at is not None:
        raise DomainError("payment.already_decided", "already decided")
    proof = proof or BookingDepositProof(booking_id=b.id, filename="", content_type="", content=b"")
    proof.filename, proof.content_type, proof.content, proof.uploaded_at = (filename or "proof")[:200], kind, content, now
    session.add(proof)
    with unique_as(session, "booking_deposit_proof", "booking_id",
                   lambda: DomainError("payment.busy", "another upload is storing it")):
        session.flush()
    audit.record(session, actor=actor, action="booking.deposit_proof", entity="booking", entity_id=b.id,
                 after={"bytes": len(content), "amount_minor": b.deposit_minor})
    service = session.get(BookingService, b.service_id)
    when, amount = when_text(session, b), b.deposit_minor
    enqueue_staff_alert(session, kind="booking_deposit_proof", roles=STAFF_ROLES,
                        dedupe_key=f"booking-proof:{b.id}:{int(now.timestamp())}",
                        text=lambda lang: t("bot.booking.staff_proof", lang, service=escape(service.name), when=when,
                                            amount=format_money(amount, "RUB", lang)))
    session.commit()
    return True


def proof_of_booking(session: Session, *, actor: Actor, booking_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of a booking's deposit screenshot, for staff."""
    return stored_screenshot(session, actor=actor, perm=Perm.bookings_manage, key_column=BookingDepositProof.booking_id,
                             key=booking_id, entity="booking_deposit_proof")


@atomic
def decide_deposit_proof(session: Session, *, actor: Actor, booking_id: int, accept: bool, note: str = "",
                         now: datetime | None = None) -> ProofDecision:
    """Staff confirm the transfer (the deposit credited once, the booking confirmed) or reject it with
    a reason (the booking cancelled as by staff: the slot freed, the customer told); once."""
    require(actor, Perm.bookings_manage)
    note = decision_note(accept, note)
    b = bookings.load_for_update(session, booking_id)  # the booking first, as an upload takes it
    now = now or utcnow()
    decided = session.execute(update(BookingDepositProof).where(
        BookingDepositProof.booking_id == booking_id, BookingDepositProof.decided_at.is_(None))
        .values(decided_at=now, decided_by=actor.id if actor.is_staff else None, decision_note=note or None)
        .execution_options(synchronize_session=False)).rowcount
    if decided != 1 or not under_review(b):
        raise DomainError("payment.already_decided", "already decided")
    audit.record(session, actor=actor, action="booking.deposit_proof_confirm" if accept else "booking.deposit_proof_reject",
                 entity="booking", entity_id=booking_id, after={"amount_minor": b.deposit_minor}, note=note or None)
    if not accept:
        out = bookings.cancel(session, actor=actor, booking_id=booking_id, reason=note, now=now)
        return ProofDecision(booking_id=booking_id, state=out.state)
    credited = session.execute(update(Booking).where(
        Booking.id == booking_id, Booking.state == BookingState.pending.value, Booking.deposit_paid_at.is_(None))
        .values(deposit_paid_at=now, deposit_ref=f"manual-booking-{booking_id}", state=BookingState.confirmed.value,
                version=Booking.version + 1, updated_at=now)).rowcount
    if credited != 1:
        raise DomainError("payment.already_decided", "already decided")
    audit.record(session, actor=actor, action="booking.deposit_paid", entity="booking", entity_id=booking_id,
                 after={"amount_minor": b.deposit_minor, "provider": MANUAL, "confirmed": True})
    session.refresh(b)
    customer_deposit_confirmed(session, b)
    session.commit()
    return ProofDecision(booking_id=booking_id, state=BookingState.confirmed.value)
