"""Auto-cancel never cancels money on its way: a transfer screenshot waiting for staff, a provider
payment the provider may still confirm, money received but not credited. The customer sees until
when the order waits (shop time) and, once cancelled, why; a reopened order keeps the screenshot."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from smo_app.models.base import utcnow
from smo_app.models.orders import Order
from smo_app.models.shop import ShopSetting
from smo_app.services.core import shop_locale
from smo_app.services.core.errors import DomainError
from smo_app.services.payments.admin import list_payments
from smo_app.services.payments.core import apply_provider_payment, pay_by_local, payment_view, start_payment
from smo_app.services.payments.manual import decide_manual_payment, submit_proof
from smo_app.services.sales import orders
from tests.factories import make_staff
from tests.payments_support import customer_of, fakes, order_for, settings, shop  # noqa: F401 (fixture)
from tests.race import run_at_once
from zoneinfo import ZoneInfo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _status(session, order_id) -> str:
    session.expire_all()
    status = session.get(Order, order_id).status
    session.rollback()
    return status


def test_an_order_with_a_screenshot_waiting_survives_the_auto_cancel_job(session):
    # given an order placed 16 minutes ago (auto-cancel after 15) whose customer sent a screenshot
    vid, customer = shop(session)
    order = order_for(session, vid, customer, now=utcnow() - timedelta(minutes=16))
    lazy = order_for(session, vid, customer, now=utcnow() - timedelta(minutes=16))
    submit_proof(session, actor=customer_of(order), order_id=order.id, filename="pay.png", content=PNG, settings=settings())
    # when the auto-cancel job runs
    cancelled = orders.auto_cancel_unpaid(session)
    # then the order with the screenshot still waits; the one without any payment is cancelled
    assert cancelled == [lazy.id]
    assert _status(session, order.id) == "new"
    # and the customer reopening the order sees the screenshot under review, not a deadline
    view = payment_view(session, actor=customer_of(order), order_id=order.id, settings=settings())
    assert view.proof_waiting is not None and view.proof_waiting.proof == "waiting"
    assert view.pay_by is None
    # and staff's Payments list says the screenshot is under review
    admin = make_staff(session, "admin").actor()
    [row] = list_payments(session, actor=admin, order_id=order.id)
    assert (row.status, row.proof) == ("pending", "waiting")


def test_a_rejected_screenshot_lets_the_clock_run_again(session):
    vid, customer = shop(session)
    order = order_for(session, vid, customer, now=utcnow() - timedelta(minutes=16))
    sent = submit_proof(session, actor=customer_of(order), order_id=order.id, filename="pay.png", content=PNG,
                        settings=settings())
    manager = make_staff(session, "manager").actor()
    decide_manual_payment(session, actor=manager, payment_id=sent.id, accept=False, note="no money arrived")
    assert orders.auto_cancel_unpaid(session) == [order.id]


def test_a_pending_provider_payment_and_money_not_credited_survive_the_auto_cancel_job(session, fakes):
    vid, customer = shop(session)
    old = utcnow() - timedelta(minutes=16)
    pending = order_for(session, vid, customer, now=old)
    start_payment(session, actor=customer_of(pending), order_id=pending.id, provider="yookassa", settings=settings())
    # money that came with a different sum: not credited, staff decide — the order must still be there
    odd = order_for(session, vid, customer, now=old)
    paid = start_payment(session, actor=customer_of(odd), order_id=odd.id, provider="stripe", settings=settings())
    from integrations.ports.payment import ProviderPayment
    out = apply_provider_payment(session, provider="stripe", fact=ProviderPayment(
        provider="stripe", id=paid.provider_payment_id, status="succeeded", amount_minor=paid.amount_minor - 1,
        currency="RUB", payment_id=paid.id, order_id=odd.id))
    session.commit()
    assert out.outcome == "dead"
    # when the job runs
    assert orders.auto_cancel_unpaid(session) == []
    assert _status(session, pending.id) == "new" and _status(session, odd.id) == "new"


def test_the_customer_sees_until_when_to_pay_in_the_shop_time_zone(session):
    # given a shop in Vladivostok (UTC+10) and an order placed at 23:55 UTC
    session.add(ShopSetting(key="shop_timezone", value="Asia/Vladivostok"))
    session.commit()
    shop_locale.invalidate()
    vid, customer = shop(session)
    placed = datetime(2026, 3, 1, 23, 55, tzinfo=timezone.utc)
    order = order_for(session, vid, customer, now=placed)
    # when the customer opens it 5 minutes later
    view = payment_view(session, actor=customer_of(order), order_id=order.id, settings=settings(),
                        now=placed + timedelta(minutes=5))
    shop_locale.invalidate()
    # then: pay by 10:10 local (the next morning there), 10 minutes left
    assert view.pay_by_local == "10:10" and view.minutes_left == 10
    assert pay_by_local(placed, placed - timedelta(days=1), ZoneInfo("Asia/Vladivostok")) == "02.03 09:55"


def test_a_screenshot_for_an_order_cancelled_meanwhile_is_refused(session):
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    orders.cancel_order(session, actor=customer_of(order), order_id=order.id)
    with pytest.raises(DomainError) as err:
        submit_proof(session, actor=customer_of(order), order_id=order.id, filename="pay.png", content=PNG,
                     settings=settings())
    assert err.value.code == "payment.order_not_payable"


def test_a_screenshot_racing_the_auto_cancel_job_never_leaves_a_proof_on_a_cancelled_order(engine, session):
    """Each round: the job and an upload at once on separate connections. Either the order waits
    with the screenshot, or it is cancelled and the upload refused — never a proof on a cancelled order."""
    vid, customer = shop(session)
    for _ in range(4):
        order = order_for(session, vid, customer, now=utcnow() - timedelta(minutes=16))
        start_payment(session, actor=customer_of(order), order_id=order.id, provider="manual", settings=settings())
        actor = customer_of(order)
        [(job_outcome, cancelled), (sent, _)] = run_at_once(engine, [
            lambda s: orders.auto_cancel_unpaid(s),
            lambda s: submit_proof(s, actor=actor, order_id=order.id, filename="p.png", content=PNG,
                                   settings=settings())])
        status = _status(session, order.id)
        assert job_outcome == "ok"
        assert (status, sent) in (("new", "ok"), ("cancelled", "payment.order_not_payable"))
        assert (order.id in cancelled) == (status == "cancelled")
