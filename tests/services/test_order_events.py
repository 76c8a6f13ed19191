"""Order transitions publish domain events: a failing ledger subscriber undoes the whole move;
allowed_actions reads the transition table for each role and status."""
import pytest
from sqlmodel import select

from smo_app.models.customer import Customer
from smo_app.models.loyalty import LoyaltyEntry
from smo_app.models.orders import Order, OrderEvent, OrderStatus as S
from smo_app.models.outbox import Outbox
from smo_app.models.promotions import GiftCertificate
from smo_app.models.staff import Role
from smo_app.models.stock import StockMove
from smo_app.services.core.actor import Actor
from smo_app.services.sales import events, orders, promotions
from tests.commerce_factories import SYSTEM, make_product, place, qty_of, variant_id
from tests.factories import make_customer, make_staff


@pytest.fixture
def boom():
    """Subscribe a ledger subscriber that fails; removed after the test."""
    keys = []

    def add(pattern):
        def fail(session, event):
            raise RuntimeError(f"ledger down on {event.name}")

        events.subscribe(pattern, fail, key=f"test.boom.{pattern}")
        keys.append(f"test.boom.{pattern}")

    yield add
    for key in keys:
        events.unsubscribe(key)


def _snapshot(session, order_id):
    session.expire_all()
    return {
        "status": session.get(Order, order_id).status,
        "events": len(session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id)).all()),
        "moves": len(session.exec(select(StockMove)).all()),
        "loyalty": len(session.exec(select(LoyaltyEntry)).all()),
        "balances": sorted(session.exec(select(Customer.bonus_balance_minor)).all()),
        "outbox": len(session.exec(select(Outbox)).all()),
        "certs": sorted(session.exec(select(GiftCertificate.status)).all()),
    }


def test_a_subscriber_that_raises_rolls_back_the_whole_cancel(session, boom):
    # given a new order that spent bonuses, and a ledger subscriber to "order.cancelled" that fails
    vid = variant_id(make_product(session, qty=10))
    customer = make_customer(session)
    from smo_app.services.customers import loyalty
    loyalty.adjust_bonuses(session, actor=SYSTEM, customer_id=customer.id, delta_minor=5000, note="gift")
    order = place(session, customer.id, {vid: 2}, bonus_minor=5000)
    before = _snapshot(session, order.id)
    boom("order.cancelled")
    # when staff cancel it
    with pytest.raises(RuntimeError, match="ledger down"):
        orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="changed mind")
    # then nothing changed: status, events, stock, bonuses, messages
    assert _snapshot(session, order.id) == before
    assert qty_of(session, vid) == 8 and before["status"] == "new"


def test_a_subscriber_that_raises_rolls_back_the_payment_with_its_certificate_and_reward(session, boom):
    # given a friend's order paid partly with a certificate, and a failing subscriber to "order.paid"
    vid = variant_id(make_product(session, qty=10))
    inviter = make_customer(session)
    friend = make_customer(session, inviter_id=inviter.id)
    promotions.create_certificate(session, actor=SYSTEM, face_minor=10000, code="GIFT-EV")
    order = place(session, friend.id, {vid: 1}, certificate_code="GIFT-EV")
    before = _snapshot(session, order.id)
    boom("order.paid")
    # when the payment is confirmed
    with pytest.raises(RuntimeError):
        orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    # then the order is still new, the certificate still reserved, the inviter not rewarded
    assert _snapshot(session, order.id) == before
    assert before["certs"] == ["reserved"]


def test_each_transition_publishes_one_named_event_with_its_details(session):
    # given a subscriber that records what it is told
    seen = []
    events.subscribe("order.*", lambda s, e: seen.append((e.name, e.from_status, e.to_status, e.actor.name,
                                                          e.reason)), key="test.recorder")
    try:
        vid = variant_id(make_product(session, qty=10))
        order = place(session, make_customer(session).id, {vid: 1})
        # when the order is paid, processed, moved back, and cancelled
        for to, reason in ((S.paid, None), (S.processing, None), (S.paid, "wrong box"), (S.cancelled, "no stock")):
            orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=to, reason=reason)
    finally:
        events.unsubscribe("test.recorder")
    # then one event per move, the back move under its own name
    assert seen == [("order.paid", "new", "paid", SYSTEM.name, None),
                    ("order.processing", "paid", "processing", SYSTEM.name, None),
                    ("order.moved_back", "processing", "paid", SYSTEM.name, "wrong box"),
                    ("order.cancelled", "paid", "cancelled", SYSTEM.name, "no stock")]


def _actions(actor, order):
    return [(a.action, a.to_status, a.needs_reason, a.needs_confirmation) for a in orders.allowed_actions(actor, order)]


def test_allowed_actions_follow_the_table_for_each_role_and_status(session):
    # given a manager, a seller, the buyer and another customer, and a new order
    vid = variant_id(make_product(session, qty=10))
    buyer = make_customer(session)
    order = place(session, buyer.id, {vid: 1})
    manager = make_staff(session, Role.manager)
    seller = make_staff(session, Role.seller)
    as_manager = Actor.staff(manager.id, Role.manager)
    # then from "new": staff may take payment or cancel (with a reason); the buyer may only cancel
    assert _actions(as_manager, order) == [("pay", "paid", False, False), ("cancel", "cancelled", True, True)]
    assert _actions(Actor.customer(buyer.id), order) == [("cancel", "cancelled", False, True)]
    assert _actions(Actor.customer(buyer.id + 1000), order) == []
    assert _actions(Actor.staff(seller.id, Role.seller), order) == []
    # and from "processing": forward, back (with a reason) and cancel; the buyer nothing
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    processing = orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=S.processing)
    assert _actions(as_manager, processing) == [("back", "paid", True, True), ("ship", "shipped", False, False),
                                                ("cancel", "cancelled", True, True)]
    assert _actions(Actor.customer(buyer.id), processing) == []
    # and a final status offers nothing to anyone
    done = orders.cancel_order(session, actor=SYSTEM, order_id=order.id)
    assert _actions(as_manager, done) == [] == _actions(SYSTEM, done)
    # and every action offered from "new" is one the service accepts
    for action in orders.allowed_actions(as_manager, place(session, buyer.id, {vid: 1})):
        fresh = place(session, buyer.id, {vid: 1})
        moved = orders.transition(session, actor=as_manager, order_id=fresh.id, to_status=action.to_status)
        assert moved.status == action.to_status
