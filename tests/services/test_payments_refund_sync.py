"""Refunds the provider leaves pending are settled later, once: reconciliation asks about them, and
the providers' refund webhooks (YooKassa's refund.succeeded, fetched back; Stripe's refund events)
confirm or fail them through the same path. A refund the shop never made is a dead letter with an
alert and changes nothing else."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from integrations.http import ProviderUnavailable
from integrations.ports.payment import ProviderPayment
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.integrations import DeadLetter, WebhookEvent
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.payments import Payment, ReconciliationRun, Refund
from smo_app.services.core.actor import Actor
from smo_app.services.messaging.outbox_tasks import Task
from smo_app.services.payments import providers
from smo_app.services.payments.admin import list_payment_letters
from smo_app.services.payments.core import apply_provider_payment, start_payment
from smo_app.services.payments.reconcile import list_runs, reconcile_pending
from smo_app.services.payments.refund_sync import CHECK_TASK, run_refund_check_task
from smo_app.services.payments.refunds import refund_payment, run_refund_task
from tests.factories import make_staff
from tests.payments_support import (
    alerted_admin, count_rows as _count, deliver, order_for, settings, shop, use_fakes,
)
from tests.race import run_at_once

LATER = timedelta(minutes=15)  # past SMO_PAYMENTS_RECONCILE_AFTER_MINUTES (10)


@pytest.fixture
def fakes():
    yoo, stripe = use_fakes()
    yoo.refunds_pending = stripe.refunds_pending = True  # refunds wait at the provider until settled
    yield yoo, stripe
    providers.reset_ports()


def _paid_order(session, fakes, provider: str = "yookassa"):
    """A customer's order of two items paid through ``provider``, and an admin who gets alerts."""
    yoo, stripe = fakes
    vid, customer = shop(session)
    order = order_for(session, vid, customer, qty=2)
    payment = start_payment(session, actor=Actor.customer(customer.id), order_id=order.id, provider=provider,
                            settings=settings())
    (yoo.pay if provider == "yookassa" else stripe.succeed)(payment.provider_payment_id)
    fact = ProviderPayment(provider=provider, id=payment.provider_payment_id, status="succeeded",
                           amount_minor=payment.amount_minor, currency=payment.currency, payment_id=payment.id,
                           order_id=order.id)
    assert apply_provider_payment(session, provider=provider, fact=fact).outcome == "paid"
    session.commit()
    alerted_admin(session, telegram_id=5_000_000_000 + order.id)
    return order, payment


def _refund_sent(session, order, amount: int = 50000):
    """An admin refunds part of the order; the outbox task asks the provider, which leaves it pending."""
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=amount, reason="one item damaged")
    run_refund_task(session, Task(id=refund.id, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1))
    session.commit()
    session.expire_all()
    row = session.get(Refund, refund.id)
    session.rollback()
    return row


def _state(session, order_id: int, refund_id: int) -> tuple:
    """What a confirmation moves: the refund, the order's refunded money, the audit entry, the message."""
    session.expire_all()
    out = (session.get(Refund, refund_id).status, session.get(Order, order_id).refunded_minor,
           _count(session, AuditEntry, AuditEntry.action == "payment.refund_done"),
           _count(session, Outbox, Outbox.kind == "payment_refund"))
    session.rollback()
    return out


# --------------------------------------------------------------------------- reconciliation

def test_reconciliation_confirms_a_refund_the_provider_finished_later_once(session, fakes):
    yoo, _ = fakes
    order, payment = _paid_order(session, fakes)
    refund = _refund_sent(session, order)
    assert (refund.status, refund.provider_refund_id in yoo.refunds) == ("pending", True)
    # when the job runs before the refund is due, then after YooKassa finished it — twice
    early = reconcile_pending(session, settings=settings())
    yoo.settle_refund(refund.provider_refund_id)
    first = reconcile_pending(session, now=utcnow() + LATER, settings=settings())
    second = reconcile_pending(session, now=utcnow() + LATER, settings=settings())
    # then the young refund was not asked about; the due one was confirmed once and the log says so
    assert (early.refunds_checked, first.refunds_checked, first.refunds_done, second.refunds_checked) == (0, 1, 1, 0)
    assert yoo.count("GET", f"/v3/refunds/{refund.provider_refund_id}") == 1
    assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)
    runs = list_runs(session, actor=make_staff(session, "manager").actor())
    assert [(r.refunds_checked, r.refunds_done) for r in runs] == [(0, 0), (1, 1), (0, 0)]


def test_reconciliation_fails_a_refund_the_provider_canceled_releasing_it_with_a_dead_letter_and_alert(session, fakes):
    yoo, _ = fakes
    order, payment = _paid_order(session, fakes)
    refund = _refund_sent(session, order)
    yoo.settle_refund(refund.provider_refund_id, "canceled", reason="insufficient_funds")
    out = reconcile_pending(session, now=utcnow() + LATER, settings=settings())
    again = reconcile_pending(session, now=utcnow() + LATER, settings=settings())
    # then the refund failed once: the amount can be refunded again, staff know why
    assert (out.refunds_done, again.refunds_checked) == (1, 0)
    session.expire_all()
    failed = session.get(Refund, refund.id)
    assert (failed.status, failed.error) == ("failed", "canceled by the provider (insufficient_funds)")
    assert session.get(Payment, payment.id).refunded_minor == 0
    assert session.get(Order, order.id).refunded_minor == 0
    assert session.exec(select(DeadLetter.reason)).all() == ["payment.refund_failed"]
    assert _count(session, Outbox, Outbox.kind == "payment_refund_failed") == 1


def test_reconciliation_logs_a_provider_outage_and_asks_again_next_time(session, fakes):
    yoo, _ = fakes
    order, _ = _paid_order(session, fakes)
    refund = _refund_sent(session, order)
    yoo.settle_refund(refund.provider_refund_id)
    yoo.fail_next(10, 500)  # YooKassa is down for this pass
    down = reconcile_pending(session, now=utcnow() + LATER, settings=settings())
    assert (down.refunds_checked, down.refunds_done, down.errors) == (1, 0, 1)
    assert f"refund #{refund.id}" in down.note
    assert _state(session, order.id, refund.id)[0] == "pending"
    yoo._failures.clear()  # noqa: SLF001 - YooKassa is back
    up = reconcile_pending(session, now=utcnow() + LATER, settings=settings())
    assert (up.refunds_done, up.errors) == (1, 0)
    assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)
    assert _count(session, ReconciliationRun) == 2


# --------------------------------------------------------------------------- webhooks

def test_a_yookassa_refund_notice_replayed_three_times_confirms_once_after_fetching_it_back(session, fakes):
    yoo, _ = fakes
    order, _ = _paid_order(session, fakes)
    refund = _refund_sent(session, order)
    yoo.settle_refund(refund.provider_refund_id)
    body = yoo.refund_notification(refund.provider_refund_id)
    # when YooKassa delivers refund.succeeded, then the same notice three more times
    outcomes = [deliver(session, "yookassa", body) for _ in range(4)]
    # then it was fetched back and applied once; the replays change nothing
    assert outcomes == ["processed", "duplicate", "duplicate", "duplicate"]
    # (each delivery is fetched back at the edge to name it — refund id + YooKassa's status — and
    # once more when applied)
    assert yoo.count("GET", f"/v3/refunds/{refund.provider_refund_id}") == 4 + 1
    assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)
    assert _count(session, WebhookEvent) == 1
    # and the job finds nothing left to ask about
    assert reconcile_pending(session, now=utcnow() + LATER, settings=settings()).refunds_checked == 0


def test_a_yookassa_refund_notice_the_api_does_not_confirm_changes_nothing(session, fakes):
    yoo, _ = fakes
    order, _ = _paid_order(session, fakes)
    refund = _refund_sent(session, order)
    # a forged "succeeded" for a refund still pending at YooKassa
    forged = yoo.refund_notification(refund.provider_refund_id, status="succeeded")
    assert deliver(session, "yookassa", forged) == "disputed"  # a dead letter, no inbox slot
    assert _state(session, order.id, refund.id) == ("pending", 0, 0, 0)
    assert session.exec(select(DeadLetter.reason)).all() == ["payment.notification_rejected"]


def test_stripe_refund_events_settle_a_refund_once_whichever_event_comes(session, fakes):
    _, stripe = fakes
    order, _ = _paid_order(session, fakes, provider="stripe")
    done = _refund_sent(session, order, amount=50000)
    failed = _refund_sent(session, order, amount=30000)
    stripe.settle_refund(done.provider_refund_id)
    stripe.settle_refund(failed.provider_refund_id, "failed", failure_reason="expired_or_canceled_card")
    # when Stripe tells of the first refund three ways (each event twice) and of the second once
    events = [stripe.refund_event("refund.updated", done.provider_refund_id),
              stripe.refund_event("charge.refund.updated", done.provider_refund_id),
              stripe.charge_refunded_event(order_payment_intent(session, order.id), with_refunds=True)]
    outcomes = [deliver(session, "stripe", *event) for event in events for _ in range(2)]
    assert deliver(session, "stripe", *stripe.refund_event("refund.failed", failed.provider_refund_id)) == "processed"
    # then the first is confirmed once and the second failed once, released, dead-lettered and alerted
    assert outcomes == ["processed", "duplicate"] * 3
    assert _state(session, order.id, done.id) == ("succeeded", 50000, 1, 1)
    session.expire_all()
    assert session.get(Refund, failed.id).status == "failed"
    assert session.get(Payment, done.payment_id).refunded_minor == 50000
    assert session.exec(select(DeadLetter.reason)).all() == ["payment.refund_failed"]
    assert _count(session, Outbox, Outbox.kind == "payment_refund_failed") == 1


def test_stripe_charge_refunded_without_its_refund_list_asks_about_the_pending_refunds_after_commit(session, fakes):
    _, stripe = fakes
    order, _ = _paid_order(session, fakes, provider="stripe")
    refund = _refund_sent(session, order)
    stripe.settle_refund(refund.provider_refund_id)
    # when charge.refunded arrives as current API versions send it (no refund list), twice
    event = stripe.charge_refunded_event(refund_intent(session, refund))
    assert [deliver(session, "stripe", *event) for _ in range(2)] == ["processed", "duplicate"]
    # then nothing was asked while applying it: one task asks Stripe after commit
    assert stripe.count("GET", f"/v1/refunds/{refund.provider_refund_id}") == 0
    [task] = session.exec(select(Outbox).where(Outbox.kind == CHECK_TASK)).all()
    session.rollback()
    # and running it (twice: a task may run again) asks about the pending refund and confirms it once
    for attempt in (1, 2):
        run_refund_check_task(session, Task(id=task.id, kind=task.kind, payload=task.payload, attempts=attempt))
        session.commit()
    assert stripe.count("GET", f"/v1/refunds/{refund.provider_refund_id}") == 1
    assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)


def test_a_refund_webhook_while_the_task_retries_after_result_unknown_confirms_it_and_the_retry_calls_nobody(session, fakes):
    yoo, _ = fakes
    yoo.refunds_pending = False
    order, _ = _paid_order(session, fakes)
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=50000, reason="damaged")
    task = Task(id=refund.id, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1)
    yoo.fail_next(3, 500, after_acting=True)  # YooKassa refunded, but every answer was a 500
    with pytest.raises(ProviderUnavailable):
        run_refund_task(session, task)
    session.rollback()
    [made] = yoo.refunds
    # when YooKassa's notice arrives before the task's next try
    assert deliver(session, "yookassa", yoo.refund_notification(made)) == "processed"
    run_refund_task(session, task)
    session.commit()
    # then the refund is ours, confirmed once, and the retry did not call YooKassa again
    assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)
    session.expire_all()
    assert session.get(Refund, refund.id).provider_refund_id == made
    assert yoo.count("POST", "/v3/refunds") == 3 and len(yoo.refunds) == 1
    assert _count(session, DeadLetter) == 0


@pytest.mark.parametrize("provider", ["yookassa", "stripe"])
def test_a_refund_made_in_the_providers_dashboard_is_dead_lettered_once_and_changes_nothing(session, fakes, provider):
    yoo, stripe = fakes
    order, payment = _paid_order(session, fakes, provider=provider)
    if provider == "yookassa":
        made = yoo.dashboard_refund(payment.provider_payment_id, 20000)
        bodies = [(yoo.refund_notification(made["id"]), None)]
    else:
        made = stripe.dashboard_refund(payment.provider_payment_id, 20000)
        bodies = [stripe.refund_event("refund.created", made["id"]), stripe.refund_event("refund.updated", made["id"]),
                  stripe.charge_refunded_event(payment.provider_payment_id, with_refunds=True)]
    # when the provider tells of it (Stripe in three events), each delivered twice
    outcomes = [deliver(session, provider, body, headers) for body, headers in bodies for _ in range(2)]
    assert outcomes == ["processed", "duplicate"] * len(bodies)
    # then one dead letter and one alert name it; the order, the payment and the refunds are untouched
    session.expire_all()
    [letter] = session.exec(select(DeadLetter)).all()
    assert (letter.kind, letter.reason, letter.reference) == ("refund", "payment.refund_unknown", made["id"])
    assert _count(session, Outbox, Outbox.kind == "payment_refund_unknown") == 1
    assert session.get(Order, order.id).refunded_minor == 0 and session.get(Order, order.id).status == "paid"
    assert session.get(Payment, payment.id).refunded_minor == 0 and _count(session, Refund) == 0
    # and the backoffice lists it for the order, offering no refund of it
    [item] = list_payment_letters(session, actor=make_staff(session, "manager").actor())
    assert (item.order_id, item.refundable, item.can_apply) == (order.id, False, False)


# --------------------------------------------------------------------------- PostgreSQL, at once

@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_yookassa_refund_notice_delivered_three_times_at_once_confirms_once(engine, session, fakes):
    yoo, _ = fakes
    order, _ = _paid_order(session, fakes)
    refund = _refund_sent(session, order)
    yoo.settle_refund(refund.provider_refund_id)
    body = yoo.refund_notification(refund.provider_refund_id)

    results = run_at_once(engine, [lambda s: deliver(s, "yookassa", body)] * 3)
    # (which delivery applies it varies: the one that stored it, or a twin that claimed it first)
    assert [outcome for outcome, _ in results] == ["ok"] * 3, results
    assert sorted(value for _, value in results).count("processed") <= 1, results
    assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
@pytest.mark.parametrize("ending", ["succeeded", "failed"])
def test_stripe_events_and_reconciliation_settling_one_refund_at_once_settle_it_once(engine, session, fakes, ending):
    _, stripe = fakes
    order, payment = _paid_order(session, fakes, provider="stripe")
    refund = _refund_sent(session, order)
    stripe.settle_refund(refund.provider_refund_id, ending)
    events = [stripe.refund_event("refund.updated" if ending == "succeeded" else "refund.failed", refund.provider_refund_id),
              stripe.refund_event("charge.refund.updated", refund.provider_refund_id)]
    calls = [lambda s, e=e: deliver(s, "stripe", *e) for e in events for _ in range(2)]
    calls.append(lambda s: reconcile_pending(s, now=utcnow() + LATER, settings=settings()).refunds_done)

    results = run_at_once(engine, calls)
    assert [outcome for outcome, _ in results] == ["ok"] * 5, results
    if ending == "succeeded":
        assert _state(session, order.id, refund.id) == ("succeeded", 50000, 1, 1)
        assert _count(session, DeadLetter) == 0
    else:  # released once: the payment's reservation is back to nothing, one dead letter, one alert
        assert _state(session, order.id, refund.id) == ("failed", 0, 0, 0)
        session.expire_all()
        assert session.get(Payment, payment.id).refunded_minor == 0
        assert _count(session, DeadLetter, DeadLetter.reason == "payment.refund_failed") == 1
        assert _count(session, Outbox, Outbox.kind == "payment_refund_failed") == 1


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_dashboard_refund_told_by_three_events_at_once_is_dead_lettered_once(engine, session, fakes):
    _, stripe = fakes
    order, payment = _paid_order(session, fakes, provider="stripe")
    made = stripe.dashboard_refund(payment.provider_payment_id, 20000)
    events = [stripe.refund_event("refund.created", made["id"]), stripe.refund_event("refund.updated", made["id"]),
              stripe.charge_refunded_event(payment.provider_payment_id, with_refunds=True)]

    results = run_at_once(engine, [lambda s, e=e: deliver(s, "stripe", *e) for e in events])
    assert [value for _, value in results] == ["processed"] * 3, results
    assert _count(session, DeadLetter) == 1
    assert _count(session, Outbox, Outbox.kind == "payment_refund_unknown") == 1


def order_payment_intent(session, order_id: int) -> str:
    pid = session.exec(select(Payment.provider_payment_id).where(Payment.order_id == order_id)).one()
    session.rollback()
    return pid


def refund_intent(session, refund: Refund) -> str:
    return order_payment_intent(session, refund.order_id)
