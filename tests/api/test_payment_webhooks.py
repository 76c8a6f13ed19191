"""Payment webhooks over HTTP: verified, stored once, credited once — replays, concurrent twins,
forged and stale signatures, a YooKassa notice the API does not confirm."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from smo_app.api import create_api
from smo_app.db import dispose_engines
from smo_app.models.customer import Customer
from smo_app.models.integrations import DeadLetter, WebhookEvent
from smo_app.models.orders import Order
from smo_app.models.payments import Payment
from smo_app.models.promotions import GiftCertificate
from smo_app.services.core.actor import Actor
from smo_app.services.customers import loyalty
from smo_app.services.payments import providers
from smo_app.services.payments.core import start_payment
from smo_app.services.sales import promotions
from smo_app.settings import reset_settings_cache
from tests.commerce_factories import SYSTEM
from tests.factories import make_customer
from tests.payments_support import order_for, settings, shop, use_fakes


@pytest.fixture
def api(engine, monkeypatch):
    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "yookassa,stripe,manual")
    monkeypatch.setenv("SMO_WEBHOOK_RATE_PER_SECOND", "0")  # the floods here are the providers' own replays
    reset_settings_cache()
    yoo, stripe = use_fakes()
    app = create_api()
    try:
        yield app, yoo, stripe
    finally:
        providers.reset_ports()
        reset_settings_cache()
        dispose_engines()


def _count(session, model, *where) -> int:
    n = session.exec(select(func.count()).select_from(model).where(*where)).one()
    session.rollback()
    return n


def _started(session, provider: str):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    return order, start_payment(session, actor=Actor.customer(customer.id), order_id=order.id, provider=provider,
                                settings=settings())


def _paid_yookassa(session, yoo, order):
    payment = start_payment(session, actor=Actor.customer(order.customer_id), order_id=order.id, provider="yookassa",
                            settings=settings())
    yoo.pay(payment.provider_payment_id)
    return payment, yoo.notification("payment.succeeded", payment.provider_payment_id)


def _post(client, provider, body, headers=None, *, alias=True):
    url = f"/api/payments/{provider}/webhook" if alias else f"/api/webhooks/{provider}"
    return client.post(url, content=body, headers=headers or {"Content-Type": "application/json"})


def test_a_yookassa_notification_pays_the_order_and_replays_change_nothing(api, session):
    app, yoo, _ = api
    client = TestClient(app)
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment, body = _paid_yookassa(session, yoo, order)
    # when YooKassa delivers the notification, then replays it three times (on both paths)
    first = _post(client, "yookassa", body)
    replays = [_post(client, "yookassa", body, alias=i % 2 == 0) for i in range(3)]
    # then the first applies it, the replays answer 200 and change nothing
    assert (first.status_code, first.json()["outcome"]) == (200, "processed")
    assert [(r.status_code, r.json()["outcome"]) for r in replays] == [(200, "duplicate")] * 3
    session.expire_all()
    assert session.get(Order, order.id).status == "paid" and session.get(Payment, payment.id).status == "succeeded"
    assert _count(session, WebhookEvent) == 1


def test_a_yookassa_notice_the_api_does_not_confirm_credits_nothing(api, session):
    app, yoo, _ = api
    client = TestClient(app)
    order, payment = _started(session, "yookassa")
    # a forged "succeeded" for a payment that is still pending at YooKassa
    forged = yoo.notification("payment.succeeded", payment.provider_payment_id, status="succeeded", paid=True)
    response = _post(client, "yookassa", forged)
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Order, order.id).status == "new" and session.get(Payment, payment.id).status == "pending"
    [letter] = session.exec(select(DeadLetter)).all()
    assert letter.reason == "payment.notification_rejected"
    assert _post(client, "yookassa", b"{not json").status_code == 400


def test_stripe_signed_event_pays_and_forged_or_stale_ones_are_refused_unstored(api, session):
    app, _, stripe = api
    client = TestClient(app)
    order, payment = _started(session, "stripe")
    stripe.succeed(payment.provider_payment_id)
    forged = stripe.event("checkout.session.completed", payment.provider_payment_id, secret="whsec_attacker")
    stale = stripe.event("checkout.session.completed", payment.provider_payment_id, timestamp=int(time.time()) - 301)
    # when forged and stale events arrive
    assert _post(client, "stripe", *forged).status_code == 400
    assert _post(client, "stripe", *stale).status_code == 400
    # then nothing is stored or credited
    assert _count(session, WebhookEvent) == 0
    session.expire_all()
    assert session.get(Order, order.id).status == "new"
    session.rollback()  # SQLite: do not hold the write lock while the app writes
    # when the genuine event arrives twice
    good = stripe.event("checkout.session.completed", payment.provider_payment_id)
    assert [_post(client, "stripe", *good).json()["outcome"] for _ in range(2)] == ["processed", "duplicate"]
    # and its PaymentIntent's own event (a shop subscribed to both) credits nothing more
    assert _post(client, "stripe", *stripe.event("payment_intent.succeeded", payment.provider_payment_id)).status_code == 200
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.exec(select(DeadLetter.reason)).all() == []


def test_a_stripe_event_whose_amount_differs_is_dead_lettered(api, session):
    app, _, stripe = api
    client = TestClient(app)
    order, payment = _started(session, "stripe")
    stripe.succeed(payment.provider_payment_id)
    body, headers = stripe.event("checkout.session.completed", payment.provider_payment_id, amount_total=100)
    assert _post(client, "stripe", body, headers).status_code == 200
    session.expire_all()
    assert session.get(Order, order.id).status == "new"
    assert session.exec(select(DeadLetter.reason)).all() == ["payment.amount_mismatch"]


def test_refund_webhooks_over_http_settle_a_pending_refund_once_and_a_stranger_is_dead_lettered(api, session):
    from smo_app.models.payments import Refund
    from smo_app.services.messaging.outbox_tasks import Task
    from smo_app.services.payments.refunds import refund_payment, run_refund_task
    from tests.factories import make_staff

    app, yoo, stripe = api
    client = TestClient(app)
    yoo.refunds_pending = True
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment, paid = _paid_yookassa(session, yoo, order)
    assert _post(client, "yookassa", paid).json()["outcome"] == "processed"
    session.rollback()
    # given a refund YooKassa left pending, finished since, and a refund someone made in its dashboard
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=10000, reason="damaged")
    run_refund_task(session, Task(id=1, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1))
    session.commit()
    ours = session.get(Refund, refund.id).provider_refund_id
    session.rollback()
    yoo.settle_refund(ours)
    stranger = yoo.dashboard_refund(payment.provider_payment_id, 5000)
    # when YooKassa notifies both, each three times
    outcomes = [_post(client, "yookassa", yoo.refund_notification(rid)).json()["outcome"]
                for rid in (ours, stranger["id"]) for _ in range(3)]
    # then ours is confirmed once and the stranger is one dead letter; the order lost only ours
    assert outcomes == ["processed", "duplicate", "duplicate"] * 2
    session.expire_all()
    assert session.get(Refund, refund.id).status == "succeeded"
    assert session.get(Order, order.id).refunded_minor == 10000
    assert [letter.reason for letter in session.exec(select(DeadLetter)).all()] == ["payment.refund_unknown"]


def test_an_unknown_provider_is_not_found(api):
    app, _, _ = api
    assert TestClient(app).post("/api/payments/paypal/webhook", content=b"{}").status_code == 404


def _send_all(app, jobs, threads: int):
    """POST every (provider, body, headers) from ``threads`` senders, each with its own client."""
    local = threading.local()
    barrier = threading.Barrier(threads)

    def send(job):
        if not hasattr(local, "client"):
            local.client = TestClient(app)
            barrier.wait()
        provider, body, headers = job
        return _post(local.client, provider, body, headers).status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(send, jobs))


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_same_event_three_times_at_once_credits_once(api, session):
    app, yoo, _ = api
    vid, customer = shop(session)
    loyalty.adjust_bonuses(session, actor=SYSTEM, customer_id=customer.id, delta_minor=5000, note="gift")
    order = order_for(session, vid, customer, bonus_minor=5000)
    payment, body = _paid_yookassa(session, yoo, order)
    statuses = _send_all(app, [("yookassa", body, None)] * 3, threads=3)
    assert statuses == [200, 200, 200]
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.get(Customer, customer.id).bonus_balance_minor == 0 == loyalty.ledger_sum(session, customer.id)
    assert _count(session, WebhookEvent) == 1


@pytest.mark.slow  # 300 notifications from 8 threads
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_hundred_orders_each_notified_three_times_from_eight_threads_are_paid_once(api, session):
    app, yoo, _ = api
    vid, _ = shop(session, qty=1000)
    jobs, orders_, customers = [], [], []
    for i in range(100):
        customer = make_customer(session)
        loyalty.adjust_bonuses(session, actor=SYSTEM, customer_id=customer.id, delta_minor=3000, note="gift")
        kwargs = {"bonus_minor": 1000}
        if i % 10 == 0:
            promotions.create_certificate(session, actor=SYSTEM, face_minor=5000, code=f"GIFT-{i}")
            kwargs["certificate_code"] = f"GIFT-{i}"
        order = order_for(session, vid, customer, **kwargs)
        _, body = _paid_yookassa(session, yoo, order)
        jobs += [("yookassa", body, None)] * 3
        orders_.append(order.id)
        customers.append(customer.id)
    jobs = jobs[0::3] + jobs[1::3] + jobs[2::3]  # the same notification from different senders
    statuses = _send_all(app, jobs, threads=8)
    assert statuses.count(200) == 300
    session.expire_all()
    assert _count(session, Order, Order.id.in_(orders_), Order.status == "paid") == 100
    assert _count(session, Payment, Payment.status == "succeeded") == 100
    balances = session.exec(select(Customer.bonus_balance_minor).where(Customer.id.in_(customers))).all()
    assert balances == [2000] * 100
    assert all(loyalty.ledger_sum(session, c) == 2000 for c in customers)
    assert session.exec(select(GiftCertificate.status)).all() == ["redeemed"] * 10
    assert _count(session, DeadLetter) == 0
