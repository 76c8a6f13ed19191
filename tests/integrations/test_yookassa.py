"""The YooKassa API v3 client against its fake (over a real local port and in-process)."""
from __future__ import annotations

import json

import pytest

from integrations.fakeserver import LocalServer
from integrations.http import ProviderAuthError, ProviderRejected, ProviderUnavailable, RetryPolicy, idempotency_key
from integrations.ports.payment import CreatePayment, NotificationDisputed, NotificationRejected, PaymentPort, Receipt, ReceiptItem
from integrations.yookassa import from_settings
from integrations.yookassa.client import ReceiptMissing, YooKassaClient
from integrations.yookassa.fake import DEMO_SECRET_KEY, DEMO_SHOP_ID, FakeYooKassa
from smo_app.settings import get_settings
from tests.payments_support import refunds_of, yookassa


def _create(order_id: int = 7, amount: int = 123450, *, key: str | None = None, **kw) -> CreatePayment:
    return CreatePayment(payment_id=order_id * 10, order_id=order_id, amount_minor=amount, description=f"Order {order_id}",
                         idempotency_key=key or idempotency_key("payment.create", order_id, "yookassa", 1),
                         return_url="https://shop.example/orders", **kw)


def test_over_http_a_payment_is_created_with_the_idempotence_key_and_fetched_back():
    fake = FakeYooKassa()
    with LocalServer(fake.handle) as server:
        client = YooKassaClient(shop_id=DEMO_SHOP_ID, secret_key=DEMO_SECRET_KEY, base_url=server.base_url)
        made = client.create_payment(_create())
        again = client.create_payment(_create())
        fake.pay(made.id)
        fetched = client.get_payment(made.id)
        client.close()
    # then one payment, YooKassa's JSON both ways, kopecks exact
    assert isinstance(client, PaymentPort)
    assert again.id == made.id and len(fake.payments) == 1
    assert (made.status, made.amount_minor, made.currency, made.order_id, made.payment_id) == ("pending", 123450, "RUB", 7, 70)
    assert made.confirmation_url.startswith("https://yoomoney.ru/")
    body = fake.bodies[0]
    assert body["amount"] == {"value": "1234.50", "currency": "RUB"} and body["capture"] is True
    assert body["confirmation"] == {"type": "redirect", "return_url": "https://shop.example/orders"}
    assert body["metadata"] == {"order_id": "7", "payment_id": "70"}
    assert fetched.status == "succeeded"
    assert all(key for method, _, key in fake.calls if method == "POST")


def test_a_qr_confirmation_gives_the_sbp_link():
    fake, client = yookassa()
    made = client.create_payment(_create(confirmation="qr"))
    assert made.confirmation_url.startswith("https://qr.nspk.ru/")


def test_a_timeout_is_retried_with_the_same_key_and_makes_one_payment():
    # given YooKassa that answers slower than the client waits, once
    fake = FakeYooKassa(delay=0.6)
    calls = {"n": 0}

    def slow_once(request):
        calls["n"] += 1
        if calls["n"] > 1:
            fake.delay = 0.0
        return fake.handle(request)

    with LocalServer(slow_once) as server:
        client = YooKassaClient(shop_id=DEMO_SHOP_ID, secret_key=DEMO_SECRET_KEY, base_url=server.base_url,
                                timeout=0.3, policy=RetryPolicy(attempts=3, backoff=0.0), sleep=lambda s: None)
        made = client.create_payment(_create())
        client.close()
    # then the create was sent again with the same key and YooKassa kept one payment
    posts = [key for method, _, key in fake.calls if method == "POST"]
    assert len(posts) >= 2 and len(set(posts)) == 1
    assert len(fake.payments) == 1 and made.id in fake.payments


def test_a_500_means_unknown_and_the_retry_with_the_same_key_gets_the_first_result():
    fake, client = yookassa(policy=RetryPolicy(attempts=3, backoff=0.0))
    fake.fail_next(1, 500, after_acting=True)
    made = client.create_payment(_create())
    assert len(fake.payments) == 1 and made.id in fake.payments
    assert fake.count("POST", "/v3/payments") == 2


def test_five_hundreds_that_outlive_the_retries_are_unavailable():
    fake, client = yookassa(policy=RetryPolicy(attempts=2, backoff=0.0))
    fake.fail_next(2, 500)
    with pytest.raises(ProviderUnavailable):
        client.create_payment(_create())


def test_wrong_credentials_and_a_refused_request_are_told_apart():
    fake = FakeYooKassa(secret_key="other")
    _, client = yookassa(fake)
    with pytest.raises(ProviderAuthError):
        client.create_payment(_create())
    fake2, client2 = yookassa()
    with pytest.raises(ProviderRejected) as err:
        client2.get_payment("no-such-payment")
    assert err.value.status == 404


def test_a_refund_is_idempotent_and_cannot_exceed_the_payment():
    fake, client = yookassa()
    made = client.create_payment(_create(amount=100000))
    fake.pay(made.id)
    key = idempotency_key("payment.refund", 1, 1)
    first = client.refund(provider_payment_id=made.id, amount_minor=40000, currency="RUB", idempotency_key=key, reason="damaged")
    again = client.refund(provider_payment_id=made.id, amount_minor=40000, currency="RUB", idempotency_key=key, reason="damaged")
    assert first.id == again.id and len(fake.refunds) == 1
    assert (first.status, first.amount_minor, first.payment_id) == ("succeeded", 40000, made.id)
    with pytest.raises(ProviderRejected):
        client.refund(provider_payment_id=made.id, amount_minor=60001, currency="RUB",
                      idempotency_key=idempotency_key("payment.refund", 1, 2))


def test_receipts_are_checked_before_the_call():
    fake, client = yookassa(receipts=True)
    with pytest.raises(ReceiptMissing):
        client.create_payment(_create())
    item = ReceiptItem(description="Свеча", quantity=2, amount_minor=50000, vat_code=1)
    with pytest.raises(ReceiptMissing):  # no phone or e-mail
        client.create_payment(_create(amount=100000, receipt=Receipt(items=[item])))
    with pytest.raises(ReceiptMissing):  # does not add up
        client.create_payment(_create(amount=90000, receipt=Receipt(customer_email="a@b.ru", items=[item])))
    assert fake.calls == []
    client.create_payment(_create(amount=100000, receipt=Receipt(customer_email="a@b.ru", items=[item])))
    receipt = fake.bodies[0]["receipt"]
    assert receipt["customer"] == {"email": "a@b.ru"}
    assert receipt["items"][0] == {"description": "Свеча", "quantity": "2.00", "amount": {"value": "500.00", "currency": "RUB"},
                                   "vat_code": 1, "payment_subject": "commodity", "payment_mode": "full_payment"}


def test_a_notification_is_trusted_only_when_the_fetched_payment_agrees():
    fake, client = yookassa()
    made = client.create_payment(_create())
    fake.pay(made.id)
    body = fake.notification("payment.succeeded", made.id)
    # the inbox key is the payment id with the status YooKassa reports, not what the notice claims
    assert client.verify_notification(body, {}) == f"payment:{made.id}:succeeded"
    notice = client.parse_notification(body, {})
    assert (notice.kind, notice.payment.status, notice.payment.amount_minor) == ("payment.succeeded", "succeeded", 123450)
    # a forged notice: "succeeded" for a payment still pending at YooKassa
    other = client.create_payment(_create(order_id=8))
    forged = json.dumps({"type": "notification", "event": "payment.succeeded",
                         "object": {**fake.payments[other.id], "status": "succeeded", "paid": True}}).encode()
    with pytest.raises(NotificationDisputed) as err:
        client.verify_notification(forged, {})
    assert err.value.disagreed == {"status": {"claimed": "succeeded", "actual": "pending"}}
    with pytest.raises(NotificationRejected):
        client.parse_notification(forged, {})
    with pytest.raises(NotificationRejected):
        client.verify_notification(b"not json", {})


def test_from_settings_is_off_without_credentials_and_fake_in_demo():
    base = get_settings()
    assert from_settings(base.model_copy(update={"yookassa_mode": "auto", "demo": False})) is None
    demo = from_settings(base.model_copy(update={"yookassa_mode": "auto", "demo": True}))
    made = demo.create_payment(_create())
    assert made.status == "succeeded"  # the demo fake pays at once
    # a real shop never talks to a fake, even when told to
    assert from_settings(base.model_copy(update={"yookassa_mode": "fake", "demo": False})) is None


def _pending_refunds(*amounts: int):
    """YooKassa that leaves refunds pending for a while (as for some payment methods): a paid
    payment of 1000.00 and refunds of ``amounts`` kopecks."""
    fake, client = yookassa(FakeYooKassa(refunds_pending=True))
    made = client.create_payment(_create(amount=100000))
    fake.pay(made.id)
    return fake, client, made, refunds_of(client, made, *amounts)


def test_a_refund_is_fetched_back_pending_then_succeeded_or_canceled():
    fake, client, made, (first, second) = _pending_refunds(40000, 10000)
    # when the shop asks about them before and after YooKassa finishes
    pending = client.get_refund(first.id)
    fake.settle_refund(first.id)
    fake.settle_refund(second.id, "canceled", reason="insufficient_funds")
    done, canceled = client.get_refund(first.id), client.get_refund(second.id)
    # then each answer is YooKassa's refund object read into the port, kopecks exact
    assert (first.status, pending.status, pending.amount_minor, pending.payment_id) == ("pending", "pending", 40000, made.id)
    assert (done.status, done.amount_minor, done.currency, done.failure_reason) == ("succeeded", 40000, "RUB", None)
    assert (canceled.status, canceled.failure_reason) == ("canceled", "insufficient_funds")
    assert fake.count("GET", f"/v3/refunds/{first.id}") == 2
    with pytest.raises(ProviderRejected) as err:
        client.get_refund("no-such-refund")
    assert err.value.status == 404


def test_a_refund_notification_is_trusted_only_when_the_fetched_refund_agrees():
    fake, client, made, [refund] = _pending_refunds(40000)
    # a notice of a refund still pending at YooKassa is refused; once it succeeded it is trusted
    early = fake.refund_notification(refund.id, status="succeeded")
    with pytest.raises(NotificationRejected):
        client.parse_notification(early, {})
    fake.settle_refund(refund.id)
    body = fake.refund_notification(refund.id)
    assert client.verify_notification(body, {}) == f"refund:{refund.id}:succeeded"
    notice = client.parse_notification(body, {})
    assert (notice.kind, notice.payment, [(r.id, r.status, r.amount_minor) for r in notice.refunds]) == \
        ("refund.succeeded", None, [(refund.id, "succeeded", 40000)])
    # a notice of a refund YooKassa never made, or one shaped wrong, is refused too
    ghost = json.dumps({"type": "notification", "event": "refund.succeeded",
                        "object": {**fake.refunds[refund.id], "id": "no-such-refund"}}).encode()
    with pytest.raises(NotificationRejected):
        client.parse_notification(ghost, {})
    with pytest.raises(NotificationRejected):
        client.verify_notification(json.dumps({"type": "notification", "event": "refund.succeeded",
                                               "object": {"id": "x"}}).encode(), {})
