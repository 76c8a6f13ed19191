"""Stripe Checkout Sessions (and PaymentIntents paid before them) against the fake; webhooks verified by the official library (300 s)."""
from __future__ import annotations

import time

import pytest

from integrations.fakeserver import LocalServer
from integrations.http import ProviderAuthError, ProviderRejected, RetryPolicy, idempotency_key
from integrations.ports.payment import CreatePayment, NotificationRejected, PaymentPort
from integrations.stripe.client import StripeClient
from integrations.stripe.fake import DEMO_API_KEY, DEMO_WEBHOOK_SECRET, FakeStripe
from tests.payments_support import refunds_of, stripe_pair


def _create(order_id: int = 5, amount: int = 250000) -> CreatePayment:
    return CreatePayment(payment_id=order_id * 10, order_id=order_id, amount_minor=amount, currency="RUB",
                         idempotency_key=idempotency_key("payment.create", order_id, "stripe", 1))


def test_over_http_a_checkout_session_is_created_once_per_key_and_its_page_is_the_link():
    fake = FakeStripe()
    with LocalServer(fake.handle) as server:
        client = StripeClient(api_key=DEMO_API_KEY, webhook_secret=DEMO_WEBHOOK_SECRET, base_url=server.base_url)
        made = client.create_payment(_create().model_copy(update={"return_url": "https://shop.test/app/orders/5"}))
        again = client.create_payment(_create())
        fake.succeed(made.id)
        fetched = client.get_payment(made.id)
        client.close()
    assert isinstance(client, PaymentPort)
    assert made.id == again.id and len(fake.sessions) == 1 and made.id.startswith("cs_")
    assert (made.status, made.amount_minor, made.currency, made.order_id, made.payment_id) == ("pending", 250000, "RUB", 5, 50)
    assert made.confirmation_url == f"https://checkout.stripe.com/c/pay/{made.id}"  # a page to open, not a secret
    session = fake.sessions[made.id]
    assert (session["mode"], session["success_url"], session["cancel_url"]) == (
        "payment", "https://shop.test/app/orders/5", "https://shop.test/app/orders/5")
    assert (fetched.status, fetched.amount_minor, fetched.payment_id) == ("succeeded", 250000, 50)
    assert fetched.confirmation_url is None and fake.intents[session["payment_intent"]]["status"] == "succeeded"


def test_a_500_after_acting_is_retried_with_the_same_key():
    fake, client = stripe_pair(policy=RetryPolicy(attempts=3, backoff=0.0))
    fake.fail_next(1, 500, after_acting=True)
    client.create_payment(_create())
    keys = [key for method, _, key in fake.calls if method == "POST"]
    assert len(keys) == 2 and len(set(keys)) == 1 and len(fake.sessions) == 1


def test_a_refund_once_per_key_and_never_above_the_charge():
    fake, client = stripe_pair()
    made = client.create_payment(_create(amount=10000))
    fake.succeed(made.id)
    key = idempotency_key("payment.refund", 9, 1)
    first = client.refund(provider_payment_id=made.id, amount_minor=4000, currency="RUB", idempotency_key=key)
    again = client.refund(provider_payment_id=made.id, amount_minor=4000, currency="RUB", idempotency_key=key)
    assert first.id == again.id and len(fake.refunds) == 1 and first.status == "succeeded"
    with pytest.raises(ProviderRejected):
        client.refund(provider_payment_id=made.id, amount_minor=6001, currency="RUB",
                      idempotency_key=idempotency_key("payment.refund", 9, 2))


def test_a_wrong_key_is_an_auth_error():
    fake = FakeStripe(api_key="sk_test_other")
    _, client = stripe_pair(fake)
    with pytest.raises(ProviderAuthError):
        client.create_payment(_create())


def test_a_signed_event_is_accepted_and_forged_or_stale_ones_are_refused():
    fake, client = stripe_pair()
    made = client.create_payment(_create())
    fake.succeed(made.id)
    body, headers = fake.event("checkout.session.completed", made.id, event_id="evt_good")
    assert client.verify_notification(body, headers) == "evt_good"
    notice = client.parse_notification(body, headers)
    assert (notice.kind, notice.payment.id, notice.payment.status, notice.payment.payment_id) == (
        "payment.succeeded", made.id, "succeeded", 50)
    # the session's own PaymentIntent event is left to the session's (one payment, one credit)
    intent_notice = client.parse_notification(*fake.event("payment_intent.succeeded", made.id))
    assert (intent_notice.kind, intent_notice.payment) == ("other", None)
    # forged: signed with another secret; tampered: the body changed after signing; stale: 301 s old
    forged_body, forged_headers = fake.event("checkout.session.completed", made.id, secret="whsec_attacker")
    stale_body, stale_headers = fake.event("checkout.session.completed", made.id, timestamp=int(time.time()) - 301)
    for b, h in ((forged_body, forged_headers), (body.replace(b"250000", b"1"), headers), (stale_body, stale_headers),
                 (body, {})):
        with pytest.raises(NotificationRejected):
            client.verify_notification(b, h)
    # 299 s old is still fresh
    fresh_body, fresh_headers = fake.event("checkout.session.completed", made.id, timestamp=int(time.time()) - 299)
    assert client.verify_notification(fresh_body, fresh_headers).startswith("evt_")


def _refunds(*amounts: int, pending: bool = True):
    """A paid Checkout Session of 100.00 and refunds of ``amounts`` cents (left pending by Stripe)."""
    fake, client = stripe_pair(FakeStripe(refunds_pending=pending))
    made = client.create_payment(_create(amount=10000))
    fake.succeed(made.id)
    return fake, client, made, refunds_of(client, made, *amounts)


def test_a_refund_is_fetched_back_pending_then_succeeded_or_failed():
    fake, client, made, (first, second) = _refunds(4000, 1000)
    pending = client.get_refund(first.id)
    fake.settle_refund(first.id)
    fake.settle_refund(second.id, "failed", failure_reason="expired_or_canceled_card")
    done, failed = client.get_refund(first.id), client.get_refund(second.id)
    # then Stripe's refund object is read into the port: "failed" is final, with Stripe's reason
    assert (first.status, pending.status, pending.amount_minor, pending.payment_id) == ("pending", "pending", 4000, made.id)
    assert (done.status, done.currency) == ("succeeded", "RUB")
    assert (failed.status, failed.failure_reason) == ("canceled", "expired_or_canceled_card")
    assert fake.count("GET", f"/v1/refunds/{first.id}") == 2
    with pytest.raises(ProviderRejected):
        client.get_refund("re_missing")


def test_refund_events_carry_the_refund_and_charge_refunded_without_its_list_names_the_payment():
    fake, client, made, [refund] = _refunds(4000, pending=False)
    for type_ in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
        body, headers = fake.refund_event(type_, refund.id)
        assert client.verify_notification(body, headers).startswith("evt_")
        notice = client.parse_notification(body, headers)
        assert (notice.kind, [(r.id, r.payment_id, r.status, r.amount_minor) for r in notice.refunds]) == \
            ("refund.updated", [(refund.id, made.id, "succeeded", 4000)])
    listed = client.parse_notification(*fake.charge_refunded_event(made.id, with_refunds=True))
    bare = client.parse_notification(*fake.charge_refunded_event(made.id))
    assert ([r.id for r in listed.refunds], listed.recheck_refunds_of) == ([refund.id], None)
    # a bare charge names only the PaymentIntent: the session that made it is looked up (once)
    assert (bare.kind, bare.refunds, bare.recheck_refunds_of) == ("refund.updated", [], made.id)
    assert fake.count("GET", "/v1/checkout/sessions") == 1
    body, headers = fake.refund_event("refund.updated", refund.id, amount="lots")
    with pytest.raises(NotificationRejected):
        client.parse_notification(body, headers)


def test_the_fake_serves_only_the_demo_shop():
    from integrations.stripe import from_settings
    from smo_app.settings import get_settings

    base = get_settings()
    assert from_settings(base.model_copy(update={"stripe_mode": "fake", "demo": False})) is None
    assert from_settings(base.model_copy(update={"stripe_mode": "fake", "demo": True})) is not None
