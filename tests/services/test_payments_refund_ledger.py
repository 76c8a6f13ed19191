"""Refunds move the order's money and the loyalty ledger when the provider confirms them, exactly once:
the order keeps its breakdown and gains a refunded amount; spent bonuses come back and cashback, the
inviter's lifetime share and (on a full refund) the first-order reward are taken back, each in the
refunded share, cumulatively rounded down, never below zero; analytics count the refunds.

Figures by hand (shop defaults: cashback 7 %, inviter's lifetime share 5 %, first-order reward 300.00):
three items at 1000.00, 300.00 paid with bonuses → total 2700.00 paid by card; cashback 189.00;
the inviter's share 135.00."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from integrations.ports.payment import ProviderPayment
from smo_app.models.audit import AuditEntry
from smo_app.models.customer import Customer
from smo_app.models.loyalty import LoyaltyEntry, LoyaltyKind
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.payments import Payment, Refund
from smo_app.services.analytics import abc, pnl, revenue
from smo_app.services.core.actor import Actor
from smo_app.services.customers import loyalty
from smo_app.services.messaging.outbox_tasks import Task
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment, start_payment
from smo_app.services.payments.refunds import confirm_refund, refund_payment, run_refund_task
from smo_app.services.sales import orders
from tests.commerce_factories import SYSTEM, place, qty_of
from tests.db_support import run_at_once
from tests.factories import make_customer, make_staff
from tests.payments_support import settings, shop, use_fakes

TOTAL, BONUS, CASHBACK, SHARE, REWARD = 270000, 30000, 18900, 13500, 30000
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def fakes():
    yoo, stripe = use_fakes()
    yield yoo, stripe
    providers.reset_ports()


def _balance(session, customer_id: int) -> int:
    session.expire_all()
    balance = session.get(Customer, customer_id).bonus_balance_minor
    assert balance == loyalty.ledger_sum(session, customer_id)  # the cache always equals the ledger
    return balance


def _sum(session, order_id: int, kind: LoyaltyKind) -> int:
    return session.exec(select(func.coalesce(func.sum(LoyaltyEntry.amount_minor), 0)).where(
        LoyaltyEntry.order_id == order_id, LoyaltyEntry.kind == kind.value)).one()


def _paid_order(session, fakes, *, provider: str = "yookassa", now=None, bonus: int = BONUS):
    """An invited buyer with 300.00 of bonuses pays an order of three items (2700.00 after bonuses)."""
    yoo, _ = fakes
    vid, inviter = shop(session)
    buyer = make_customer(session, inviter_id=inviter.id)
    loyalty.post_entry(session, actor=SYSTEM, customer_id=buyer.id, kind=LoyaltyKind.manual, amount_minor=bonus)
    session.commit()
    order = place(session, buyer.id, {vid: 3}, bonus_minor=bonus, **({"now": now} if now else {}))
    assert (order.total_minor, order.bonus_minor) == (TOTAL + BONUS - bonus, bonus)
    payment = start_payment(session, actor=Actor.customer(buyer.id), order_id=order.id, provider=provider,
                            settings=settings())
    if provider == "yookassa":
        yoo.pay(payment.provider_payment_id)
    fact = ProviderPayment(provider=provider, id=payment.provider_payment_id or f"manual-{payment.id}",
                           status="succeeded", amount_minor=payment.amount_minor, currency=payment.currency,
                           payment_id=payment.id, order_id=order.id)
    assert apply_provider_payment(session, provider=provider, fact=fact, now=now).outcome == "paid"
    session.commit()
    assert _balance(session, inviter.id) == REWARD
    return vid, order, payment, buyer, inviter


def _complete(session, order_id: int) -> None:
    for status in ("processing", "shipped", "delivered", "completed"):
        orders.transition(session, actor=SYSTEM, order_id=order_id, to_status=status)


def _provider_confirms(session, refund_id: int) -> None:
    run_refund_task(session, Task(id=refund_id, kind="payment.refund", payload={"refund_id": refund_id}, attempts=1))
    session.commit()


def test_partial_refunds_of_a_completed_order_take_back_their_share_and_the_last_one_all_of_it(session, fakes):
    # given a completed order: cashback credited to the buyer, the lifetime share to the inviter
    _, order, payment, buyer, inviter = _paid_order(session, fakes)
    _complete(session, order.id)
    assert (_balance(session, buyer.id), _balance(session, inviter.id)) == (CASHBACK, REWARD + SHARE)
    admin = make_staff(session, "admin").actor()
    # when a third is refunded: nothing moves until the provider confirms it
    first = refund_payment(session, actor=admin, order_id=order.id, amount_minor=90000, reason="one item damaged")
    session.expire_all()
    assert session.get(Order, order.id).refunded_minor == 0 and _balance(session, buyer.id) == CASHBACK
    _provider_confirms(session, first.id)
    # then the order shows 900.00 refunded, a third of the bonuses is back, a third of cashback and share taken
    row = session.get(Order, order.id)
    assert (row.status, row.total_minor, row.bonus_minor, row.refunded_minor) == ("completed", TOTAL, BONUS, 90000)
    assert _balance(session, buyer.id) == CASHBACK + 10000 - 6300
    assert _balance(session, inviter.id) == REWARD + SHARE - 4500
    assert session.get(Refund, first.id).order_minor == 90000
    # when the provider's confirmation comes again, nothing moves twice
    _provider_confirms(session, first.id)
    assert confirm_refund(session, refund_id=first.id) is False
    session.commit()
    assert _balance(session, buyer.id) == CASHBACK + 10000 - 6300
    # when 1000.00 more is refunded: cumulative shares of 1900.00 of 2700.00, rounded down
    second = refund_payment(session, actor=admin, order_id=order.id, amount_minor=100000, reason="second item")
    _provider_confirms(session, second.id)
    assert (_sum(session, order.id, LoyaltyKind.refund_bonus), _sum(session, order.id, LoyaltyKind.refund_cashback),
            _sum(session, order.id, LoyaltyKind.refund_referral)) == (21111, -13300, -9500)
    # when the rest is refunded
    rest = refund_payment(session, actor=admin, order_id=order.id, reason="customer returned the rest")
    _provider_confirms(session, rest.id)
    # then all of it: every spent bonus back, no cashback and no reward left, the order stays completed
    row = session.get(Order, order.id)
    assert (row.status, row.refunded_minor, row.total_minor - row.refunded_minor) == ("completed", TOTAL, 0)
    assert _sum(session, order.id, LoyaltyKind.refund_bonus) == BONUS
    assert _sum(session, order.id, LoyaltyKind.refund_cashback) == -CASHBACK
    assert _sum(session, order.id, LoyaltyKind.refund_referral) == -SHARE
    assert _sum(session, order.id, LoyaltyKind.referral_reversal) == -REWARD
    assert (_balance(session, buyer.id), _balance(session, inviter.id)) == (BONUS, 0)
    # and each confirmation is audited with what it moved; the buyer is told each time
    done = session.exec(select(AuditEntry).where(AuditEntry.action == "payment.refund_done")
                        .order_by(AuditEntry.id)).all()
    assert [(d.after["order_refunded_minor"], d.after["bonus_back_minor"], d.after["cashback_back_minor"])
            for d in done] == [(90000, 10000, 6300), (190000, 11111, 7000), (TOTAL, 8889, 5600)]
    assert done[-1].after["reward_reversed"] is True and done[0].note == "one item damaged"
    assert len(session.exec(select(Outbox).where(Outbox.kind == "payment_refund")).all()) == 3


def test_cashback_already_spent_is_taken_back_only_down_to_zero_and_caught_up_later(session, fakes):
    # given a completed order of 3000.00 paid without bonuses (cashback 210.00), 160.00 of which is spent
    _, order, _, buyer, _ = _paid_order(session, fakes, bonus=0)
    _complete(session, order.id)
    assert _balance(session, buyer.id) == 21000
    loyalty.post_entry(session, actor=SYSTEM, customer_id=buyer.id, kind=LoyaltyKind.manual, amount_minor=-16000)
    session.commit()
    admin = make_staff(session, "admin").actor()
    # when half is refunded (105.00 of cashback due back, 50.00 left on the balance)
    half = refund_payment(session, actor=admin, order_id=order.id, amount_minor=150000, reason="half")
    _provider_confirms(session, half.id)
    # then only what is there is taken: the balance is zero, never below
    assert (_balance(session, buyer.id), _sum(session, order.id, LoyaltyKind.refund_cashback)) == (0, -5000)
    # when the buyer earns 30.00 elsewhere and the rest is refunded
    loyalty.post_entry(session, actor=SYSTEM, customer_id=buyer.id, kind=LoyaltyKind.manual, amount_minor=3000)
    session.commit()
    rest = refund_payment(session, actor=admin, order_id=order.id, reason="the rest")
    _provider_confirms(session, rest.id)
    # then what is missing is caught up as far as the balance allows, and never more than was credited
    assert (_balance(session, buyer.id), _sum(session, order.id, LoyaltyKind.refund_cashback)) == (0, -8000)
    assert session.get(Order, order.id).refunded_minor == 300000


def test_a_refund_before_the_order_closes_keeps_that_share_of_the_cashback_from_being_earned(session, fakes):
    # given a paid order a third of which is refunded before it is completed
    _, order, _, buyer, inviter = _paid_order(session, fakes)
    admin = make_staff(session, "admin").actor()
    refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=90000, reason="one item missing")
    _provider_confirms(session, refund.id)
    assert session.get(Order, order.id).status == "paid" and _balance(session, buyer.id) == 10000
    # when the order is completed
    _complete(session, order.id)
    # then cashback and share are earned on what was paid and the refunded third goes back at once
    assert _balance(session, buyer.id) == 10000 + CASHBACK - 6300
    assert _balance(session, inviter.id) == REWARD + SHARE - 4500
    texts = session.exec(select(Outbox.payload).where(Outbox.kind == "cashback")).all()
    assert len(texts) == 1 and "126" in texts[0]["text"]  # the message tells what is left: 126.00


@pytest.mark.parametrize("provider", ["yookassa", "manual"])
def test_a_full_refund_of_a_paid_order_cancels_it_and_gives_bonuses_back_once(session, fakes, provider):
    vid, order, payment, buyer, inviter = _paid_order(session, fakes, provider=provider)
    admin = make_staff(session, "admin").actor()
    # when the whole payment is refunded (a manual transfer is refunded by hand: confirmed at once)
    refund = refund_payment(session, actor=admin, order_id=order.id, reason="out of stock")
    if provider != "manual":
        _provider_confirms(session, refund.id)
    # then the order is cancelled with its stock back, refunded in full, bonuses back once, reward taken once
    session.expire_all()
    row = session.get(Order, order.id)
    assert (row.status, row.refunded_minor) == ("cancelled", TOTAL) and qty_of(session, vid) == 1000
    given_back = _sum(session, order.id, LoyaltyKind.spend_rollback) + _sum(session, order.id, LoyaltyKind.refund_bonus)
    assert given_back == BONUS and _balance(session, buyer.id) == BONUS
    assert _sum(session, order.id, LoyaltyKind.referral_reversal) == -REWARD and _balance(session, inviter.id) == 0


def test_a_payment_never_credited_is_refunded_without_touching_the_order(session, fakes):
    yoo, _ = fakes
    vid, customer = shop(session)
    order = place(session, customer.id, {vid: 1})
    payment = start_payment(session, actor=Actor.customer(customer.id), order_id=order.id, provider="yookassa",
                            settings=settings())
    orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="auto")
    yoo.pay(payment.provider_payment_id)
    apply_provider_payment(session, provider="yookassa", fact=ProviderPayment(
        provider="yookassa", id=payment.provider_payment_id, status="succeeded", amount_minor=payment.amount_minor,
        currency="RUB", payment_id=payment.id, order_id=order.id))
    session.commit()
    refund = refund_payment(session, actor=make_staff(session, "admin").actor(), order_id=order.id, reason="late")
    _provider_confirms(session, refund.id)
    assert session.get(Refund, refund.id).status == "succeeded" and session.get(Refund, refund.id).order_minor == 0
    assert session.get(Order, order.id).refunded_minor == 0


def test_stars_refunds_come_off_the_order_in_proportion_and_add_up_to_its_total(session, fakes):
    # given an order of 1000.00 credited by a Telegram Stars payment of 770 stars
    vid, customer = shop(session)
    order = place(session, customer.id, {vid: 1})
    payment = Payment(order_id=order.id, provider="stars", provider_payment_id="charge-1", idempotency_key="stars-1",
                      amount_minor=770, currency="XTR", status="succeeded")
    session.add(payment)
    session.commit()
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    admin = make_staff(session, "admin").actor()
    # when 333 stars and then the other 437 are refunded and confirmed
    parts = []
    for amount in (333, None):
        refund = refund_payment(session, actor=admin, order_id=order.id, amount_minor=amount, reason="stars")
        assert confirm_refund(session, refund_id=refund.id) is True
        session.commit()
        parts.append(session.get(Refund, refund.id).order_minor)
    # then the order's refunds are ⌊100000 × 333 / 770⌋ and the rest: exactly the total
    assert parts == [100000 * 333 // 770, 100000 - 100000 * 333 // 770]
    assert session.get(Order, order.id).refunded_minor == 100000


def test_the_database_refuses_an_order_refunded_above_its_total(session, fakes):
    vid, customer = shop(session)
    order = place(session, customer.id, {vid: 1})
    with pytest.raises(IntegrityError):
        session.execute(update(Order).where(Order.id == order.id).values(refunded_minor=order.total_minor + 1))
        session.flush()
    session.rollback()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_refunds_confirmed_at_once_and_twice_each_move_the_ledger_once(engine, session, fakes):
    # given a completed order and two refunds waiting for the provider (1000.00 and 500.00)
    _, order, _, buyer, inviter = _paid_order(session, fakes)
    _complete(session, order.id)
    admin = make_staff(session, "admin").actor()
    ids = [refund_payment(session, actor=admin, order_id=order.id, amount_minor=amount, reason="race").id
           for amount in (100000, 50000)]

    def confirm(refund_id):
        def call(s):
            confirm_refund(s, refund_id=refund_id)
            s.commit()
        return call

    # when each confirmation arrives twice, all four at the same moment, on separate connections
    results = run_at_once(engine, [confirm(ids[0]), confirm(ids[1]), confirm(ids[0]), confirm(ids[1])])
    # then the order has 1500.00 refunded and the ledger moved exactly the shares of 1500.00 of 2700.00
    assert results["ok"] == 4
    session.expire_all()
    assert session.get(Order, order.id).refunded_minor == 150000
    assert _sum(session, order.id, LoyaltyKind.refund_bonus) == BONUS * 150000 // TOTAL
    assert _sum(session, order.id, LoyaltyKind.refund_cashback) == -(CASHBACK * 150000 // TOTAL)
    assert _sum(session, order.id, LoyaltyKind.refund_referral) == -(SHARE * 150000 // TOTAL)
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "payment.refund_done")).all()) == 2
    assert _balance(session, buyer.id) == CASHBACK + BONUS * 150000 // TOTAL - CASHBACK * 150000 // TOTAL
    assert _balance(session, inviter.id) == REWARD + SHARE - SHARE * 150000 // TOTAL


def test_revenue_and_pnl_count_a_refund_on_the_shop_day_it_was_confirmed(session, fakes):
    # given an order paid on Nov 10 (shop time) and 900.00 of it refunded on Nov 12
    owner = make_staff(session, "owner").actor()
    placed = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    _, order, _, _, _ = _paid_order(session, fakes, now=placed)
    refund = refund_payment(session, actor=owner, order_id=order.id, amount_minor=90000, reason="damaged",
                            now=datetime(2026, 11, 12, 10, 0, tzinfo=timezone.utc))
    assert confirm_refund(session, refund_id=refund.id, now=datetime(2026, 11, 12, 22, 30, tzinfo=timezone.utc))
    session.commit()
    # when the owner looks at Nov 10–13
    series = revenue.daily_revenue(session, actor=owner, date_from=date(2026, 11, 10), date_to=date(2026, 11, 13),
                                   tz=MSK)
    # then the refund is negative revenue on Nov 13 (22:30 UTC is past midnight in Moscow), in the order's channel
    assert [(d.day.day, d.by_channel["storefront"], d.returns_minor) for d in series.days] == [
        (10, TOTAL, 0), (11, 0, 0), (12, 0, 0), (13, -90000, -90000)]
    summary = pnl.pnl_summary(session, actor=owner, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30), tz=MSK)
    assert (summary.refunds, summary.refunds_minor) == (1, 90000)
    assert summary.revenue_minor == TOTAL - 90000
    # and in ABC the product loses the refunded third of the order: 3 × 1000.00 − 1000.00
    [row] = abc.abc_analysis(session, actor=owner, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30), tz=MSK)
    assert (row.qty, row.revenue_minor) == (3, 300000 - 100000)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_refund_confirmed_while_the_order_is_being_completed_still_takes_its_share_back(engine, session, fakes):
    # given a delivered order and a refund of a third waiting for the provider
    _, order, _, buyer, inviter = _paid_order(session, fakes)
    for status in ("processing", "shipped", "delivered"):
        orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=status)
    refund = refund_payment(session, actor=make_staff(session, "admin").actor(), order_id=order.id,
                            amount_minor=90000, reason="one item damaged")

    def confirm(s):
        confirm_refund(s, refund_id=refund.id)
        s.commit()

    def complete(s):
        orders.transition(s, actor=SYSTEM, order_id=order.id, to_status="completed")

    # when the provider's confirmation and the completion land at the same moment
    assert run_at_once(engine, [confirm, complete])["ok"] == 2
    # then, whichever went first, the refunded third of cashback and share is taken back, once
    assert _sum(session, order.id, LoyaltyKind.refund_cashback) == -6300
    assert _sum(session, order.id, LoyaltyKind.refund_referral) == -4500
    assert _sum(session, order.id, LoyaltyKind.refund_bonus) == 10000
    assert _balance(session, buyer.id) == CASHBACK - 6300 + 10000
    assert _balance(session, inviter.id) == REWARD + SHARE - 4500
