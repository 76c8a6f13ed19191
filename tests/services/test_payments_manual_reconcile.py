"""Manual transfers (screenshot, staff decide once, audited) and reconciliation with providers
(idempotent with the webhook; expires what waits too long; logged)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.payments import Payment, PaymentProof, ReconciliationRun
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment, start_payment
from smo_app.services.payments.manual import decide_manual_payment, proof_of, submit_proof
from smo_app.services.payments.reconcile import list_runs, reconcile_pending, run_now
from tests.factories import make_staff
from tests.payments_support import order_for, settings, shop, use_fakes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def fakes():
    yoo, stripe = use_fakes()
    yield yoo, stripe
    providers.reset_ports()


def _customer(order) -> Actor:
    return Actor.customer(order.customer_id)


def test_a_screenshot_is_attached_staff_are_told_and_a_manager_confirms_it_once(session):
    vid, customer = shop(session)
    manager = make_staff(session, "manager")
    from smo_app.models.staff import Staff
    row = session.get(Staff, manager.id)
    row.telegram_id = 5_000_000_077
    session.add(row)
    session.commit()
    order = order_for(session, vid, customer)
    # when the customer sends a screenshot (then a better one)
    submit_proof(session, actor=_customer(order), order_id=order.id, filename="pay.png", content=PNG, settings=settings())
    out = submit_proof(session, actor=_customer(order), order_id=order.id, filename="pay2.png", content=PNG + b"2",
                       settings=settings())
    # then one manual payment holds the latest screenshot, and the manager got a Telegram note
    assert out.provider == "manual" and out.status == "pending"
    assert proof_of(session, actor=manager.actor(), payment_id=out.id) == ("pay2.png", "image/png", PNG + b"2")
    assert session.exec(select(func.count()).select_from(Outbox).where(Outbox.kind == "payment_proof")).one() >= 1
    # when the manager confirms it twice
    decided = decide_manual_payment(session, actor=manager.actor(), payment_id=out.id, accept=True)
    with pytest.raises(DomainError) as err:
        decide_manual_payment(session, actor=manager.actor(), payment_id=out.id, accept=True)
    # then the order is paid once, and the decision is audited
    assert decided.outcome == "paid" and err.value.code == "payment.already_decided"
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.exec(select(AuditEntry.action).where(AuditEntry.action == "payment.manual_confirm")).all() == [
        "payment.manual_confirm"]


def test_a_rejection_needs_a_reason_and_bad_files_are_refused(session):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    for content, code in ((b"", "payment.proof_missing"), (b"%PDF-1.4 not an image", "payment.proof_bad_type"),
                          (PNG + b"\x00" * (5 * 1024 * 1024), "payment.proof_too_large")):
        with pytest.raises(DomainError) as err:
            submit_proof(session, actor=_customer(order), order_id=order.id, filename="x", content=content,
                         settings=settings())
        assert err.value.code == code
    assert session.exec(select(func.count()).select_from(Payment)).one() == 0
    session.rollback()
    out = submit_proof(session, actor=_customer(order), order_id=order.id, filename="p.png", content=PNG, settings=settings())
    admin = make_staff(session, "admin").actor()
    with pytest.raises(DomainError) as err:
        decide_manual_payment(session, actor=admin, payment_id=out.id, accept=False, note="  ")
    assert err.value.code == "payment.reason_required"
    with pytest.raises(PermissionDenied):
        decide_manual_payment(session, actor=make_staff(session, "seller").actor(), payment_id=out.id, accept=True)
    decide_manual_payment(session, actor=admin, payment_id=out.id, accept=False, note="no such transfer")
    session.expire_all()
    assert session.get(Payment, out.id).status == "rejected" and session.get(Order, order.id).status == "new"
    assert session.exec(select(PaymentProof.decision_note)).all() == ["no such transfer"]


def test_reconciliation_credits_a_payment_whose_webhook_never_came_and_then_the_webhook_changes_nothing(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = start_payment(session, actor=_customer(order), order_id=order.id, provider="yookassa", settings=settings())
    yoo.pay(payment.provider_payment_id)
    # when the job runs 15 minutes later (twice)
    later = utcnow() + timedelta(minutes=15)
    first = reconcile_pending(session, now=later, settings=settings())
    second = reconcile_pending(session, now=later, settings=settings())
    # then the order is paid once; the late webhook finds nothing to do
    assert (first.checked, first.applied, second.checked) == (1, 1, 0)
    session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    fact = yoo.payments[payment.provider_payment_id]
    from tests.services.test_payments import _paid_fact
    assert apply_provider_payment(session, provider="yookassa", fact=_paid_fact(session.get(Payment, payment.id))).outcome \
        == "already"
    session.rollback()
    assert fact["status"] == "succeeded"


def test_reconciliation_leaves_young_payments_expires_old_ones_and_logs_errors(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    young = order_for(session, vid, customer)
    old = order_for(session, vid, customer, now=utcnow() - timedelta(days=2))
    broken = order_for(session, vid, customer)
    p_young = start_payment(session, actor=_customer(young), order_id=young.id, provider="yookassa", settings=settings())
    p_old = start_payment(session, actor=_customer(old), order_id=old.id, provider="yookassa", settings=settings(),
                          now=utcnow() - timedelta(days=2))
    p_broken = start_payment(session, actor=_customer(broken), order_id=broken.id, provider="stripe", settings=settings(),
                             now=utcnow() - timedelta(hours=1))
    yoo.fail_next(10, 500)  # YooKassa is down for this pass
    out = reconcile_pending(session, settings=settings())
    session.expire_all()
    assert session.get(Payment, p_young.id).status == "pending"
    assert out.checked == 2 and out.errors == 1  # the old YooKassa one could not be asked
    yoo._failures.clear()  # noqa: SLF001 - YooKassa is back
    out = reconcile_pending(session, settings=settings())
    session.expire_all()
    assert session.get(Payment, p_old.id).status == "canceled" and session.get(Payment, p_old.id).failure == "payment.expired"
    assert session.get(Payment, p_broken.id).status == "pending"  # an hour: still within the payment window
    assert session.exec(select(func.count()).select_from(ReconciliationRun)).one() == 2
    session.rollback()
    manager = make_staff(session, "manager").actor()
    assert [r.expired for r in list_runs(session, actor=manager)] == [1, 0]
    with pytest.raises(PermissionDenied):
        run_now(session, actor=manager)


# --------------------------------------------------------------------------- PostgreSQL, at once

@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_screenshots_sent_at_once_make_one_transfer_with_one_screenshot(engine, session):
    # given a new order without any payment yet
    from tests.db_support import run_at_once

    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    # when the customer's phone sends two screenshots at the same moment
    outcomes = run_at_once(engine, [
        lambda s, n=n: submit_proof(s, actor=_customer(order), order_id=order.id, filename=f"pay{n}.png",
                                    content=PNG + bytes([n]), settings=settings()) for n in range(2)])
    # then both are answered, and the order has one manual payment holding one of them
    assert outcomes == {"ok": 2}, outcomes
    session.expire_all()
    [payment] = session.exec(select(Payment).where(Payment.order_id == order.id)).all()
    [proof] = session.exec(select(PaymentProof).where(PaymentProof.payment_id == payment.id)).all()
    assert payment.provider == "manual" and proof.filename in ("pay0.png", "pay1.png")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_screenshot_racing_the_managers_confirmation_never_replaces_a_decided_one(engine, session):
    # given a transfer with a screenshot waiting for the manager
    from tests.db_support import run_at_once

    vid, customer = shop(session)
    manager = make_staff(session, "manager").actor()
    order = order_for(session, vid, customer)
    payment = submit_proof(session, actor=_customer(order), order_id=order.id, filename="first.png", content=PNG,
                           settings=settings())
    # when the manager confirms it while the customer sends another
    outcomes = run_at_once(engine, [
        lambda s: decide_manual_payment(s, actor=manager, payment_id=payment.id, accept=True),
        lambda s: submit_proof(s, actor=_customer(order), order_id=order.id, filename="second.png",
                               content=PNG + b"2", settings=settings())])
    # then the order is paid once; the second screenshot either came before the decision (and is the
    # one decided on) or was refused, never swapped in after it. A refusal is either "already decided"
    # (it locked the payment while the decision held it) or "order not payable" (it started after the
    # decision committed and found the order paid): both are correct interleavings.
    refusals = {"payment.already_decided", "payment.order_not_payable"}
    assert outcomes["ok"] >= 1 and set(outcomes) <= {"ok"} | refusals, outcomes
    assert sum(outcomes.values()) == 2, outcomes
    session.expire_all()
    [proof] = session.exec(select(PaymentProof).where(PaymentProof.payment_id == payment.id)).all()
    assert proof.decided_at is not None and proof.uploaded_at <= proof.decided_at
    assert proof.filename == ("second.png" if outcomes["ok"] == 2 else "first.png")
    assert session.get(Order, order.id).status == "paid"
