"""Stripe PaymentIntents against the fake; webhooks verified by the official library (300 s)."""
from __future__ import annotations

import time

import pytest

from integrations.fakeserver import LocalServer
from integrations.http import ProviderAuthError, ProviderRejected, RetryPolicy, idempotency_key
from integrations.payment_port import CreatePayment, NotificationRejected, PaymentPort
from integrations.stripe.client import StripeClient
from integrations.stripe.fake import DEMO_API_KEY, DEMO_WEBHOOK_SECRET, FakeStripe
from tests.payments_support import stripe_pair


def _create(order_id: int = 5, amount: int = 250000) -> CreatePayment:
    return CreatePayment(payment_id=order_id * 10, order_id=order_id, amount_minor=amount, currency="RUB",
                         idempotency_key=idempotency_key("payment.create", order_id, "stripe", 1))


def test_over_http_a_payment_intent_is_created_once_per_key():
    fake = FakeStripe()
    with LocalServer(fake.handle) as server:
        client = StripeClient(api_key=DEMO_API_KEY, webhook_secret=DEMO_WEBHOOK_SECRET, base_url=server.base_url)
        made = client.create_payment(_create())
        again = client.create_payment(_create())
        fake.succeed(made.id)
        fetched = client.get_payment(made.id)
        client.close()
    assert isinstance(client, PaymentPort)
    assert made.id == again.id and len(fake.intents) == 1 and made.id.startswith("pi_")
    assert (made.status, made.amount_minor, made.currency, made.order_id) == ("pending", 250000, "RUB", 5)
    assert made.confirmation_url.startswith(f"{made.id}_secret_")  # the client secret for Stripe.js
    assert (fetched.status, fetched.amount_minor) == ("succeeded", 250000)


def test_a_500_after_acting_is_retried_with_the_same_key():
    fake, client = stripe_pair(policy=RetryPolicy(attempts=3, backoff=0.0))
    fake.fail_next(1, 500, after_acting=True)
    client.create_payment(_create())
    keys = [key for method, _, key in fake.calls if method == "POST"]
    assert len(keys) == 2 and len(set(keys)) == 1 and len(fake.intents) == 1


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
    body, headers = fake.event("payment_intent.succeeded", made.id, event_id="evt_good")
    assert client.verify_notification(body, headers) == "evt_good"
    notice = client.parse_notification(body, headers)
    assert (notice.kind, notice.payment.id, notice.payment.status) == ("payment.succeeded", made.id, "succeeded")
    # forged: signed with another secret; tampered: the body changed after signing; stale: 301 s old
    forged_body, forged_headers = fake.event("payment_intent.succeeded", made.id, secret="whsec_attacker")
    stale_body, stale_headers = fake.event("payment_intent.succeeded", made.id, timestamp=int(time.time()) - 301)
    for b, h in ((forged_body, forged_headers), (body.replace(b"250000", b"1"), headers), (stale_body, stale_headers),
                 (body, {})):
        with pytest.raises(NotificationRejected):
            client.verify_notification(b, h)
    # 299 s old is still fresh
    fresh_body, fresh_headers = fake.event("payment_intent.succeeded", made.id, timestamp=int(time.time()) - 299)
    assert client.verify_notification(fresh_body, fresh_headers).startswith("evt_")
