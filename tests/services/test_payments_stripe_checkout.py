"""Paying by Stripe is a Checkout Session: the customer opens its page (not the PaymentIntent's
client secret); the signed ``checkout.session.completed`` event credits the order once, and
reconciliation asks the session when no event came (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app.models.base import utcnow
from smo_app.models.integrations import DeadLetter
from smo_app.models.orders import Order
from smo_app.models.payments import Payment
from smo_app.services.core.actor import Actor
from smo_app.services.messaging.outbox_tasks import Task
from smo_app.services.payments import providers
from smo_app.services.payments.core import start_payment
from smo_app.services.payments.reconcile import reconcile_pending
from smo_app.services.payments.refunds import refund_payment, run_refund_task
from tests.factories import make_staff
from tests.payments_support import deliver, order_for, settings, shop, use_fakes


@pytest.fixture
def stripe():
    _, fake = use_fakes()
    yield fake
    providers.reset_ports()


def _started(session, price_minor: int = 100000):
    vid, customer = shop(session, price_minor=price_minor)
    order = order_for(session, vid, customer)
    return order, start_payment(session, actor=Actor.customer(customer.id), order_id=order.id, provider="stripe",
                                settings=settings())


def test_the_customer_is_given_the_checkout_page_and_the_session_event_credits_once(session, stripe):
    # given a customer who chose Stripe for an order of 1 000 ₽
    order, payment = _started(session)
    # then a Checkout Session for the order's sum was made, and its page is the link the Mini App opens
    cs = stripe.sessions[payment.provider_payment_id]
    assert (cs["mode"], cs["amount_total"], cs["currency"], cs["metadata"]["payment_id"]) == (
        "payment", 100000, "rub", str(payment.id))
    assert payment.confirmation_url == cs["url"] and "/c/pay/cs_" in payment.confirmation_url
    assert cs["success_url"] == cs["cancel_url"] == settings().public_url
    # when they pay on it and Stripe sends the completed event twice, then the PaymentIntent's own event
    stripe.succeed(payment.provider_payment_id)
    completed = stripe.event("checkout.session.completed", payment.provider_payment_id)
    outcomes = [deliver(session, "stripe", *completed) for _ in range(2)]
    outcomes.append(deliver(session, "stripe", *stripe.event("payment_intent.succeeded", payment.provider_payment_id)))
    # then the order is paid once and nothing is left for staff to sort out
    assert outcomes == ["processed", "duplicate", "processed"]
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.get(Payment, payment.id).status == "succeeded"
    assert session.exec(select(DeadLetter)).all() == []


def test_reconciliation_asks_the_session_when_no_event_came_and_the_late_event_changes_nothing(session, stripe):
    order, payment = _started(session)
    stripe.succeed(payment.provider_payment_id)
    # when the job runs 15 minutes later (twice)
    later = utcnow() + timedelta(minutes=15)
    first = reconcile_pending(session, now=later, settings=settings())
    second = reconcile_pending(session, now=later, settings=settings())
    # then the order is paid once, from the session Stripe answered
    assert (first.checked, first.applied, second.checked) == (1, 1, 0)
    assert stripe.count("GET", f"/v1/checkout/sessions/{payment.provider_payment_id}") == 1
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    session.rollback()
    # and the event arriving late is taken without crediting again
    assert deliver(session, "stripe", *stripe.event("checkout.session.completed", payment.provider_payment_id)) \
        == "processed"
    session.expire_all()
    assert session.get(Payment, payment.id).status == "succeeded"
    assert session.exec(select(DeadLetter)).all() == []


def test_a_session_left_on_the_page_expires_and_the_payment_is_cancelled_not_the_money(session, stripe):
    order, payment = _started(session)
    # when the customer presses "cancel" and Stripe expires the session
    stripe.expire(payment.provider_payment_id)
    assert deliver(session, "stripe", *stripe.event("checkout.session.expired", payment.provider_payment_id)) \
        == "processed"
    # then the attempt is cancelled and the order still waits for a payment
    session.expire_all()
    assert session.get(Payment, payment.id).status == "canceled"
    assert session.get(Order, order.id).status == "new"


def test_a_refund_goes_to_the_sessions_payment_intent_and_its_events_find_the_order(session, stripe):
    order, payment = _started(session)
    stripe.succeed(payment.provider_payment_id)
    assert deliver(session, "stripe", *stripe.event("checkout.session.completed", payment.provider_payment_id)) \
        == "processed"
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=30000, reason="damaged")
    run_refund_task(session, Task(id=refund.id, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1))
    session.commit()
    [made] = stripe.refunds.values()
    assert made["payment_intent"] == stripe.sessions[payment.provider_payment_id]["payment_intent"]
    assert made["metadata"]["checkout_session"] == payment.provider_payment_id
    # when Stripe tells of the refund (the shop got it back already when asking)
    assert deliver(session, "stripe", *stripe.refund_event("refund.updated", made["id"])) == "processed"
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_minor == 30000
    assert session.exec(select(DeadLetter)).all() == []
