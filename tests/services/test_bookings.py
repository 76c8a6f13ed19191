"""Bookings (BK1–BK5) on SQLite and PostgreSQL: services, calendars, slots, the booking states,
deposits through the payments port, and the waitlist."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.bookings import Booking, BookingState
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.services.bookings import availability, booking, calendar, catalog, deposits, waitlist
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.payments import providers
from tests.booking_support import DAY, NOW, PHONE, at, invoices, labels, make_service, next_week, plus  # noqa: F401
from tests.commerce_factories import SYSTEM
from tests.factories import make_customer, make_staff
from tests.payments_support import yookassa


def customer_actor(session, **fields):
    c = make_customer(session, **fields)
    return Actor.customer(c.id, name=c.full_name)


def book(session, actor, service, when, **kw):
    return booking.book(session, actor=actor, service_id=service.id, starts_at=when, contact_name="Анна",
                        contact_phone=PHONE, now=NOW, **kw)


def test_a_booked_slot_is_gone_from_the_day_and_shows_in_my_bookings(session):
    # given a one-hour service with a 30-minute step and a provider working 10–18
    service = make_service(session)
    me = customer_actor(session)
    manager = make_staff(session, Role.manager)
    session.execute(sa.update(Staff).where(Staff.id == manager.id).values(telegram_id=7_900_000_001))
    session.commit()
    assert labels(availability.day_slots(session, actor=me, service_id=service.id, day=DAY, now=NOW))[:3] == [
        "10:00", "10:30", "11:00"]
    # when the customer books 10:00
    out = book(session, me, service, at("10:00"))
    # then it is confirmed (no deposit), 10:00 and 10:30 are no longer offered, 11:00 is
    assert out.state == "confirmed" and out.local_time == "10:00" and out.zone == "Europe/Moscow"
    day = labels(availability.day_slots(session, actor=me, service_id=service.id, day=DAY, now=NOW))
    assert "10:00" not in day and "10:30" not in day and day[0] == "11:00"
    assert [b.id for b in booking.my_bookings(session, actor=me)] == [out.id]
    # and staff are told, the audit log has it
    assert session.exec(select(Outbox.chat_id).where(Outbox.kind == "booking_new")).all() == [7_900_000_001]
    assert session.exec(select(AuditEntry.action).where(AuditEntry.entity == "booking")).all() == ["booking.create"]


def test_buffers_keep_the_next_booking_away_and_an_overlap_is_refused(session):
    # given a service with 15 minutes' buffer after
    service = make_service(session, buffer_after_min=15, step_min=15)
    a, b = customer_actor(session), customer_actor(session)
    book(session, a, service, at("10:00"))
    # when another customer asks for 11:00 (inside the buffer)
    with pytest.raises(DomainError) as refused:
        book(session, b, service, at("11:00"))
    # then it is refused as taken, and 11:15 is the next offered start
    assert refused.value.code == "bookings.slot_taken"
    assert labels(availability.day_slots(session, actor=b, service_id=service.id, day=DAY, now=NOW))[0] == "11:15"
    assert book(session, b, service, at("11:15")).state == "confirmed"


def test_minimum_notice_holidays_and_exceptions_shape_the_days(session):
    service = make_service(session, min_notice_min=24 * 60)
    me = customer_actor(session)
    provider = service.provider_ids[0]
    tomorrow = (NOW + timedelta(hours=3)).astimezone(at("10:00").tzinfo).date()
    # a start inside the minimum notice is neither offered nor bookable
    assert labels(availability.day_slots(session, actor=me, service_id=service.id, day=tomorrow, now=NOW)) == []
    with pytest.raises(DomainError) as refused:
        book(session, me, service, at("14:00", tomorrow))
    assert refused.value.code == "bookings.slot_taken"
    # a holiday closes the day for everyone, a shorter day cuts it
    calendar.set_day(session, actor=SYSTEM, resource=None, day=DAY, kind="off", note="Праздник")
    assert labels(availability.day_slots(session, actor=me, service_id=service.id, day=DAY, now=NOW)) == []
    calendar.clear_day(session, actor=SYSTEM, resource=None, day=DAY)
    calendar.set_day(session, actor=SYSTEM, resource=provider, day=DAY, kind="hours", intervals=[(600, 720)])
    assert labels(availability.day_slots(session, actor=me, service_id=service.id, day=DAY, now=NOW)) == [
        "10:00", "10:30", "11:00"]
    # and the month view highlights the days with free slots, not the holiday
    calendar.set_day(session, actor=SYSTEM, resource=None, day=DAY + timedelta(days=1), kind="off")
    month = availability.month_days(session, actor=me, service_id=service.id, year=2026, month=12, now=NOW)
    assert DAY in month.free_days and DAY + timedelta(days=1) not in month.free_days
    assert tomorrow not in month.free_days and min(month.free_days) > tomorrow


def test_a_class_takes_bookings_up_to_its_capacity(session):
    service = make_service(session, capacity=3, duration_min=90, step_min=90, name="Мастер-класс")
    people = [customer_actor(session) for _ in range(4)]
    for p in people[:3]:
        assert book(session, p, service, at("10:00")).state == "confirmed"
    with pytest.raises(DomainError) as refused:
        book(session, people[3], service, at("10:00"))
    assert refused.value.code == "bookings.slot_taken"


def test_states_cancel_complete_and_no_show_follow_the_rules(session):
    service = make_service(session)
    me = customer_actor(session)
    manager = make_staff(session, Role.manager).actor()
    seller = make_staff(session, Role.seller).actor()
    first = book(session, me, service, at("10:00"))
    second = book(session, me, service, at("12:00"))
    # staff must give a reason; a seller (not a provider) may not cancel at all
    with pytest.raises(DomainError) as refused:
        booking.cancel(session, actor=manager, booking_id=first.id, now=NOW)
    assert refused.value.code == "bookings.reason_required"
    with pytest.raises(DomainError) as refused:
        booking.cancel(session, actor=seller, booking_id=first.id, reason="x", now=NOW)
    assert refused.value.code == "common.forbidden"
    # the customer cancels their own; the slot is free again
    assert booking.cancel(session, actor=me, booking_id=first.id, now=NOW).state == "cancelled"
    assert "10:00" in labels(availability.day_slots(session, actor=me, service_id=service.id, day=DAY, now=NOW))
    # no-show only after the start; complete with the final price
    with pytest.raises(DomainError) as refused:
        booking.mark_no_show(session, actor=manager, booking_id=second.id, now=NOW)
    assert refused.value.code == "bookings.not_started"
    done = booking.complete(session, actor=manager, booking_id=second.id, final_price_minor=350000,
                            now=plus(at("13:00"), 0))
    assert (done.state, done.final_price_minor) == ("completed", 350000)
    with pytest.raises(DomainError) as refused:
        booking.cancel(session, actor=me, booking_id=second.id, now=NOW)
    assert refused.value.code == "bookings.not_open"


def test_staff_book_a_caller_by_phone_and_move_it(session):
    service = make_service(session)
    caller = make_customer(session, phone="89161234567")
    manager = make_staff(session, Role.manager).actor()
    out = booking.book(session, actor=manager, service_id=service.id, starts_at=at("15:00"), contact_name="Звонок",
                       contact_phone="+7 (916) 123-45-67", now=NOW)
    assert out.customer_id == caller.id
    moved = booking.move(session, actor=manager, booking_id=out.id, starts_at=at("16:00"), now=NOW)
    assert moved.local_time == "16:00" and moved.version == out.version + 1
    assert "15:00" in labels(availability.day_slots(session, actor=None, service_id=service.id, day=DAY, now=NOW))


def test_a_deposit_holds_the_slot_then_confirms_once_through_the_port(session):
    fake, client = yookassa()
    providers.use_port("yookassa", client)
    service = make_service(session, deposit_kind="percent", deposit_value=20, hold_min=15)
    me = customer_actor(session)
    held = book(session, me, service, at("10:00"))
    # the booking waits for 20% of the price
    assert (held.state, held.deposit_minor) == ("pending", 60000)
    started = deposits.start_deposit(session, actor=me, booking_id=held.id, provider="yookassa", now=NOW)
    assert started.confirmation_url and started.amount_minor == 60000
    with pytest.raises(DomainError) as refused:
        deposits.confirm_deposit(session, actor=me, booking_id=held.id, now=NOW)
    assert refused.value.code == "bookings.deposit_not_paid"
    fake.pay(session.get(Booking, held.id).deposit_ref)
    # paid: confirmed once; a second notice changes nothing
    assert deposits.confirm_deposit(session, actor=me, booking_id=held.id, now=NOW).outcome == "confirmed"
    assert deposits.confirm_deposit(session, actor=me, booking_id=held.id, now=NOW).outcome == "already"
    # cancelled well ahead: the deposit goes back through the port, once
    out = booking.cancel(session, actor=me, booking_id=held.id, now=NOW)
    assert out.state == "cancelled" and out.deposit_refunded_minor == 60000
    assert [r["amount"]["value"] for r in fake.refunds.values()] == ["600.00"]


def test_an_unpaid_hold_expires_and_a_late_deposit_is_refunded(session):
    fake, client = yookassa()
    providers.use_port("yookassa", client)
    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    me, other = customer_actor(session), customer_actor(session)
    held = book(session, me, service, at("10:00"))
    deposits.start_deposit(session, actor=me, booking_id=held.id, provider="yookassa", now=NOW)
    # while held, nobody else gets 10:00
    with pytest.raises(DomainError):
        book(session, other, service, at("10:00"))
    # the hold runs out: the job frees the slot
    assert booking.expire_holds(session, actor=SYSTEM, now=plus(NOW, 16)) == 1
    assert session.get(Booking, held.id).state == "cancelled"
    # "My bookings" says why in words, never the job's code
    [mine] = [b for b in booking.my_bookings(session, actor=me) if b.id == held.id]
    assert booking.reason_text(mine.cancel_reason, "ru") == "предоплата не поступила вовремя"
    assert booking.reason_text("Заболел мастер", "ru") == "Заболел мастер"
    # and the customer is told, once
    told = session.exec(select(Outbox).where(Outbox.kind == "booking_hold_expired")).all()
    assert len(told) == 1 and "не поступила вовремя" in told[0].payload["text"]
    # the money arrives late: refunded, not booked
    fake.pay(session.get(Booking, held.id).deposit_ref)
    assert deposits.confirm_deposit(session, actor=me, booking_id=held.id, now=plus(NOW, 17)).outcome == "refunded"
    assert [r["amount"]["value"] for r in fake.refunds.values()] == ["500.00"]
    assert book(session, other, service, at("10:00")).state == "pending"


def test_a_cancelled_slot_is_offered_to_the_first_in_line_and_passes_on_when_not_taken(session):
    service = make_service(session)
    holder = customer_actor(session)
    first, second = make_customer(session), make_customer(session)
    taken = book(session, holder, service, at("10:00"))
    for c in (first, second):
        waitlist.join(session, actor=Actor.customer(c.id), service_id=service.id, day=DAY, now=NOW)
    # when the booking is cancelled
    booking.cancel(session, actor=holder, booking_id=taken.id, now=NOW)
    # then the first in line gets a bot message with a button, and the slot is held for them
    offers = session.exec(select(Outbox).where(Outbox.kind == "booking_waitlist_offer")).all()
    assert [o.chat_id for o in offers] == [first.telegram_id]
    assert offers[0].payload["buttons"][0][0]["callback_data"].startswith(waitlist.ACCEPT_PREFIX)
    assert "10:00" not in labels(availability.day_slots(session, actor=None, service_id=service.id, day=DAY, now=NOW))
    # not taken in time: the offer passes to the second
    assert waitlist.expire_offers(session, actor=SYSTEM, now=plus(NOW, waitlist.OFFER_MINUTES + 1)) == 1
    offers = session.exec(select(Outbox).where(Outbox.kind == "booking_waitlist_offer").order_by(Outbox.id)).all()
    assert [o.chat_id for o in offers] == [first.telegram_id, second.telegram_id]
    entry_id = int(offers[1].payload["buttons"][0][0]["callback_data"].removeprefix(waitlist.ACCEPT_PREFIX))
    with pytest.raises(DomainError):
        waitlist.accept_offer(session, actor=Actor.customer(first.id), entry_id=entry_id, now=plus(NOW, 32))
    taken = waitlist.accept_offer(session, actor=Actor.customer(second.id), entry_id=entry_id, now=plus(NOW, 32))
    assert taken.state == "booked"
    mine = booking.my_bookings(session, actor=Actor.customer(second.id))
    assert [(b.local_time, b.state) for b in mine] == [("10:00", "confirmed")]


def test_the_owner_deletes_a_service_only_without_future_bookings(session):
    service = make_service(session)
    owner, manager = make_staff(session, Role.owner).actor(), make_staff(session, Role.manager).actor()
    b = book(session, customer_actor(session), service, at("10:00"))
    with pytest.raises(DomainError) as refused:
        catalog.delete_service(session, actor=manager, service_id=service.id, now=NOW)
    assert refused.value.code == "common.forbidden"
    with pytest.raises(DomainError) as refused:
        catalog.delete_service(session, actor=owner, service_id=service.id, now=NOW)
    assert refused.value.code == "bookings.service_has_bookings"
    booking.cancel(session, actor=owner, booking_id=b.id, reason="закрываем", now=NOW)
    catalog.delete_service(session, actor=owner, service_id=service.id, now=NOW)
    assert catalog.list_services(session) == []


def test_postgresql_refuses_overlapping_exclusive_bookings_even_without_the_service(session, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    service = make_service(session, buffer_after_min=30)
    b = book(session, customer_actor(session), service, at("10:00"))
    row = session.get(Booking, b.id)
    # a second row written straight to the table, overlapping only the buffer
    clone = Booking(**{**row.model_dump(exclude={"id", "deposit_ref"}), "starts_at": at("11:15"),
                       "ends_at": at("12:15"), "busy_from": at("11:15"), "busy_to": at("12:45")})
    session.add(clone)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # cancelled ones do not count
    session.execute(sa.update(Booking).where(Booking.id == b.id).values(state=BookingState.cancelled.value))
    session.add(Booking(**{**clone.model_dump(exclude={"id"})}))
    session.commit()


def test_the_demo_shop_has_services_providers_and_bookings_in_every_state(session):
    from tests.demo_support import demo_shop
    from smo_app.models.bookings import WaitlistEntry

    # given the demo shop as `make run` seeds it
    demo_shop(session)
    # then a newcomer finds three services (one class, one with a deposit) and bookings in each state
    services = catalog.list_services(session)
    assert len(services) == 3
    assert any(s.capacity > 1 for s in services) and any(s.deposit_minor > 0 for s in services)
    states = set(session.exec(select(Booking.state)).all())
    assert states == {"confirmed", "pending", "completed", "cancelled", "no_show"}
    assert session.exec(select(WaitlistEntry)).first() is not None


def test_a_completed_booking_counts_in_revenue_as_its_own_channel(session):
    from smo_app.services.analytics import revenue
    from tests.booking_support import TZ

    # given a booking completed on the 14th at 3 800 ₽ (its listed price was 3 000 ₽)
    service = make_service(session)
    b = book(session, customer_actor(session), service, at("10:00"))
    booking.complete(session, actor=SYSTEM, booking_id=b.id, final_price_minor=380000, now=at("11:05"))
    owner = make_staff(session, Role.owner).actor()
    # then the revenue of that shop day shows it under bookings, not as an order
    series = revenue.daily_revenue(session, actor=owner, date_from=DAY, date_to=DAY, tz=TZ)
    assert series.channel_total("bookings") == 380000 and series.revenue_minor == 380000 and series.orders == 0


def test_the_providers_notice_of_a_deposit_confirms_the_booking_without_a_dead_letter(session):
    from smo_app.models.integrations import DeadLetter
    from smo_app.services.payments import core as payments_core

    fake, client = yookassa()
    providers.use_port("yookassa", client)
    service = make_service(session, deposit_kind="fixed", deposit_value=50000)
    me = customer_actor(session)
    held = book(session, me, service, at("10:00"))
    deposits.start_deposit(session, actor=me, booking_id=held.id, provider="yookassa", now=NOW)
    ref = session.get(Booking, held.id).deposit_ref
    fake.pay(ref)
    # when the payments inbox applies YooKassa's notice (twice: a redelivery)
    outcomes = [payments_core.apply_provider_payment(session, provider="yookassa", fact=client.get_payment(ref),
                                                     now=NOW).outcome for _ in range(2)]
    session.commit()
    # then the booking is confirmed once, and no "unknown order" dead letter waits for a refund by hand
    assert outcomes == ["paid", "already"]
    session.expire_all()
    assert session.get(Booking, held.id).state == "confirmed"
    # and when it is cancelled in time, the provider's refund notice leaves no "unknown refund" letter either
    from smo_app.services.payments import refund_sync

    booking.cancel(session, actor=me, booking_id=held.id, now=NOW)
    [refund] = fake.refunds.values()
    fact = client.get_refund(refund["id"])
    assert refund_sync.apply_provider_refund(session, provider="yookassa", fact=fact, now=NOW).outcome == "already"
    session.commit()
    assert session.exec(select(DeadLetter)).all() == []


def test_a_service_photo_goes_through_the_image_port_and_a_non_image_is_refused(session, tmp_path):
    import io

    from PIL import Image

    from smo_app import composition
    from smo_app.services.catalog.images import LocalDiskStorage

    composition.use(images=LocalDiskStorage(tmp_path))
    service = make_service(session)
    manager = make_staff(session, Role.manager).actor()
    with pytest.raises(DomainError) as refused:
        catalog.set_photo(session, actor=manager, service_id=service.id, data=b"not an image")
    assert refused.value.code == "images.not_image"
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "purple").save(buf, format="PNG")
    out = catalog.set_photo(session, actor=manager, service_id=service.id, data=buf.getvalue())
    assert out.photo_url and [s.photo_url for s in catalog.list_services(session)] == [out.photo_url]
    assert len(list(tmp_path.rglob("*.png"))) == 1


def test_a_caller_booked_by_staff_is_confirmed_and_pays_the_deposit_at_the_desk(session):
    service = make_service(session, deposit_kind="fixed", deposit_value=50000)
    manager = make_staff(session, Role.manager).actor()
    out = booking.book(session, actor=manager, service_id=service.id, starts_at=at("10:00"), contact_name="Звонок",
                       contact_phone=PHONE, now=NOW)
    assert (out.state, out.hold_until, out.deposit_minor, out.deposit_paid) == ("confirmed", None, 50000, False)
    # nothing expires it
    assert booking.expire_holds(session, actor=SYSTEM, now=plus(NOW, 60 * 24)) == 0


# --------------------------------------------------------------------------- deposits in Telegram

def _stars(minor: int) -> int:
    from smo_app.services.payments.core import stars_for
    from smo_app.settings import get_settings

    return stars_for(minor, get_settings().stars_kopecks_per_star)


def _paid(booking_id: int, charge: str, total: int, currency: str = "XTR") -> dict:
    """Telegram's ``successful_payment`` for a deposit's invoice."""
    return {"currency": currency, "total_amount": total, "invoice_payload": f"smo:dep:{booking_id}",
            "telegram_payment_charge_id": charge, "provider_payment_charge_id": f"prov-{charge}"}


def test_a_deposit_in_telegram_is_an_invoice_naming_the_booking_and_stars_are_priced_as_orders(
        session, invoices, monkeypatch):
    from smo_app.settings import reset_settings_cache

    # given a shop that takes Telegram Payments and Stars, and a booking waiting for a 500 ₽ deposit
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "telegram,stars,manual")
    reset_settings_cache()
    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    me = customer_actor(session)
    held = book(session, me, service, at("10:00"))
    # then both are offered for the deposit
    assert deposits.deposit_methods(session) == ["telegram", "stars"]
    # when the customer starts it in roubles, then in Stars
    card = deposits.start_deposit(session, actor=me, booking_id=held.id, provider="telegram", now=NOW)
    stars = deposits.start_deposit(session, actor=me, booking_id=held.id, provider="stars", now=NOW)
    # then each is an invoice link whose payload names the booking's deposit, not an order's payment
    rub, xtr = (c["params"] for c in invoices.calls_of("createInvoiceLink"))
    assert rub["payload"] == xtr["payload"] == f"smo:dep:{held.id}"
    assert (rub["currency"], rub["prices"][0]["amount"], rub["title"]) == ("RUB", 50000, "Консультация")
    assert (xtr["currency"], xtr["prices"][0]["amount"]) == ("XTR", _stars(50000)) == ("XTR", stars.amount_minor)
    assert card.confirmation_url.startswith("https://t.me/$") and stars.confirmation_url.startswith("https://t.me/$")
    # and "I have paid" before Telegram said so changes nothing
    with pytest.raises(DomainError) as early:
        deposits.confirm_deposit(session, actor=me, booking_id=held.id, now=NOW)
    assert early.value.code == "bookings.deposit_not_paid"
    session.expire_all()
    assert session.get(Booking, held.id).state == "pending"


def test_a_stars_deposit_is_credited_once_and_one_after_the_hold_ran_out_goes_back(session, invoices):
    from smo_app.models.integrations import DeadLetter
    from smo_app.services.payments import telegram as telegram_payments

    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    customer = make_customer(session)
    me = Actor.customer(customer.id)
    early, late = book(session, me, service, at("10:00")), book(session, me, service, at("12:00"))
    for held in (early, late):
        deposits.start_deposit(session, actor=me, booking_id=held.id, provider="stars", now=NOW)
    stars = _stars(50000)

    def pay(held, charge):
        return telegram_payments.record_successful_payment(session, successful_payment=_paid(held.id, charge, stars),
                                                           telegram_id=customer.telegram_id)

    # when the first is paid and Telegram delivers it twice
    assert [pay(early, "st-1"), pay(early, "st-1")] == ["processed", "duplicate"]
    # then it is confirmed once, the charge is its payment
    session.expire_all()
    row = session.get(Booking, early.id)
    assert (row.state, row.deposit_provider, row.deposit_ref) == ("confirmed", "stars", "st-1")
    paid = session.exec(select(AuditEntry).where(AuditEntry.action == "booking.deposit_paid")).all()
    assert [a.entity_id for a in paid] == [str(early.id)]
    # when the second's hold runs out before its Stars come
    assert booking.expire_holds(session, actor=SYSTEM, now=plus(NOW, 16)) == 1
    assert pay(late, "st-2") == "processed"
    # then it stays cancelled and the Stars go back to the buyer through the port, once
    session.expire_all()
    row = session.get(Booking, late.id)
    assert (row.state, row.deposit_refunded_minor) == ("cancelled", 50000)
    [refund] = invoices.calls_of("refundStarPayment")
    assert refund["params"]["telegram_payment_charge_id"] == "st-2"
    assert int(refund["params"]["user_id"]) == customer.telegram_id
    # and a second, different payment for the deposit already paid is not credited: staff are told to give it back
    assert pay(early, "st-3") == "processed"
    assert [d.reason for d in session.exec(select(DeadLetter)).all()] == ["bookings.deposit_not_credited"]
    session.expire_all()
    assert session.get(Booking, early.id).deposit_ref == "st-1"


def test_pre_checkout_of_a_deposit_goes_ahead_only_while_it_is_due(session, invoices):
    from smo_app.models.base import utcnow
    from smo_app.services.payments import telegram as telegram_payments

    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    me = customer_actor(session)
    now = utcnow()
    held = booking.book(session, actor=me, service_id=service.id, starts_at=next_week("10:00"), contact_name="Анна",
                        contact_phone=PHONE, now=now)
    deposits.start_deposit(session, actor=me, booking_id=held.id, provider="telegram", now=now)
    payload = f"smo:dep:{held.id}"

    def ask(total, currency="RUB"):
        return telegram_payments.check_pre_checkout(session, payload=payload, currency=currency, total_amount=total)

    # the sum started goes ahead; another sum, or Stars for an invoice in roubles, is refused
    assert ask(50000) is None
    assert ask(49900) == ask(_stars(50000), "XTR") == "bookings.deposit_changed"
    # the hold run out
    assert deposits.check_pre_checkout(session, provider="telegram", reference=payload, currency="RUB",
                                       total_amount=50000, now=plus(now, 16)) == "bookings.hold_expired"
    # paid already: refused
    telegram_payments.record_successful_payment(session, successful_payment=_paid(held.id, "tg-1", 50000, "RUB"))
    assert ask(50000) == "bookings.deposit_closed"
    # an unknown booking is refused
    assert telegram_payments.check_pre_checkout(session, payload="smo:dep:999999", currency="RUB",
                                                total_amount=50000) == "bookings.deposit_closed"


def test_a_card_deposit_paid_in_telegram_after_the_hold_is_left_to_staff_to_give_back(session, invoices):
    from smo_app.models.integrations import DeadLetter
    from smo_app.services.payments import telegram as telegram_payments

    # given a booking whose deposit was started as a card invoice in Telegram, and whose hold ran out
    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    me = customer_actor(session)
    held = book(session, me, service, at("10:00"))
    deposits.start_deposit(session, actor=me, booking_id=held.id, provider="telegram", now=NOW)
    assert booking.expire_holds(session, actor=SYSTEM, now=plus(NOW, 16)) == 1
    # when the payment lands anyway
    telegram_payments.record_successful_payment(session, successful_payment=_paid(held.id, "tg-late", 50000, "RUB"))
    # then the booking stays cancelled, and since Telegram's card payments go back in the provider's
    # dashboard, a dead letter tells staff to give it back
    session.expire_all()
    row = session.get(Booking, held.id)
    assert (row.state, row.deposit_ref, row.deposit_refunded_minor) == ("cancelled", "tg-late", 50000)
    assert [(d.reason, d.reference) for d in session.exec(select(DeadLetter)).all()] == [("payment.refund_failed",
                                                                                          "tg-late")]
    assert invoices.calls_of("refundStarPayment") == []
