"""The backoffice's payments: filters, and payments not credited resolved by credit, refund or
dismissal — once, with a reason, audited; managers only read."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.payments import Payment
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.payments import providers
from smo_app.services.payments.admin import list_payment_letters, list_payments, resolve_payment_letter
from smo_app.services.payments.core import apply_provider_payment, start_payment
from smo_app.services.sales import orders
from tests.commerce_factories import SYSTEM
from tests.factories import make_staff
from tests.payments_support import order_for, settings, shop, use_fakes
from tests.services.test_payments import _paid_fact


@pytest.fixture
def fakes():
    yoo, stripe = use_fakes()
    yield yoo, stripe
    providers.reset_ports()


def _unmatched(session, *, cancel: bool, short: int = 0):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    payment = start_payment(session, actor=Actor.customer(customer.id), order_id=order.id, provider="yookassa",
                            settings=settings())
    if cancel:
        orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="late")
    apply_provider_payment(session, provider="yookassa", fact=_paid_fact(payment, amount_minor=payment.amount_minor - short))
    session.commit()
    return order, payment


def test_a_paid_after_cancel_is_refunded_from_the_dead_letter_once(session, fakes):
    order, payment = _unmatched(session, cancel=True)
    admin = make_staff(session, "admin").actor()
    [item] = list_payment_letters(session, actor=make_staff(session, "manager").actor())
    assert (item.refundable, item.can_apply, item.payment_id) == (True, False, payment.id)
    with pytest.raises(DomainError) as err:
        resolve_payment_letter(session, actor=admin, dead_letter_id=item.letter.id, action="apply", note="try")
    assert err.value.code == "payment.cannot_apply"
    done = resolve_payment_letter(session, actor=admin, dead_letter_id=item.letter.id, action="refund", note="late payment")
    assert done.resolution == "refunded"
    with pytest.raises(DomainError):
        resolve_payment_letter(session, actor=admin, dead_letter_id=item.letter.id, action="refund", note="again")
    session.expire_all()
    assert session.get(Payment, payment.id).status == "refunded"
    assert len(session.exec(select(Outbox).where(Outbox.kind == "payment.refund")).all()) == 1
    assert list_payment_letters(session, actor=admin) == []


def test_an_amount_mismatch_can_be_credited_by_hand_with_a_reason(session, fakes):
    order, payment = _unmatched(session, cancel=False, short=100)
    admin = make_staff(session, "admin").actor()
    [item] = list_payment_letters(session, actor=admin)
    assert item.can_apply
    with pytest.raises(DomainError) as err:
        resolve_payment_letter(session, actor=admin, dead_letter_id=item.letter.id, action="apply", note=" ")
    assert err.value.code == "payment.reason_required"
    with pytest.raises(PermissionDenied):
        resolve_payment_letter(session, actor=make_staff(session, "manager").actor(), dead_letter_id=item.letter.id,
                               action="dismiss", note="no")
    resolve_payment_letter(session, actor=admin, dead_letter_id=item.letter.id, action="apply", note="bank fee, agreed")
    session.expire_all()
    assert session.get(Order, order.id).status == "paid" and session.get(Payment, payment.id).status == "succeeded"
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.action.in_(
        ["payment.credit_by_hand", "dead_letter.resolve"]))).all()
    assert sorted(actions) == ["dead_letter.resolve", "payment.credit_by_hand"]


def test_payments_are_filtered_by_status_method_and_order(session, fakes):
    order, payment = _unmatched(session, cancel=True)
    manager = make_staff(session, "manager").actor()
    assert [p.id for p in list_payments(session, actor=manager, status="unmatched")] == [payment.id]
    assert list_payments(session, actor=manager, provider="stripe") == []
    assert [p.id for p in list_payments(session, actor=manager, order_id=order.id)] == [payment.id]
    with pytest.raises(PermissionDenied):
        list_payments(session, actor=make_staff(session, "seller").actor())
