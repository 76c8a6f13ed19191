"""The Mini App's "Book" tab without a browser: service → the month's free days → a slot → contacts
→ the deposit paid on the provider's page (the YooKassa fake) or in Telegram's invoice (the fake
Bot API) → confirmed, with an .ics; "My bookings" reschedules and cancels."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from smo_app.models.bookings import Booking
from smo_app.services.bookings import calendar, catalog
from smo_app.services.core.shop_locale import cached
from smo_app.services.payments import providers
from smo_app.settings import reset_settings_cache
from tests.booking_support import invoices  # noqa: F401
from tests.commerce_factories import SYSTEM
from tests.payments_support import yookassa
from tests.ui.test_storefront_state import BOT_TOKEN, _do, _init_data

rx = pytest.importorskip("reflex")


@pytest.fixture(autouse=True)
def _shop(monkeypatch):
    monkeypatch.setenv("SMO_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "yookassa,manual")
    reset_settings_cache()
    from smo_app import composition

    composition.reset()
    yield
    composition.reset()


def _flow():
    import smo_app.smo_app  # noqa: F401
    from smo_app.state.storefront import StoreState
    from smo_app.state.storefront_booking import BookingFlowState

    root = rx.State(_reflex_internal_init=True)
    get = lambda cls: root.get_substate(cls.get_full_name().split(".")[1:])  # noqa: E731
    return get(StoreState), get(BookingFlowState)


def _consultation(db, telegram_id: int):
    """A consultation with a 500 ₽ deposit, provided by the shop every day 10–18; the Mini App signed in."""
    catalog.save_service(db, actor=SYSTEM, data=catalog.ServiceIn(
        name="Консультация", price_minor=150000, duration_min=60, step_min=60, place="Студия", deposit_kind="fixed",
        deposit_value=50000))
    calendar.set_week(db, actor=SYSTEM, resource=0, week={d: [(600, 1080)] for d in range(7)})
    db.rollback()
    store, flow = _flow()
    _do(store, "boot", {"initData": _init_data(telegram_id)})
    return store, flow


def _book_in_two_days(flow) -> None:
    """The first free time two days ahead, booked with a name and phone."""
    _do(flow, "show_bookings")
    _do(flow, "pick_service", flow.services[0]["id"])
    _do(flow, "pick_day", (datetime.now(cached().tz) + timedelta(days=2)).date().isoformat())
    _do(flow, "pick_slot", flow.slots[0]["iso"])
    _do(flow, "book", {"contact_name": "Ольга", "phone": "+79161112233"})


def test_a_customer_books_pays_the_deposit_gets_the_ics_then_reschedules_and_cancels(db):
    # given a consultation with a 500 ₽ deposit, provided by the shop every day 10–18
    fake, client = yookassa()
    providers.use_port("yookassa", client)
    store, flow = _consultation(db, 5_000_000_101)
    # when the customer opens the tab and the service
    _do(flow, "show_bookings")
    assert store.screen == "bookings" and [s["name"] for s in flow.services] == ["Консультация"]
    assert flow.services[0]["meta"] == "60 мин · Студия"
    _do(flow, "pick_service", flow.services[0]["id"])
    day = (datetime.now(cached().tz) + timedelta(days=2)).date().isoformat()
    free = [d["iso"] for d in flow.days if d["free"] == "1"]
    assert day in free and flow.zone == "Москва, UTC+3"  # the shop's zone as a person names it
    _do(flow, "pick_day", day)
    assert flow.day_text == ".".join(reversed(day.split("-")))
    assert [s["label"] for s in flow.slots][:2] == ["10:00", "11:00"]
    _do(flow, "pick_slot", flow.slots[1]["iso"])
    assert store.screen == "booking_contact"
    # a phone is needed; Telegram's contact fills it
    _do(flow, "book", {"contact_name": "Ольга"})
    assert flow.step_error == "Укажите номер телефона."
    _do(flow, "got_contact", "79161112233")
    _do(flow, "book", {"contact_name": "Ольга", "phone": flow.phone})
    assert store.screen == "booking_done" and flow.booked["state"] == "pending" and [m["key"] for m in flow.deposit_methods] == ["yookassa"]
    # the deposit on the provider's page, then "I have paid"
    _do(flow, "pay_deposit", "yookassa")
    ref = db.exec(select(Booking.deposit_ref)).one()
    db.rollback()
    fake.pay(ref)
    _do(flow, "check_deposit")
    assert flow.booked["state"] == "confirmed" and flow.booked["time"] == "11:00"
    ics = _do(flow, "download_ics", flow.booked["id"])
    assert ics is not None
    # my bookings: reschedule to 15:00, then cancel (well ahead: the deposit comes back)
    _do(flow, "show_mine")
    assert [(m["state"], m["when"].endswith("11:00")) for m in flow.mine] == [("confirmed", True)]
    _do(flow, "reschedule", flow.mine[0]["id"])
    _do(flow, "pick_day", day)
    _do(flow, "pick_slot", next(s["iso"] for s in flow.slots if s["label"] == "15:00"))
    assert store.screen == "my_bookings" and flow.mine[0]["when"].endswith("15:00")
    _do(flow, "cancel_mine", {"row_id": flow.mine[0]["id"], "reason": "заболела"})
    assert flow.mine[0]["state"] == "cancelled"
    assert [r["amount"]["value"] for r in fake.refunds.values()] == ["500.00"]


def test_a_deposit_in_stars_opens_telegrams_invoice_and_the_booking_turns_confirmed(db, invoices, monkeypatch):
    from smo_app.services.payments import telegram as telegram_payments
    from smo_app.state.storefront_booking import BookingFlowState

    # given a shop that takes Telegram Stars, and a consultation with a 500 ₽ deposit
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "stars,manual")
    reset_settings_cache()
    store, flow = _consultation(db, 5_000_000_103)
    _book_in_two_days(flow)
    assert flow.booked["state"] == "pending" and [m["key"] for m in flow.deposit_methods] == ["stars"]
    # when the customer pays in Stars: Telegram's invoice opens over the Mini App (as the order's payment step)
    script = _do(flow, "pay_deposit", "stars")
    link = invoices.calls_of("createInvoiceLink")[-1]
    assert link["params"]["payload"] == f"smo:dep:{flow.booked['id']}" and link["params"]["currency"] == "XTR"
    assert "openInvoice" in str(script.args[0][1])
    # and Telegram says it is paid: the screen says it is confirming and follows the booking
    assert _do(flow, "deposit_invoice_closed", "paid").fn.__name__ == BookingFlowState.watch_deposit.fn.__name__
    assert (store.notice or flow.notice) == "Оплата прошла — подтверждаем запись…"
    # when the bot hears the payment, the booking is confirmed
    telegram_payments.record_successful_payment(db, successful_payment={
        "currency": "XTR", "total_amount": int(link["params"]["prices"][0]["amount"]),
        "invoice_payload": link["params"]["payload"], "telegram_payment_charge_id": "stars-dep-1"},
        telegram_id=5_000_000_103)
    db.rollback()
    _do(flow, "check_deposit")
    assert flow.booked["state"] == "confirmed"
    # a cancelled invoice says so
    _do(flow, "deposit_invoice_closed", "cancelled")
    assert "отменена" in (store.notice or flow.notice)


def test_a_day_without_free_time_offers_the_waitlist(db):
    from smo_app.models.bookings import WaitlistEntry

    # given a service whose provider (the shop) is off on a holiday three days ahead
    catalog.save_service(db, actor=SYSTEM, data=catalog.ServiceIn(name="Мастер-класс", price_minor=350000,
                                                                 duration_min=120, step_min=120, place="Студия"))
    calendar.set_week(db, actor=SYSTEM, resource=0, week={d: [(600, 1080)] for d in range(7)})
    holiday = (datetime.now(cached().tz) + timedelta(days=3)).date()
    calendar.set_day(db, actor=SYSTEM, resource=None, day=holiday, kind="off", note="Праздник")
    db.rollback()
    store, flow = _flow()
    _do(store, "boot", {"initData": _init_data(5_000_000_102)})
    _do(flow, "show_bookings")
    _do(flow, "pick_service", flow.services[0]["id"])
    # when the customer opens that day: no time, and they ask to be told when one comes free
    _do(flow, "pick_day", holiday.isoformat())
    assert flow.slots == []
    _do(flow, "join_waitlist")
    # then they are on the waitlist for that day, and told so
    assert store.notice.startswith("Вы в листе ожидания") or flow.notice.startswith("Вы в листе ожидания")
    assert [(w.day, w.state) for w in db.exec(select(WaitlistEntry)).all()] == [(holiday, "waiting")]
    db.rollback()
    # a day already over is refused
    _do(flow, "pick_day", (holiday - timedelta(days=10)).isoformat())
    _do(flow, "join_waitlist")
    assert "уже прошёл" in (flow.notice or store.notice)


def test_a_deposit_by_transfer_shows_the_shops_details_and_a_sent_screenshot_waits_for_staff(db, monkeypatch):
    from smo_app.services.bookings import deposit_proofs
    from smo_app.services.core.actor import Actor
    from tests.booking_support import shop_takes_transfers

    # given a shop that takes transfers to the details it entered
    shop_takes_transfers(db, monkeypatch, review_minutes=20)
    store, flow = _consultation(db, 5_000_000_104)
    _book_in_two_days(flow)
    assert [m["key"] for m in flow.deposit_methods] == ["manual"]
    # when the customer picks the transfer: the shop's details, the deposit's sum and a comment naming the booking
    _do(flow, "pay_deposit", "manual")
    assert (flow.deposit_transfer["recipient"], flow.deposit_transfer["amount"]) == ("ИП Волкова", "500\xa0₽")
    assert flow.deposit_transfer["comment"] == f"Предоплата, запись №{flow.booked['id']}"
    # and picks a screenshot: the page sends it (the upload itself: tests/api/test_storefront_proof.py)
    script = _do(flow, "send_deposit_proof", "")
    assert f"uploadDepositProof({flow.booked['id']}, 'booking-deposit-proof-file')" in str(script.args[0][1])
    deposit_proofs.submit_deposit_proof(db, actor=Actor.customer(db.get(Booking, int(flow.booked["id"])).customer_id),
                                        booking_id=int(flow.booked["id"]), filename="p.png",
                                        content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    db.rollback()
    _do(flow, "deposit_proof_uploaded", {"ok": True})
    # then the screen says it is being checked and the deposit buttons give way
    assert flow.booked["review"] == "1" and "обычно до 20 минут" in (store.notice or flow.notice)
    # a refused upload says why
    _do(flow, "deposit_proof_uploaded", {"ok": False, "message": "Нужна картинка: JPEG, PNG или WebP."})
    assert (store.notice or flow.notice) == "Нужна картинка: JPEG, PNG или WebP."
