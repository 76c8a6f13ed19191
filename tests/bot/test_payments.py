"""Telegram Payments from raw updates against the fake Bot API: invoice links, the pre-checkout
answer given inside the handler, successful_payment credited once per charge id, Stars; a booking's
deposit paid by invoice."""
from __future__ import annotations

import itertools
import time

import pytest
from sqlmodel import func, select

from integrations.telegram_payments.client import TelegramPaymentsClient
from smo_app.models.integrations import WebhookEvent
from smo_app.models.orders import Order
from smo_app.models.payments import Payment
from smo_app.services.core.actor import Actor
from smo_app.services.payments import providers
from smo_app.services.payments.core import stars_for, start_payment
from smo_app.services.sales import orders
from tests.bot.conftest import TOKEN, feed, user
from tests.commerce_factories import SYSTEM
from tests.payments_support import METHODS, order_for, shop

_ids = itertools.count(900_000)
BUYER = 6_100_000_001


@pytest.fixture
def telegram_ports(fake_tg):
    for stars in (False, True):
        client = TelegramPaymentsClient(bot_token=TOKEN, provider_token=None if stars else "381764678:TEST:100",
                                        stars=stars, api_base=fake_tg.base_url)
        providers.use_port(client.provider, client)
    yield
    providers.reset_ports()


def pre_checkout_update(uid: int, payload: str, total: int, currency: str = "RUB") -> dict:
    return {"update_id": next(_ids), "pre_checkout_query": {
        "id": f"pcq{next(_ids)}", "from": user(uid), "currency": currency, "total_amount": total,
        "invoice_payload": payload}}


def paid_update(uid: int, payload: str, total: int, charge: str, currency: str = "RUB") -> dict:
    return {"update_id": next(_ids), "message": {
        "message_id": next(_ids), "date": int(time.time()), "chat": {"id": uid, "type": "private"}, "from": user(uid),
        "successful_payment": {"currency": currency, "total_amount": total, "invoice_payload": payload,
                               "telegram_payment_charge_id": charge, "provider_payment_charge_id": f"prov-{charge}"}}}


def _ok(call) -> bool:
    return call["params"]["ok"] in (True, "true")  # the Bot API gets form fields as text


def _start(session, settings, order, provider="telegram"):
    return start_payment(session, actor=Actor.customer(order.customer_id), order_id=order.id, provider=provider,
                         settings=settings.model_copy(update={"payment_methods": METHODS}))


def _status(session, order_id) -> str:
    session.expire_all()
    status = session.get(Order, order_id).status
    session.rollback()  # SQLite: let the bot write
    return status


def test_an_invoice_link_is_made_through_the_bot_api(settings, session, fake_tg, telegram_ports):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = _start(session, settings, order)
    [call] = fake_tg.calls_of("createInvoiceLink")
    assert payment.confirmation_url.startswith("https://t.me/$")
    params = call["params"]
    assert params["payload"] == f"smo:pay:{payment.id}" and params["currency"] == "RUB"
    assert params["prices"][0]["amount"] == order.total_minor and params["provider_token"]


def test_pre_checkout_is_answered_ok_only_while_the_order_is_payable_and_the_sum_matches(
        settings, session_factory, session, fake_tg, telegram_ports):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = _start(session, settings, order)
    payload = f"smo:pay:{payment.id}"
    session.rollback()
    # when Telegram asks with the right sum, a wrong sum, and an unknown payload
    feed(settings, session_factory, pre_checkout_update(BUYER, payload, order.total_minor),
         pre_checkout_update(BUYER, payload, order.total_minor - 100),
         pre_checkout_update(BUYER, "smo:pay:999999", order.total_minor))
    answers = [(_ok(c), bool(c["params"].get("error_message")))
               for c in fake_tg.calls_of("answerPreCheckoutQuery")]
    assert answers == [(True, False), (False, True), (False, True)]
    # when the order is cancelled meanwhile, the next pre-checkout is refused with a reason in Russian
    orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="test")
    session.rollback()
    feed(settings, session_factory, pre_checkout_update(BUYER, payload, order.total_minor))
    last = fake_tg.calls_of("answerPreCheckoutQuery")[-1]["params"]
    assert last["ok"] in (False, "false") and "нельзя оплатить" in last["error_message"]


def test_successful_payment_delivered_three_times_pays_the_order_once(
        settings, session_factory, session, fake_tg, telegram_ports):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = _start(session, settings, order)
    session.rollback()
    update = paid_update(BUYER, f"smo:pay:{payment.id}", order.total_minor, "tgcharge-1")
    feed(settings, session_factory, update, update, paid_update(BUYER, f"smo:pay:{payment.id}", order.total_minor,
                                                                 "tgcharge-1"))
    assert _status(session, order.id) == "paid"
    rows = session.exec(select(Payment)).all()
    assert [(p.status, p.provider_payment_id) for p in rows] == [("succeeded", "tgcharge-1")]
    assert session.exec(select(func.count()).select_from(WebhookEvent)).one() == 1


def test_stars_are_priced_in_xtr_and_credited(settings, session_factory, session, fake_tg, telegram_ports):
    vid, customer = shop(session, price_minor=99900)
    order = order_for(session, vid, customer)
    payment = _start(session, settings, order, provider="stars")
    stars = stars_for(order.total_minor, settings.stars_kopecks_per_star)
    assert (payment.currency, payment.amount_minor) == ("XTR", stars) == ("XTR", 500)
    params = fake_tg.calls_of("createInvoiceLink")[-1]["params"]
    assert params["currency"] == "XTR" and params["provider_token"] == "" and params["prices"][0]["amount"] == stars
    session.rollback()
    feed(settings, session_factory, pre_checkout_update(BUYER, f"smo:pay:{payment.id}", stars, "XTR"),
         paid_update(BUYER, f"smo:pay:{payment.id}", stars, "stars-charge-1", "XTR"))
    assert _ok(fake_tg.calls_of("answerPreCheckoutQuery")[-1])
    assert _status(session, order.id) == "paid"


def test_a_booking_deposit_paid_in_telegram_is_checked_then_confirmed_once(
        settings, session_factory, session, fake_tg, telegram_ports):
    from smo_app.models.base import utcnow
    from smo_app.models.bookings import Booking
    from smo_app.services.bookings import booking, deposits
    from tests.booking_support import PHONE, make_service, next_week
    from tests.factories import make_customer

    # given a booking waiting for its 500 ₽ deposit, started as an invoice in Telegram
    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    me = Actor.customer(make_customer(session, telegram_id=BUYER).id)
    held = booking.book(session, actor=me, service_id=service.id, starts_at=next_week("10:00"), contact_name="Анна",
                        contact_phone=PHONE, now=utcnow())
    deposits.start_deposit(session, actor=me, booking_id=held.id, provider="telegram")
    payload = fake_tg.calls_of("createInvoiceLink")[-1]["params"]["payload"]
    session.rollback()
    # when Telegram asks before charging: with the deposit's sum, then with another
    feed(settings, session_factory, pre_checkout_update(BUYER, payload, 50000),
         pre_checkout_update(BUYER, payload, 40000))
    answers = [(_ok(c), c["params"].get("error_message")) for c in fake_tg.calls_of("answerPreCheckoutQuery")]
    assert answers == [(True, None), (False, "Сумма или способ предоплаты изменились — откройте запись и оплатите заново.")]
    # when the payment lands, delivered three times
    paid = paid_update(BUYER, payload, 50000, "tg-deposit-1")
    feed(settings, session_factory, paid, paid, paid_update(BUYER, payload, 50000, "tg-deposit-1"))
    # then the booking is confirmed once, with the charge as its deposit's payment
    session.expire_all()
    row = session.get(Booking, held.id)
    assert (row.state, row.hold_until, row.deposit_ref, row.deposit_provider) == ("confirmed", None, "tg-deposit-1",
                                                                                  "telegram")
    assert session.exec(select(func.count()).select_from(WebhookEvent)).one() == 1
    assert session.exec(select(func.count()).select_from(Payment)).one() == 0  # no order payment was made
    session.rollback()
    # and a pre-checkout for it afterwards is refused in words
    feed(settings, session_factory, pre_checkout_update(BUYER, payload, 50000))
    last = fake_tg.calls_of("answerPreCheckoutQuery")[-1]["params"]
    assert not _ok({"params": last}) and "уже не ждёт предоплату" in last["error_message"]


def test_the_reconciliation_job_runs_under_a_lease(settings, session_factory, session):
    from bot_sidecar.scheduler import Jobs
    from smo_app.models.payments import ReconciliationRun

    first, second = Jobs(settings, session_factory, holder="a"), Jobs(settings, session_factory, holder="b")
    out = first.reconcile_payments()
    assert out is not None and out.checked == 0
    assert second.reconcile_payments() is None  # the other sidecar holds the lease
    assert session.exec(select(func.count()).select_from(ReconciliationRun)).one() == 1
