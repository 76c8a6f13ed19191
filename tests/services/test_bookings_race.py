"""No double booking under concurrency (BK3, BK5): threads on separate connections released by a
barrier. PostgreSQL is where it matters (SQLite serialises writers; there the rule must still hold)."""
from sqlmodel import select

from smo_app.models.bookings import Booking, BookingState
from smo_app.services.bookings import booking, deposits
from smo_app.services.core.actor import Actor
from smo_app.services.payments import providers
from tests.booking_support import NOW, PHONE, at, invoices, make_service, plus  # noqa: F401
from tests.commerce_factories import SYSTEM
from tests.factories import make_customer
from tests.payments_support import yookassa
from tests.race import outcomes, run_at_once


def _customers(session, n):
    return [Actor.customer(make_customer(session).id) for _ in range(n)]


def _booker(service_id, actor, when):
    def call(s):
        return booking.book(s, actor=actor, service_id=service_id, starts_at=when, contact_name="Гость",
                            contact_phone=PHONE, now=NOW).id
    return call


def _live(session, service_id):
    session.expire_all()
    return session.exec(select(Booking).where(Booking.service_id == service_id,
                                              Booking.state != BookingState.cancelled.value)).all()


def test_fifty_customers_on_one_slot_get_exactly_one_booking(engine, session):
    # given an appointment slot at 10:00
    service = make_service(session)
    people = _customers(session, 50)
    session.rollback()
    # when fifty customers book it at the same moment
    results = run_at_once(engine, [_booker(service.id, p, at("10:00")) for p in people])
    # then exactly one got it, the rest were told it is taken, nothing crashed
    assert outcomes(results) == {"ok": 1, "bookings.slot_taken": 49}
    assert len(_live(session, service.id)) == 1


def test_a_class_fills_to_exactly_its_capacity(engine, session):
    service = make_service(session, capacity=5, duration_min=90, step_min=90)
    people = _customers(session, 20)
    session.rollback()
    results = run_at_once(engine, [_booker(service.id, p, at("10:00")) for p in people])
    assert outcomes(results) == {"ok": 5, "bookings.slot_taken": 15}
    assert len(_live(session, service.id)) == 5


def test_overlapping_starts_with_buffers_at_once_leave_one(engine, session):
    # given 20 minutes of buffer after a one-hour service, starts every 15 minutes
    service = make_service(session, buffer_after_min=20, step_min=15)
    people = _customers(session, 4)
    session.rollback()
    # when four customers book 10:00, 10:15, 10:45 and 11:15 at once (each overlaps the next with buffers)
    times = [at("10:00"), at("10:15"), at("10:45"), at("11:15")]
    results = run_at_once(engine, [_booker(service.id, p, t) for p, t in zip(people, times)])
    # then no two live bookings overlap, buffers included
    live = sorted(_live(session, service.id), key=lambda b: b.busy_from)
    assert outcomes(results)["ok"] == len(live) >= 1
    assert all(a.busy_to <= b.busy_from for a, b in zip(live, live[1:]))


def test_a_hold_expiring_while_its_deposit_arrives_is_booked_once_or_refunded(engine, session):
    fake, client = yookassa()
    providers.use_port("yookassa", client)
    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    me = _customers(session, 1)[0]
    for round_ in range(5):
        held = booking.book(session, actor=me, service_id=service.id, starts_at=at(f"1{round_}:00"),
                            contact_name="Гость", contact_phone=PHONE, now=NOW)
        deposits.start_deposit(session, actor=me, booking_id=held.id, provider="yookassa", now=NOW)
        fake.pay(session.get(Booking, held.id).deposit_ref)
        session.rollback()
        later = plus(NOW, 16)  # the hold ran out a minute ago, the money arrives now
        results = run_at_once(engine, [
            lambda s: booking.expire_holds(s, actor=SYSTEM, now=later),
            lambda s: deposits.confirm_deposit(s, actor=me, booking_id=held.id, now=later).outcome,
        ])
        assert all(r[0] == "ok" for r in results), results
        session.expire_all()
        row = session.get(Booking, held.id)
        refunds = [r for r in fake.refunds.values() if r["payment_id"] == row.deposit_ref]
        # booked once, or freed and refunded — never both, never neither
        if row.state == BookingState.confirmed.value:
            assert results[1][1] == "confirmed" and refunds == [] and row.deposit_refunded_minor == 0
        else:
            assert row.state == BookingState.cancelled.value and results[1][1] == "refunded"
            assert len(refunds) == 1 and row.deposit_refunded_minor == 50000


def test_a_stars_deposit_delivered_twice_at_once_while_its_hold_expires_is_credited_once(engine, session, invoices):
    from smo_app.models.audit import AuditEntry
    from smo_app.services.payments import telegram as telegram_payments
    from smo_app.services.payments.core import stars_for
    from smo_app.settings import get_settings

    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    customer = make_customer(session)
    me, buyer = Actor.customer(customer.id), customer.telegram_id
    stars = stars_for(50000, get_settings().stars_kopecks_per_star)
    for round_ in range(5):
        held = booking.book(session, actor=me, service_id=service.id, starts_at=at(f"1{round_}:00"),
                            contact_name="Гость", contact_phone=PHONE, now=NOW)
        deposits.start_deposit(session, actor=me, booking_id=held.id, provider="stars", now=NOW)
        session.rollback()
        charge = f"race-{round_}"
        paid = {"currency": "XTR", "total_amount": stars, "invoice_payload": f"smo:dep:{held.id}",
                "telegram_payment_charge_id": charge}

        def deliver(s):
            return telegram_payments.record_successful_payment(s, successful_payment=paid, telegram_id=buyer)

        # the hold ran out a minute ago; Telegram's update arrives now, twice, as the job frees the slot
        results = run_at_once(engine, [lambda s: booking.expire_holds(s, actor=SYSTEM, now=plus(NOW, 16)),
                                       deliver, deliver])
        assert all(r[0] == "ok" for r in results), results
        session.expire_all()
        row = session.get(Booking, held.id)
        credits = session.exec(select(AuditEntry).where(AuditEntry.action == "booking.deposit_paid",
                                                        AuditEntry.entity_id == str(held.id))).all()
        refunds = [c for c in invoices.calls_of("refundStarPayment")
                   if c["params"]["telegram_payment_charge_id"] == charge]
        # credited once; booked, or freed and the Stars given back once — never both, never neither
        assert len(credits) == 1 and row.deposit_ref == charge
        if row.state == BookingState.confirmed.value:
            assert refunds == [] and row.deposit_refunded_minor == 0
        else:
            assert row.state == BookingState.cancelled.value
            assert len(refunds) == 1 and row.deposit_refunded_minor == 50000
