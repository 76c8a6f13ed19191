"""Payments: started once per attempt, credited exactly once, what cannot be credited is dead-lettered
with an alert, refunds reserve the amount and go out through the outbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from integrations.http import ProviderUnavailable, RetryPolicy
from integrations.ports.payment import ProviderPayment
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.integrations import DeadLetter
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.payments import Payment, Refund
from smo_app.models.promotions import GiftCertificate
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.customers import loyalty
from smo_app.services.messaging.outbox_tasks import Task
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment, payments_for_order, start_payment
from smo_app.services.payments.refunds import refund_payment, run_refund_task
from smo_app.services.sales import orders, promotions
from tests.commerce_factories import SYSTEM, qty_of
from tests.db_support import run_at_once
from tests.race import run_at_once as race
from tests.factories import make_staff
from tests.payments_support import (
    alerted_admin, count_rows as _count, order_for, settings, shop, use_fakes, yookassa,
)


@pytest.fixture
def fakes():
    yoo, stripe = use_fakes()
    yield yoo, stripe
    providers.reset_ports()


def _paid_fact(payment, **override) -> ProviderPayment:
    values = dict(provider=payment.provider, id=payment.provider_payment_id or f"ext-{payment.id}", status="succeeded",
                  amount_minor=payment.amount_minor, currency=payment.currency, payment_id=payment.id,
                  order_id=payment.order_id)
    values.update(override)
    return ProviderPayment(**values)


def _customer(order) -> Actor:
    return Actor.customer(order.customer_id)


# --------------------------------------------------------------------------- starting

def test_starting_a_payment_twice_makes_one_payment_at_the_provider(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    # when the customer taps "pay" twice
    first = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    second = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    # then one payment row, one provider payment, the same confirmation link
    assert first.id == second.id and first.confirmation_url == second.confirmation_url
    assert first.confirmation_url.startswith("https://yoomoney.ru/")
    assert len(yoo.payments) == 1 and _count(session, Payment) == 1
    assert (first.amount_minor, first.currency, first.status) == (order.total_minor, "RUB", "pending")


def test_a_500_after_the_provider_acted_is_retried_with_the_same_key_and_makes_one_payment(session):
    # given YooKassa that creates the payment but answers 500 ("result unknown"), and a client that tries once
    yoo, client = yookassa(policy=RetryPolicy(attempts=1))
    providers.use_port("yookassa", client)
    try:
        vid, customer = shop(session)
        order = order_for(session, vid, customer)
        yoo.fail_next(1, 500, after_acting=True)
        with pytest.raises(DomainError) as err:
            start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
        assert err.value.code == "payment.provider_unavailable"
        # when the customer tries again
        again = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa",
                              settings=settings())
    finally:
        providers.reset_ports()
    # then the provider recognised the key: still one payment, and we know its id
    keys = [key for method, path, key in yoo.calls if method == "POST"]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(yoo.payments) == 1 and again.provider_payment_id == next(iter(yoo.payments))


def test_a_method_the_shop_did_not_enable_or_an_order_not_new_cannot_be_paid(session, fakes):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    with pytest.raises(DomainError) as err:
        start_payment(session, actor=_customer(order), order_id=order.id, provider="stripe",
                      settings=settings(payment_methods="yookassa"))
    assert err.value.code == "payment.method_unavailable"
    orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="test")
    with pytest.raises(DomainError) as err:
        start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    assert err.value.code == "payment.order_not_payable"
    assert _count(session, Payment) == 0


def test_someone_elses_order_is_not_found(session, fakes):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    with pytest.raises(DomainError) as err:
        start_payment(session, actor=Actor.customer(customer.id + 999), order_id=order.id, provider="yookassa",
                      settings=settings())
    assert err.value.code == "common.not_found"


def test_with_receipts_on_a_missing_contact_is_refused_before_the_provider_is_called(session):
    yoo, client = yookassa(receipts=True)
    providers.use_port("yookassa", client)
    try:
        vid, customer = shop(session)
        order = order_for(session, vid, customer, qty=2)
        with pytest.raises(DomainError) as err:
            start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa",
                          settings=settings(yookassa_receipts=True))
        assert err.value.code == "payment.receipt_required" and yoo.calls == []
        # when the customer shares a phone, the receipt goes with the payment and adds up to the order
        start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", phone="+79990001122",
                      settings=settings(yookassa_receipts=True))
    finally:
        providers.reset_ports()
    receipt = yoo.bodies[-1]["receipt"]
    assert receipt["customer"] == {"phone": "+79990001122"}
    total = sum(round(float(i["amount"]["value"]) * 100) * int(float(i["quantity"])) for i in receipt["items"])
    assert total == order.total_minor and all(i["vat_code"] == 1 for i in receipt["items"])


# --------------------------------------------------------------------------- applying

def _rich_order(session, vid, customer):
    loyalty.adjust_bonuses(session, actor=SYSTEM, customer_id=customer.id, delta_minor=30000, note="gift")
    promotions.create_certificate(session, actor=SYSTEM, face_minor=20000, code="GIFT-PAY")
    return order_for(session, vid, customer, qty=2, bonus_minor=10000, certificate_code="GIFT-PAY")


def test_a_paid_fact_applied_three_times_credits_the_order_once(session, fakes):
    vid, customer = shop(session)
    order = _rich_order(session, vid, customer)
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    # when the provider's "succeeded" arrives three times
    outcomes = [apply_provider_payment(session, provider="yookassa", fact=_paid_fact(payment)).outcome for _ in range(3)]
    session.commit()
    # then the order is paid once: one paid event, certificate redeemed, bonuses spent once
    assert outcomes == ["paid", "already", "already"]
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.get(Payment, payment.id).status == "succeeded"
    assert session.exec(select(GiftCertificate.status)).all() == ["redeemed"]
    assert session.get(Customer, customer.id).bonus_balance_minor == 20000 == loyalty.ledger_sum(session, customer.id)
    assert _count(session, AuditEntry, AuditEntry.action == "payment.credit") == 1


def test_an_amount_that_differs_is_not_credited_and_admins_are_alerted(session, fakes):
    alerted_admin(session)
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    # when the provider reports one kopeck less
    out = apply_provider_payment(session, provider="yookassa", fact=_paid_fact(payment, amount_minor=payment.amount_minor - 1))
    session.commit()
    # then nothing is credited, a dead letter says why and offers a refund, the admin gets a Telegram alert
    assert (out.outcome, out.reason) == ("dead", "payment.amount_mismatch")
    session.expire_all()
    assert session.get(Order, order.id).status == "new"
    assert session.get(Payment, payment.id).status == "unmatched"
    [letter] = session.exec(select(DeadLetter)).all()
    assert (letter.reason, letter.kind, letter.payload["refundable"]) == ("payment.amount_mismatch", "payment", True)
    [alert] = session.exec(select(Outbox).where(Outbox.kind == "payment_not_credited")).all()
    assert str(order.id) in alert.payload["text"] and "Сумма" in alert.payload["text"]


def test_a_payment_after_a_cancel_is_dead_lettered_for_refund_and_refunded_once(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    order = order_for(session, vid, customer, now=utcnow() - timedelta(hours=3))
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    # the auto-cancel job leaves an order whose payment is under way alone; the customer cancels it
    assert orders.auto_cancel_unpaid(session) == []
    orders.cancel_order(session, actor=_customer(order), order_id=order.id)
    yoo.pay(payment.provider_payment_id)
    # when the money arrives for the cancelled order
    out = apply_provider_payment(session, provider="yookassa", fact=_paid_fact(payment))
    session.commit()
    # then it is not credited and waits for a refund
    assert (out.outcome, out.reason) == ("dead", "payment.order_cancelled")
    session.expire_all()
    assert session.get(Order, order.id).status == "cancelled" and qty_of(session, vid) == 1000
    # when the admin refunds it, and the outbox task runs twice
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, reason="paid after cancel")
    task = Task(id=1, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1)
    for _ in range(2):
        run_refund_task(session, task)
        session.commit()
    # then the provider refunded it once, the payment is refunded
    assert len(yoo.refunds) == 1 and next(iter(yoo.refunds.values()))["amount"]["value"] == "1000.00"
    session.expire_all()
    assert session.get(Refund, refund.id).status == "succeeded"
    assert session.get(Payment, payment.id).status == "refunded"


def test_a_second_payment_for_a_paid_order_is_not_credited(session, fakes):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    first = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    apply_provider_payment(session, provider="yookassa", fact=_paid_fact(first))
    other = Payment(order_id=order.id, provider="stripe", idempotency_key="k-other", amount_minor=order.total_minor,
                    currency="RUB", provider_payment_id="pi_other")
    session.add(other)
    session.commit()
    out = apply_provider_payment(session, provider="stripe", fact=_paid_fact(other))
    session.commit()
    assert (out.outcome, out.reason) == ("dead", "payment.order_already_paid")


def test_a_payment_nobody_started_is_dead_lettered(session, fakes):
    fact = ProviderPayment(provider="yookassa", id="unknown-1", status="succeeded", amount_minor=500, currency="RUB")
    out = apply_provider_payment(session, provider="yookassa", fact=fact)
    session.commit()
    assert (out.outcome, out.reason) == ("dead", "payment.unknown_order")
    assert _count(session, DeadLetter) == 1


def test_a_canceled_payment_stays_unpaid_and_a_new_attempt_gets_a_new_key(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    first = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    yoo.cancel(first.provider_payment_id)
    out = apply_provider_payment(session, provider="yookassa",
                                 fact=_paid_fact(first, status="canceled", cancellation_reason="expired_on_confirmation"))
    session.commit()
    again = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    assert out.outcome == "canceled" and again.id != first.id and len(yoo.payments) == 2
    assert [p.status for p in payments_for_order(session, actor=_customer(order), order_id=order.id)] == ["pending", "canceled"]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_same_paid_fact_applied_three_times_at_once_credits_once(engine, session, fakes):
    vid, customer = shop(session)
    order = _rich_order(session, vid, customer)
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    fact = _paid_fact(payment)

    def apply(s):
        out = apply_provider_payment(s, provider="yookassa", fact=fact)
        s.commit()
        return out.outcome

    results = race(engine, [apply] * 3)
    assert sorted(value for _, value in results) == ["already", "already", "paid"]
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 20000
    assert session.exec(select(GiftCertificate.status)).all() == ["redeemed"]


# --------------------------------------------------------------------------- refunds

def _paid_order(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    order = order_for(session, vid, customer, qty=2)
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    yoo.pay(payment.provider_payment_id)
    apply_provider_payment(session, provider="yookassa", fact=_paid_fact(payment))
    session.commit()
    return vid, order, payment


def test_a_partial_refund_keeps_the_order_and_a_full_one_cancels_it_returning_stock(session, fakes):
    yoo, _ = fakes
    vid, order, payment = _paid_order(session, fakes)
    admin = make_staff(session, "admin").actor()
    refund_payment(session, actor=admin, order_id=order.id, amount_minor=50000, reason="one item damaged")
    session.expire_all()
    assert session.get(Order, order.id).status == "paid" and session.get(Payment, payment.id).refunded_minor == 50000
    rest = refund_payment(session, actor=admin, order_id=order.id, reason="customer returned the rest")
    session.expire_all()
    assert rest.amount_minor == order.total_minor - 50000
    assert session.get(Order, order.id).status == "cancelled" and qty_of(session, vid) == 1000
    assert session.get(Payment, payment.id).status == "refunded"
    # the provider calls leave through the outbox, one task per refund
    kinds = session.exec(select(Outbox.kind).where(Outbox.kind == "payment.refund")).all()
    assert len(kinds) == 2
    audits = session.exec(select(AuditEntry.note).where(AuditEntry.action == "payment.refund")).all()
    assert audits == ["one item damaged", "customer returned the rest"]


def test_refund_input_is_validated_and_changes_nothing(session, fakes):
    _, order, payment = _paid_order(session, fakes)
    admin = make_staff(session, "admin").actor()
    for kwargs, code in (({"reason": " "}, "payment.reason_required"),
                         ({"reason": "x", "amount_minor": 0}, "payment.refund_amount_invalid"),
                         ({"reason": "x", "amount_minor": order.total_minor + 1}, "payment.refund_too_much")):
        with pytest.raises(DomainError) as err:
            refund_payment(session, actor=admin, order_id=order.id, **kwargs)
        assert err.value.code == code
    with pytest.raises(PermissionDenied):
        refund_payment(session, actor=make_staff(session, "manager").actor(), order_id=order.id, reason="x")
    assert _count(session, Refund) == 0
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_minor == 0


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_refunds_at_once_never_return_more_than_was_paid(engine, session, fakes):
    _, order, payment = _paid_order(session, fakes)
    admin = make_staff(session, "admin").actor()
    share = order.total_minor * 3 // 4

    def refund(s):
        return refund_payment(s, actor=admin, order_id=order.id, amount_minor=share, reason="race").id

    results = run_at_once(engine, [refund, refund])
    assert sorted(results.elements()) == ["ok", "payment.refund_too_much"]
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_minor == share


def test_a_refund_the_provider_refuses_is_released_dead_lettered_and_alerted(session, fakes):
    yoo, _ = fakes
    alerted_admin(session, telegram_id=5_000_000_009)
    vid, customer = shop(session)
    order = order_for(session, vid, customer, qty=2)
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    apply_provider_payment(session, provider="yookassa", fact=_paid_fact(payment))  # YooKassa never saw it paid
    session.commit()
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=10000, reason="damaged")
    # when the outbox task asks YooKassa, which refuses
    run_refund_task(session, Task(id=7, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1))
    session.commit()
    # then the refund failed, the amount can be refunded again, and the admin knows
    session.expire_all()
    assert session.get(Refund, refund.id).status == "failed"
    assert session.get(Payment, payment.id).refunded_minor == 0 and session.get(Payment, payment.id).status == "succeeded"
    assert session.exec(select(DeadLetter.reason)).all() == ["payment.refund_failed"]
    assert len(session.exec(select(Outbox).where(Outbox.kind == "payment_refund_failed")).all()) == 1


def test_a_provider_outage_during_a_refund_is_retried_with_the_same_key(session, fakes):
    yoo, _ = fakes
    vid, order, payment = _paid_order(session, fakes)
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=10000, reason="damaged")
    task = Task(id=8, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1)
    yoo.fail_next(3, 500, after_acting=True)  # acted, answered 500 three times: the task fails and will retry
    with pytest.raises(ProviderUnavailable):
        run_refund_task(session, task)
    session.rollback()
    run_refund_task(session, task)
    session.commit()
    keys = {key for method, path, key in yoo.calls if path == "/v3/refunds"}
    assert len(keys) == 1 and len(yoo.refunds) == 1
    session.expire_all()
    assert session.get(Refund, refund.id).status == "succeeded"
