"""Notices can't block each other: a notice the provider does not confirm is a dead letter naming
what disagreed and takes no inbox slot, so the genuine one after it (after any number of them,
concurrently) credits the order once. One sender flooding a provider's route is slowed down alone."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from smo_app.api import create_api
from smo_app.api.webhooks import LIMITER
from smo_app.db import dispose_engines
from smo_app.models.integrations import DeadLetter, WebhookEvent
from smo_app.models.orders import Order
from smo_app.models.payments import Payment
from smo_app.services.core.actor import Actor
from smo_app.services.payments import providers
from smo_app.services.payments.core import start_payment
from smo_app.settings import reset_settings_cache
from tests.payments_support import order_for, settings, shop, use_fakes

URL = "/api/payments/{}/webhook"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def api(engine, monkeypatch):
    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "yookassa,stripe,manual")
    monkeypatch.setenv("SMO_WEBHOOK_RATE_PER_SECOND", "0")
    reset_settings_cache()
    LIMITER.reset()
    yoo, stripe = use_fakes()
    try:
        yield create_api(), yoo, stripe
    finally:
        providers.reset_ports()
        LIMITER.reset()
        reset_settings_cache()
        dispose_engines()


def _started(session, provider: str):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = start_payment(session, actor=Actor.customer(customer.id), order_id=order.id, provider=provider,
                            settings=settings())
    session.rollback()
    return order, payment


def _count(session, model, *where) -> int:
    n = session.exec(select(func.count()).select_from(model).where(*where)).one()
    session.rollback()
    return n


def _state(session, order, payment) -> tuple[str, str]:
    session.expire_all()
    out = session.get(Order, order.id).status, session.get(Payment, payment.id).status
    session.rollback()
    return out


def test_a_forged_yookassa_notice_then_the_genuine_one_credits_once(api, session):
    app, yoo, _ = api
    client = TestClient(app)
    order, payment = _started(session, "yookassa")
    pid = payment.provider_payment_id
    # given a forged "succeeded" while YooKassa still has the payment pending, and one with a wrong sum
    forged = yoo.notification("payment.succeeded", pid, status="succeeded", paid=True)
    cheap = yoo.notification("payment.succeeded", pid, status="succeeded", paid=True,
                             amount={"value": "1.00", "currency": "RUB"})
    answers = [client.post(URL.format("yookassa"), content=body, headers=JSON) for body in (forged, cheap)]
    # then both are answered, recorded with what disagreed, and nothing is stored or credited
    assert [(a.status_code, a.json()["outcome"]) for a in answers] == [(200, "disputed")] * 2
    assert _state(session, order, payment) == ("new", "pending")
    assert _count(session, WebhookEvent) == 0
    # the same claim twice: one open letter
    [(reason, detail, payload)] = session.exec(select(DeadLetter.reason, DeadLetter.detail, DeadLetter.payload)).all()
    session.rollback()
    assert reason == "payment.notification_rejected" and "status: succeeded ≠ pending" in detail
    assert payload["disagreed"]["status"] == {"claimed": "succeeded", "actual": "pending"}
    # when the customer pays and YooKassa's own notice arrives (twice)
    yoo.pay(pid)
    genuine = yoo.notification("payment.succeeded", pid)
    outcomes = [client.post(URL.format("yookassa"), content=genuine, headers=JSON).json()["outcome"]
                for _ in range(2)]
    # then the order is paid once
    assert outcomes == ["processed", "duplicate"]
    assert _state(session, order, payment) == ("paid", "succeeded")
    assert _count(session, WebhookEvent) == 1 and _count(session, Payment, Payment.status == "succeeded") == 1


def test_a_forged_stripe_event_with_the_genuine_events_id_does_not_block_it(api, session):
    app, _, stripe = api
    client = TestClient(app)
    order, payment = _started(session, "stripe")
    stripe.succeed(payment.provider_payment_id)
    # a forger reuses the genuine event's id, signing with a secret of its own
    forged = stripe.event("checkout.session.completed", payment.provider_payment_id, event_id="evt_same",
                          secret="whsec_attacker")
    assert client.post(URL.format("stripe"), content=forged[0], headers=forged[1]).status_code == 400
    assert _count(session, WebhookEvent) == 0
    good = stripe.event("checkout.session.completed", payment.provider_payment_id, event_id="evt_same")
    assert client.post(URL.format("stripe"), content=good[0], headers=good[1]).json()["outcome"] == "processed"
    assert _state(session, order, payment) == ("paid", "succeeded")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_ten_forged_notices_at_once_then_the_genuine_one_credit_once(api, session):
    from tests.api.test_payment_webhooks import _send_all

    app, yoo, _ = api
    order, payment = _started(session, "yookassa")
    pid = payment.provider_payment_id
    forged = [yoo.notification("payment.succeeded", pid, status="succeeded", paid=True,
                               amount={"value": f"{i + 1}.00", "currency": "RUB"}) for i in range(10)]
    statuses = _send_all(app, [("yookassa", body, JSON) for body in forged], threads=5)
    assert statuses == [200] * 10
    assert _state(session, order, payment) == ("new", "pending") and _count(session, WebhookEvent) == 0
    yoo.pay(pid)
    genuine = yoo.notification("payment.succeeded", pid)
    assert _send_all(app, [("yookassa", genuine, JSON)] * 3, threads=3) == [200] * 3
    assert _state(session, order, payment) == ("paid", "succeeded")
    assert _count(session, WebhookEvent) == 1
    assert 1 <= _count(session, DeadLetter, DeadLetter.reason == "payment.notification_rejected") <= 10


def test_one_sender_flooding_a_webhook_is_slowed_down_and_the_others_go_on(api, session, monkeypatch):
    app, yoo, _ = api
    monkeypatch.setenv("SMO_WEBHOOK_RATE_PER_SECOND", "2")  # a burst of 4
    reset_settings_cache()
    flooder = TestClient(app, client=("203.0.113.9", 4000))
    answers = [flooder.post(URL.format("yookassa"), content=b"{}", headers=JSON).status_code for _ in range(8)]
    assert answers[:4] == [400] * 4 and 429 in answers[4:]
    # YooKassa's own address still gets through and pays the order
    order, payment = _started(session, "yookassa")
    yoo.pay(payment.provider_payment_id)
    body = yoo.notification("payment.succeeded", payment.provider_payment_id)
    response = TestClient(app, client=("185.71.76.1", 443)).post(URL.format("yookassa"), content=body, headers=JSON)
    assert (response.status_code, response.json()["outcome"]) == (200, "processed")
    assert _state(session, order, payment) == ("paid", "succeeded")
