"""Bookings in the bot: reminders at the right shop-time moments with a controllable clock (morning
of the day, an hour before, the provider's day; a moved booking's old reminder is not sent), and
the waitlist offer's button and its expiry, as raw updates against the fake Bot API."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot_sidecar.scheduler import Jobs
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.services.bookings import booking, waitlist
from smo_app.services.core.actor import Actor
from smo_app.services.staff import accounts
from tests.booking_support import DAY, NOW, PHONE, TZ, at, make_service
from tests.bot.conftest import callback_update, feed
from tests.commerce_factories import SYSTEM
from tests.factories import make_customer

PROVIDER_TG = 6_100_000_000_001


def _rows(session, *kinds):
    session.expire_all()
    rows = session.exec(select(Outbox).where(Outbox.kind.in_(kinds)).order_by(Outbox.id)).all()
    for row in rows:
        session.expunge(row)
    session.rollback()  # SQLite: no transaction left open while the jobs write
    return rows


def _local(hhmm: str):
    return at(hhmm).astimezone(TZ)


def test_reminders_come_that_morning_and_an_hour_before_in_shop_time(settings, session_factory, session):
    # given a 14:00 booking on the 14th (Moscow time) and a provider with Telegram
    service = make_service(session)
    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=service.provider_ids[0], telegram_id=PROVIDER_TG)
    customer = make_customer(session)
    b = booking.book(session, actor=Actor.customer(customer.id), service_id=service.id, starts_at=at("14:00"),
                     contact_name="Анна", contact_phone=PHONE, now=NOW)
    session.rollback()
    clock = [at("07:55")]
    jobs = Jobs(settings, session_factory, holder="a", clock=lambda: clock[0])
    # at 07:55 shop time nothing is due
    assert jobs.booking_reminders() == []
    # at 08:00 the customer's morning reminder and the provider's day schedule
    clock[0] = at("08:00")
    assert len(jobs.booking_reminders()) == 2
    morning = _rows(session, "booking_remind_morning")
    assert [(r.chat_id, "14:00" in r.payload["text"]) for r in morning] == [(customer.telegram_id, True)]
    day = _rows(session, "booking_provider_day")
    assert [r.chat_id for r in day] == [PROVIDER_TG] and "14:00" in day[0].payload["text"]
    # nothing again at 12:00 (once each)
    clock[0] = at("12:00")
    assert Jobs(settings, session_factory, holder="b", clock=lambda: clock[0]).booking_reminders() == []
    # at 13:00 the hour-before reminder
    clock[0] = at("13:00")
    assert len(Jobs(settings, session_factory, holder="c", clock=lambda: clock[0]).booking_reminders()) == 1
    assert [r.chat_id for r in _rows(session, "booking_remind_hour")] == [customer.telegram_id]
    assert b.local_day == DAY


def test_a_moved_booking_does_not_get_its_old_reminder(settings, session_factory, session):
    service = make_service(session)
    customer = make_customer(session)
    me = Actor.customer(customer.id)
    b = booking.book(session, actor=me, service_id=service.id, starts_at=at("14:00"), contact_name="Анна",
                     contact_phone=PHONE, now=NOW)
    session.rollback()
    clock = [at("08:30")]
    Jobs(settings, session_factory, holder="a", clock=lambda: clock[0]).booking_reminders()
    # when the customer moves it to 16:00 before the reminder went out
    with session_factory() as s:
        booking.move(s, actor=me, booking_id=b.id, starts_at=at("16:00"), now=NOW)
    # then the 14:00 reminder is not sent, and the next run (five minutes later) queues one for 16:00
    clock[0] = at("08:35")
    Jobs(settings, session_factory, holder="b", clock=lambda: clock[0]).booking_reminders()
    rows = _rows(session, "booking_remind_morning")
    assert [(r.status, "16:00" in r.payload["text"]) for r in rows] == [(OutboxStatus.expired.value, False),
                                                                        (OutboxStatus.pending.value, True)]


def test_the_waitlist_button_takes_the_held_slot_and_an_untaken_offer_passes_on(settings, session_factory, session,
                                                                                fake_tg):
    # given a full 10:00 three days from now (the bot's button acts at the real time) and two customers
    # waiting for that day; the booking is cancelled 40 minutes ago, so the first offer ran out 10 minutes ago
    service = make_service(session)
    holder = make_customer(session)
    first, second = make_customer(session), make_customer(session)
    day = (utcnow().astimezone(TZ) + timedelta(days=3)).date()
    now = utcnow() - timedelta(minutes=waitlist.OFFER_MINUTES + 10)
    b = booking.book(session, actor=Actor.customer(holder.id), service_id=service.id, starts_at=at("10:00", day),
                     contact_name="Анна", contact_phone=PHONE, now=now)
    for c in (first, second):
        waitlist.join(session, actor=Actor.customer(c.id), service_id=service.id, day=day, now=now)
    booking.cancel(session, actor=Actor.customer(holder.id), booking_id=b.id, now=now)
    first, second = ((c.id, c.telegram_id) for c in (first, second))
    session.rollback()
    offer = _rows(session, "booking_waitlist_offer")[0]
    assert offer.chat_id == first[1]
    # the first does not answer in time: the job passes the offer on
    clock = [utcnow()]
    # (the unpaid hold is freed, the offer expires and passes on)
    assert Jobs(settings, session_factory, holder="a", clock=lambda: clock[0]).booking_holds() == (1, 1)
    offers = _rows(session, "booking_waitlist_offer")
    assert [o.chat_id for o in offers] == [first[1], second[1]]
    # a late press by the first is refused; the second presses the button and is booked
    feed(settings, session_factory,
         callback_update(first[1], offers[0].payload["buttons"][0][0]["callback_data"]),
         callback_update(second[1], offers[1].payload["buttons"][0][0]["callback_data"]))
    answers = [a["params"]["text"] for a in fake_tg.calls_of("answerCallbackQuery")]
    assert answers == ["Предложение уже недействительно.", "Готово, вы записаны."]
    session.expire_all()
    mine = session.exec(select(Booking).where(Booking.customer_id == second[0])).all()
    assert [(m.state, m.starts_at) for m in mine] == [("confirmed", at("10:00", day))]


def test_the_menus_bookings_item_lists_the_customers_upcoming_bookings(settings, session_factory, session, fake_tg):
    from tests.bot.conftest import message_update

    from datetime import datetime

    from smo_app.models.customer import Customer

    # given a customer (registered by /start) who booked 14:00 three days from now, shop time
    feed(settings, session_factory, message_update(902, "/start"))
    service = make_service(session, name="Консультация аромастилиста")
    day = (datetime.now(TZ) + timedelta(days=3)).date()
    customer_id = session.exec(select(Customer.id).where(Customer.telegram_id == 902)).one()
    booking.book(session, actor=Actor.customer(customer_id), service_id=service.id, starts_at=at("14:00", day),
                 contact_name="Анна", contact_phone=PHONE)
    session.rollback()
    # when they press "Bookings" in the main menu
    feed(settings, session_factory, callback_update(902, "m:bookings"))
    # then the bot lists it in shop time
    text = fake_tg.sent(902)[-1]["params"]["text"]
    assert "Ваши записи" in text and f"Консультация аромастилиста — {day.strftime('%d.%m')} 14:00" in text
