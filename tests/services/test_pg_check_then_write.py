""""Check, then write" rules that must hold when two requests run them at the same moment: a
back-in-stock subscription, "+1" taps on one cart line, a referral reversal racing a bonus spend,
and one Telegram account per staff member.

Each race runs threads on separate connections (PostgreSQL is where it matters: SQLite serialises
writers, and there the same tests check the rule still holds)."""
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import StockSubscription
from smo_app.models.customer import Customer
from smo_app.models.orders import OrderStatus as S
from smo_app.models.staff import Role, Staff
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.customers import loyalty
from smo_app.services.sales import carts, orders
from smo_app.services.staff import accounts as staff_service
from smo_app.services.staff import telegram_link
from smo_app.services.stock import subscriptions
from tests.commerce_factories import SYSTEM, make_product, place, variant_id
from tests.factories import make_customer, make_staff
from tests.race import outcomes, run_at_once

TELEGRAM_ID = 7_123_456_789  # above 2**31, like today's Telegram user ids


def race(engine, session, calls):
    session.rollback()  # the test's own session must not hold SQLite's write lock while the threads run
    return run_at_once(engine, calls)


# --------------------------------------------------------------------------- back in stock

def test_two_notify_me_taps_at_once_subscribe_once_and_say_already_subscribed(engine, session):
    # given a customer looking at a sold-out variant
    vid = variant_id(make_product(session, qty=0))
    customer_id = make_customer(session).id
    me = Actor.customer(customer_id)

    def tap(s):
        return subscriptions.subscribe_back_in_stock(s, actor=me, customer_id=customer_id, variant_id=vid)

    # when "notify me" is tapped four times at the same moment
    results = race(engine, session, [tap] * 4)
    # then one tap subscribed, the others were told "already subscribed", nothing crashed
    assert sorted(results) == [("ok", False)] * 3 + [("ok", True)]
    assert len(session.exec(select(StockSubscription).where(StockSubscription.customer_id == customer_id)).all()) == 1


def test_a_notified_subscription_is_renewed_once_by_taps_at_once(engine, session):
    # given a customer who was already told the variant came back (it sold out again)
    vid = variant_id(make_product(session, qty=0))
    customer_id = make_customer(session).id
    me = Actor.customer(customer_id)
    subscriptions.subscribe_back_in_stock(session, actor=me, customer_id=customer_id, variant_id=vid)
    sub = session.exec(select(StockSubscription)).one()
    sub.notified_at = sa.func.now()
    session.add(sub)
    session.commit()

    def tap(s):
        return subscriptions.subscribe_back_in_stock(s, actor=me, customer_id=customer_id, variant_id=vid)

    # when they tap "notify me" again, twice at once
    results = race(engine, session, [tap] * 2)
    # then the subscription waits again, once
    assert sorted(results) == [("ok", False), ("ok", True)]
    session.expire_all()
    assert session.exec(select(StockSubscription.notified_at)).all() == [None]


# --------------------------------------------------------------------------- cart "+1"

@pytest.mark.parametrize("line_exists", [False, True], ids=["new_line", "existing_line"])
def test_plus_one_tapped_at_once_counts_every_tap(engine, session, line_exists):
    # given a customer with (or without) one unit of a variant in the cart
    vid = variant_id(make_product(session, qty=50))
    customer_id = make_customer(session).id
    me = Actor.customer(customer_id)
    start = 0
    if line_exists:
        carts.add_item(session, actor=me, customer_id=customer_id, variant_id=vid)
        start = 1

    def plus_one(s):
        carts.add_item(s, actor=me, customer_id=customer_id, variant_id=vid)

    # when "+1" is tapped four times at the same moment (two tabs, a double tap)
    results = race(engine, session, [plus_one] * 4)
    # then every tap counted, in one line of one cart
    assert outcomes(results) == {"ok": 4}
    session.expire_all()
    assert session.exec(select(CartItem.qty).join(Cart).where(Cart.customer_id == customer_id)).all() == [start + 4]


# --------------------------------------------------------------------------- referral reversal vs. a spend

def test_cancelling_a_rewarded_order_while_the_inviter_spends_bonuses_never_fails(engine, session, monkeypatch):
    # given an inviter holding the 300 ₽ first-order reward for a friend's paid order
    vid = variant_id(make_product(session, price_minor=100000, qty=10))
    inviter_id = make_customer(session).id
    friend_id = make_customer(session, inviter_id=inviter_id).id
    order = place(session, friend_id, {vid: 1})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    manager = make_staff(session, Role.manager).actor()
    session.expire_all()
    assert session.get(Customer, inviter_id).bonus_balance_minor == 30000
    session.rollback()
    # and a cancellation that has read the inviter's balance waits (up to 1.5 s) for a spend to land
    reading_done, spend_done = threading.Event(), threading.Event()
    real_post_entry = loyalty.post_entry

    def post_entry(s, **kwargs):
        if kwargs.get("kind") == loyalty.LoyaltyKind.referral_reversal:
            reading_done.set()
            spend_done.wait(1.5)
        return real_post_entry(s, **kwargs)

    monkeypatch.setattr(loyalty, "post_entry", post_entry)
    workers = make_engine(engine.url.render_as_string(hide_password=False), pool_size=3)
    results: dict[str, str] = {}

    def run(name, fn):
        try:
            with Session(workers, expire_on_commit=False) as s:
                fn(s)
            results[name] = "ok"
        except DomainError as exc:
            results[name] = exc.code
        except Exception as exc:  # noqa: BLE001 - shown in the assertion
            results[name] = f"crash:{type(exc).__name__}:{exc}"

    def cancel(s):
        orders.transition(s, actor=SYSTEM, order_id=order.id, to_status=S.cancelled, reason="refund")

    def spend(s):
        assert reading_done.wait(10)
        try:
            loyalty.adjust_bonuses(s, actor=manager, customer_id=inviter_id, delta_minor=-20000, note="spent in store")
        finally:
            spend_done.set()

    # when staff cancel the friend's order while the inviter spends 200 ₽ of the reward in the store
    threads = [threading.Thread(target=run, args=("cancel", cancel)), threading.Thread(target=run, args=("spend", spend))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then the cancellation goes through; the spend either came first (and only the rest is taken
    # back) or is refused for want of bonuses; the balance never goes below zero and matches the ledger
    assert results["cancel"] == "ok", results
    assert results["spend"] in ("ok", "bonus.insufficient"), results
    session.expire_all()
    balance = session.get(Customer, inviter_id).bonus_balance_minor
    assert balance == 0 == loyalty.ledger_sum(session, inviter_id)


# --------------------------------------------------------------------------- one Telegram account, one staff member

def test_two_staff_linking_the_same_telegram_account_at_once_link_one(engine, session):
    # given four staff members
    people = [make_staff(session, Role.seller) for _ in range(4)]  # DTOs: safe to read in the threads

    def link(person):
        return lambda s: staff_service.set_telegram_id(s, actor=person.actor(), staff_id=person.id,
                                                       telegram_id=TELEGRAM_ID)

    # when each links the same Telegram account at the same moment
    results = race(engine, session, [link(p) for p in people])
    # then one of them has it and the others are told it is taken
    assert sorted(outcome for outcome, _ in results) == ["ok"] + ["staff.telegram_taken"] * 3
    session.expire_all()
    assert len(session.exec(select(Staff).where(Staff.telegram_id == TELEGRAM_ID)).all()) == 1


def test_a_telegram_account_linked_by_code_and_by_hand_at_once_goes_to_one(engine, session):
    # given a manager with a one-time link code and an owner about to type the same id for herself
    manager = make_staff(session, Role.manager)
    owner = make_staff(session, Role.owner)
    code = telegram_link.create_link_code(session, actor=manager.actor(), bot_username=None)
    results = race(engine, session, [
        lambda s: telegram_link.bind_telegram(s, code=code.code, telegram_id=TELEGRAM_ID),
        lambda s: staff_service.set_telegram_id(s, actor=owner.actor(), staff_id=owner.id, telegram_id=TELEGRAM_ID),
    ])
    # then exactly one of them holds it
    assert sorted(outcome for outcome, _ in results) == ["ok", "staff.telegram_taken"]
    session.expire_all()
    assert len(session.exec(select(Staff).where(Staff.telegram_id == TELEGRAM_ID)).all()) == 1


def test_the_database_refuses_a_second_staff_member_with_the_same_telegram_id(session):
    # given a staff member linked to a Telegram account
    first, second = make_staff(session, Role.seller), make_staff(session, Role.seller)
    staff_service.set_telegram_id(session, actor=first.actor(), staff_id=first.id, telegram_id=TELEGRAM_ID)
    # when the same id is written for another one past the service, then the database refuses
    with pytest.raises(IntegrityError):
        session.execute(sa.update(Staff).where(Staff.id == second.id).values(telegram_id=TELEGRAM_ID))
        session.flush()
    session.rollback()


def test_a_former_employees_telegram_account_can_be_linked_to_a_new_account(session):
    # given a deactivated staff member who had linked their Telegram
    owner = make_staff(session, Role.owner)
    former = make_staff(session, Role.seller)
    staff_service.set_telegram_id(session, actor=former.actor(), staff_id=former.id, telegram_id=TELEGRAM_ID)
    staff_service.set_active(session, actor=owner.actor(), staff_id=former.id, active=False)
    # when they come back under a new account and link the same Telegram
    again = make_staff(session, Role.seller)
    out = staff_service.set_telegram_id(session, actor=again.actor(), staff_id=again.id, telegram_id=TELEGRAM_ID)
    # then the new account has it and the old one no longer does
    assert out.telegram_id == TELEGRAM_ID
    session.expire_all()
    assert session.get(Staff, former.id).telegram_id is None


# --------------------------------------------------------------------------- found in the review

def test_the_same_supplier_created_at_once_is_taken_not_a_crash(engine, session):
    from smo_app.services.stock import supplies

    # when two managers create the supplier "Acme" at the same moment
    results = race(engine, session, [lambda s: supplies.create_supplier(s, actor=SYSTEM, name="Acme")] * 3)
    # then one is created and the others are told the name is taken
    assert sorted(outcome for outcome, _ in results) == ["ok", "supplier.name_taken", "supplier.name_taken"]


def test_an_error_happening_in_several_places_at_once_is_counted_every_time(engine, session):
    from smo_app.models.bot import ErrorReport
    from smo_app.services.messaging import error_reports

    # given an error already reported this hour
    error_reports.note_error(session, key="web|KeyError|x.py:1", summary="KeyError")
    session.commit()

    # when it happens four more times at the same moment
    results = race(engine, session, [
        lambda s: error_reports.note_error(s, key="web|KeyError|x.py:1", summary="KeyError")] * 4)
    # then none is reported again within the hour, and the count says 5
    assert results == [("ok", False)] * 4
    session.expire_all()
    assert session.exec(select(ErrorReport.count)).one() == 5


def test_a_broadcast_started_twice_at_once_starts_once(engine, session):
    from smo_app.models.outbox import Outbox
    from smo_app.services.messaging import broadcasts

    # given three customers and a draft broadcast
    for _ in range(3):
        make_customer(session)
    draft_id = broadcasts.create_broadcast(session, actor=SYSTEM, text="Hello", segment="all").id
    # when "start" is pressed twice at the same moment
    results = race(engine, session, [lambda s: broadcasts.start_broadcast(s, actor=SYSTEM, broadcast_id=draft_id)] * 2)
    # then it starts once (the other press is told it is no longer a draft) and each customer gets one message
    assert sorted(outcome for outcome, _ in results) == ["broadcast.not_draft", "ok"]
    assert len(session.exec(select(Outbox).where(Outbox.broadcast_id == draft_id)).all()) == 3
