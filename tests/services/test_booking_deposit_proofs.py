"""Deposits sent by transfer (BK5) on SQLite and PostgreSQL: the customer sees the shop's transfer
details and sends a screenshot; the hold is paused while staff review it; staff confirm it (credited
once) or reject it with a reason (the booking cancelled, the slot freed, the customer told)."""
import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.bookings import Booking, BookingDepositProof
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.bookings import booking, deposit_proofs, deposits
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from tests.booking_support import NOW, PHONE, at, make_service, plus, shop_takes_transfers
from tests.commerce_factories import SYSTEM
from tests.factories import make_customer, make_staff
from tests.race import run_at_once

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def shop(session, monkeypatch):
    """A shop taking transfers (its details entered) and a consultation with a 500 ₽ deposit held 15 min."""
    shop_takes_transfers(session, monkeypatch)
    return make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)


def _held(session, service, hhmm="10:00"):
    me = Actor.customer(make_customer(session).id)
    return me, booking.book(session, actor=me, service_id=service.id, starts_at=at(hhmm), contact_name="Анна",
                            contact_phone=PHONE, now=NOW)


def _send(session, me, held, content=PNG, now=NOW):
    return deposit_proofs.submit_deposit_proof(session, actor=me, booking_id=held.id, filename="pay.png",
                                               content=content, now=now)


def _row(session, booking_id):
    session.expire_all()
    return session.get(Booking, booking_id)


def test_a_screenshot_pauses_the_hold_and_a_confirmed_transfer_confirms_the_booking_once(session, shop):
    me, held = _held(session, shop)
    # the customer is offered a transfer, with the shop's details and a comment naming the booking
    assert deposits.deposit_methods(session) == ["manual"]
    transfer = deposit_proofs.transfer_for_booking(session, actor=me, booking_id=held.id)
    assert (transfer.recipient, transfer.amount_minor, transfer.comment, transfer.waiting) == (
        "ИП Волкова", 50000, f"Предоплата, запись №{held.id}", False)
    # a file that is not an image is refused and changes nothing
    with pytest.raises(DomainError) as bad:
        _send(session, me, held, content=b"%PDF-1.4 not an image")
    assert bad.value.code == "payment.proof_bad_type" and _row(session, held.id).hold_until is not None
    # when the screenshot is sent, staff are told and the hold is paused: the expiry job leaves it
    _send(session, me, held, now=plus(NOW, 5))
    assert booking.expire_holds(session, actor=SYSTEM, now=plus(NOW, 24 * 60)) == 0
    row = _row(session, held.id)
    assert (row.state, row.hold_until) == ("pending", None)
    assert booking.my_bookings(session, actor=me)[0].deposit_review is True
    # while it is with staff, another method cannot be started (the paused hold would never run out)
    with pytest.raises(DomainError) as in_review:
        deposits.start_deposit(session, actor=me, booking_id=held.id, provider="yookassa", now=plus(NOW, 6))
    assert in_review.value.code == "bookings.deposit_in_review"
    # when a manager confirms it
    manager = make_staff(session, Role.manager).actor()
    assert deposit_proofs.decide_deposit_proof(session, actor=manager, booking_id=held.id, accept=True).state == "confirmed"
    row = _row(session, held.id)
    assert (row.state, row.deposit_provider, row.deposit_paid_at is not None) == ("confirmed", "manual", True)
    # and the customer is told in the bot that the booking stands
    [told] = session.exec(select(Outbox).where(Outbox.kind == "booking_deposit_confirmed")).all()
    assert "Предоплата" in told.payload["text"] and "получена" in told.payload["text"]
    # a second decision is refused; it was audited once
    with pytest.raises(DomainError) as twice:
        deposit_proofs.decide_deposit_proof(session, actor=manager, booking_id=held.id, accept=False, note="нет денег")
    assert twice.value.code == "payment.already_decided"
    actions = [a.action for a in session.exec(select(AuditEntry).where(AuditEntry.entity == "booking",
                                                                       AuditEntry.entity_id == str(held.id))).all()]
    assert actions.count("booking.deposit_proof_confirm") == 1 and actions.count("booking.deposit_paid") == 1
    # the screenshot reaches staff, not customers
    assert deposit_proofs.proof_of_booking(session, actor=manager, booking_id=held.id)[1:] == ("image/png", PNG)
    # cancelled by staff later: the transfer goes back by hand (no port to call), recorded
    out = booking.cancel(session, actor=manager, booking_id=held.id, reason="болезнь мастера", now=NOW)
    assert (out.state, out.deposit_refunded_minor) == ("cancelled", 50000)


def test_a_rejected_transfer_cancels_the_booking_frees_the_slot_and_tells_the_customer(session, shop):
    me, held = _held(session, shop)
    _send(session, me, held)
    manager = make_staff(session, Role.manager).actor()
    # a rejection needs a reason
    with pytest.raises(DomainError) as bare:
        deposit_proofs.decide_deposit_proof(session, actor=manager, booking_id=held.id, accept=False)
    assert bare.value.code == "payment.reason_required" and _row(session, held.id).state == "pending"
    # when the manager rejects it with a reason
    out = deposit_proofs.decide_deposit_proof(session, actor=manager, booking_id=held.id, accept=False,
                                              note="Перевод не поступил", now=NOW)
    # then the booking is cancelled, the customer told why, and the slot is free for someone else
    assert out.state == "cancelled" and _row(session, held.id).cancel_reason == "Перевод не поступил"
    [told] = session.exec(select(Outbox).where(Outbox.kind == "booking_cancelled")).all()
    assert "Перевод не поступил" in told.payload["text"]
    _other, again = _held(session, shop)
    assert again.state == "pending"
    # and a new screenshot for the cancelled booking is refused
    with pytest.raises(DomainError) as late:
        _send(session, me, held)
    assert late.value.code == "bookings.deposit_closed"


def test_a_screenshot_after_the_hold_ran_out_is_refused(session, shop):
    me, held = _held(session, shop)
    with pytest.raises(DomainError) as expired:
        _send(session, me, held, now=plus(NOW, 16))
    assert expired.value.code == "bookings.hold_expired"
    assert session.exec(select(BookingDepositProof)).all() == []  # nothing stored
    row = _row(session, held.id)
    assert (row.deposit_provider, row.hold_until is not None) == (None, True)


def test_a_screenshot_sent_as_the_hold_runs_out_is_kept_under_review_or_refused_never_both(engine, session, shop):
    me = Actor.customer(make_customer(session).id)
    for round_ in range(4):
        held = booking.book(session, actor=me, service_id=shop.id, starts_at=at(f"1{round_}:00"), contact_name="Гость",
                            contact_phone=PHONE, now=NOW)
        session.rollback()
        moment = held.hold_until  # the expiry and the screenshot at the same instant the hold ends
        results = run_at_once(engine, [
            lambda s: booking.expire_holds(s, actor=SYSTEM, now=moment),
            lambda s: deposit_proofs.submit_deposit_proof(s, actor=me, booking_id=held.id, filename="p.png",
                                                          content=PNG, now=plus(moment, -1 / 60)),
        ])
        row = _row(session, held.id)
        if results[1][0] == "ok":  # under review: the expiry left it
            assert (row.state, row.hold_until, row.deposit_provider) == ("pending", None, "manual")
        else:
            assert results[1][0] == "bookings.hold_expired" and row.state == "cancelled"
            assert session.exec(select(BookingDepositProof).where(BookingDepositProof.booking_id == held.id)).first() is None
