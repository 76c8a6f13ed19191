"""Order lifecycle: the transition table, cancel side effects exactly once, auto-cancel, B2B."""
from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderEvent, OrderStatus as S
from smo_app.models.outbox import Outbox
from smo_app.models.promotions import GiftCertificate, PromoCode
from smo_app.models.staff import Role
from smo_app.models.stock import StockMove
from smo_app.services.customers import loyalty
from smo_app.services.sales import orders
from smo_app.services.sales import promotions
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.sales.order_states import TRANSITIONS
from tests.commerce_factories import SYSTEM, make_product, place, qty_of, variant_id
from tests.factories import make_customer, make_staff

PATH = [S.new, S.paid, S.processing, S.shipped, S.delivered, S.completed]


def _walk_to(session, order_id, status):
    for step in PATH[1:PATH.index(status) + 1]:
        orders.transition(session, actor=SYSTEM, order_id=order_id, to_status=step)


@pytest.fixture
def shop(session):
    product = make_product(session, price_minor=100000, qty=10, unit_cost_minor=40000)
    customer = make_customer(session)
    return session, variant_id(product), customer


def test_place_order_takes_stock_empties_cart_and_writes_event_and_outbox(shop):
    session, vid, customer = shop
    # when a customer checks out 3 units
    out = place(session, customer.id, {vid: 3})
    # then the order is new, stock fell by 3 with a sale move, cost comes from the average
    assert out.status == "new" and out.total_minor == 300000 and out.cost_minor == 120000
    assert qty_of(session, vid) == 7
    sale = session.exec(select(StockMove).where(StockMove.kind == "sale")).one()
    assert (sale.delta, sale.qty_after, sale.order_id) == (-3, 7, out.id)
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == out.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "new")]
    assert session.exec(select(Outbox.kind).where(Outbox.customer_id == customer.id)).all() == ["order_placed"]
    with pytest.raises(DomainError) as err:
        orders.place_order(session, actor=Actor.customer(customer.id), customer_id=customer.id)
    assert err.value.code == "cart.empty"


def test_same_client_ref_twice_keeps_one_order(shop):
    session, vid, customer = shop
    first = place(session, customer.id, {vid: 1}, client_ref="pos-1-42")
    again = place(session, customer.id, {vid: 1}, client_ref="pos-1-42")
    assert again.id == first.id and qty_of(session, vid) == 9


def test_another_customers_client_ref_never_shows_their_order(shop):
    # given a customer's order placed with a client reference
    session, vid, customer = shop
    first = place(session, customer.id, {vid: 1}, client_ref="sf-abc")
    # when someone else checks out with the same reference
    stranger = make_customer(session)
    with pytest.raises(DomainError) as err:
        place(session, stranger.id, {vid: 1}, client_ref="sf-abc")
    # then they are refused, see nothing of the first order, and no stock moved for them
    assert err.value.code == "order.client_ref_taken"
    assert qty_of(session, vid) == 9 and session.get(Order, first.id).customer_id == customer.id


@pytest.mark.parametrize("from_status", list(S), ids=[s.value for s in S])
def test_every_transition_is_allowed_or_refused_by_the_table(shop, from_status):
    session, vid, customer = shop
    for to_status in S:
        if to_status == from_status:
            continue
        # given an order in from_status
        order = place(session, customer.id, {vid: 1})
        if from_status == S.cancelled:
            orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=S.cancelled)
        else:
            _walk_to(session, order.id, from_status)
        # when staff move it to to_status
        if to_status in TRANSITIONS[from_status]:
            out = orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=to_status, reason="test")
            # then it moved and the move is the last event
            assert out.status == to_status
            assert (out.events[-1].from_status, out.events[-1].to_status, out.events[-1].reason) == (
                from_status.value, to_status.value, "test")
        else:
            with pytest.raises(DomainError) as err:
                orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=to_status)
            # then it is refused and nothing changed
            # (the same status again — a second tap — says the order already is so)
            expected = "order.already_in_status" if from_status == to_status else "order.transition_forbidden"
            assert err.value.code == expected, (from_status, to_status)
            session.expire_all()
            assert session.get(Order, order.id).status == from_status
        if session.get(Order, order.id).status not in ("cancelled", "completed"):
            orders.cancel_order(session, actor=SYSTEM, order_id=order.id)  # keep stock for the next round


def test_customer_may_cancel_own_new_order_only(shop):
    session, vid, customer = shop
    other = make_customer(session)
    order = place(session, customer.id, {vid: 1})
    with pytest.raises(DomainError):
        orders.transition(session, actor=Actor.customer(other.id), order_id=order.id, to_status=S.cancelled)
    with pytest.raises(DomainError):
        orders.transition(session, actor=Actor.customer(customer.id), order_id=order.id, to_status=S.paid)
    out = orders.transition(session, actor=Actor.customer(customer.id), order_id=order.id, to_status=S.cancelled)
    assert out.status == "cancelled" and qty_of(session, vid) == 10


def test_seller_cannot_move_orders_and_staff_moves_are_audited(shop):
    session, vid, customer = shop
    order = place(session, customer.id, {vid: 1})
    seller = make_staff(session, Role.seller).actor()
    with pytest.raises(PermissionDenied):
        orders.transition(session, actor=seller, order_id=order.id, to_status=S.paid)
    manager = make_staff(session, Role.manager).actor()
    orders.transition(session, actor=manager, order_id=order.id, to_status=S.paid)
    orders.transition(session, actor=manager, order_id=order.id, to_status=S.processing)
    orders.transition(session, actor=manager, order_id=order.id, to_status=S.paid, reason="ошибка")
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "order").order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["order.transition", "order.transition", "order.back_move"]


def _setup_rich_order(session, vid, customer):
    """An order using bonuses, a promo and a certificate."""
    loyalty.post_entry(session, actor=SYSTEM, customer_id=customer.id, kind="manual", amount_minor=50000)
    session.commit()
    promotions.create_promo(session, actor=SYSTEM, code="spring10", pct=10, usage_limit=3)
    cert = promotions.create_certificate(session, actor=SYSTEM, face_minor=20000, code="GIFT-200")
    return place(session, customer.id, {vid: 2}, promo_code="SPRING10", certificate_code="gift-200", bonus_minor=30000), cert


@pytest.mark.parametrize("status", [S.new, S.paid, S.processing, S.shipped, S.delivered])
def test_cancel_from_each_open_state_restores_stock_bonuses_promo_and_certificate_exactly_once(shop, status):
    session, vid, customer = shop
    # given an order with bonuses, a promo and a certificate, moved to `status`
    order, cert = _setup_rich_order(session, vid, customer)
    assert order.bonus_minor == 30000 and order.certificate_minor == 20000 and order.discounts["promo"] == 20000
    _walk_to(session, order.id, status)
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 20000
    # when it is cancelled, and cancelled again
    orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="передумал")
    with pytest.raises(DomainError):
        orders.cancel_order(session, actor=SYSTEM, order_id=order.id)
    # then stock, bonuses, promo use and certificate are back, once
    session.expire_all()
    assert qty_of(session, vid) == 10
    restocks = session.exec(select(StockMove).where(StockMove.kind == "restock")).all()
    assert [(m.delta, m.qty_after) for m in restocks] == [(2, 10)]
    c = session.get(Customer, customer.id)
    assert c.bonus_balance_minor == 50000 == loyalty.ledger_sum(session, customer.id)
    assert session.exec(select(PromoCode)).one().used_count == 0
    assert session.get(GiftCertificate, cert.id).status == "active"


def test_cancel_with_write_off_keeps_stock_out_and_logs_both_moves(shop):
    session, vid, customer = shop
    order = place(session, customer.id, {vid: 2})
    orders.cancel_order(session, actor=SYSTEM, order_id=order.id, restock=False, reason="повреждено")
    assert qty_of(session, vid) == 8
    kinds = session.exec(select(StockMove.kind).where(StockMove.order_id == order.id).order_by(StockMove.id)).all()
    assert kinds == ["sale", "restock", "write_off"]


def test_auto_cancel_takes_a_16_minute_old_unpaid_order_and_leaves_a_14_minute_old_one(shop):
    session, vid, customer = shop
    now = utcnow()
    old = place(session, customer.id, {vid: 1}, now=now - timedelta(minutes=16))
    young = place(session, customer.id, {vid: 2}, now=now - timedelta(minutes=14))
    paid = place(session, customer.id, {vid: 3}, now=now - timedelta(minutes=30))
    orders.mark_paid(session, actor=SYSTEM, order_id=paid.id)
    # when the job runs twice
    first = orders.auto_cancel_unpaid(session, now=now)
    second = orders.auto_cancel_unpaid(session, now=now)
    # then only the old unpaid order is cancelled, once, its stock returned and the customer told
    assert first == [old.id] and second == []
    session.expire_all()
    assert session.get(Order, young.id).status == "new" and session.get(Order, paid.id).status == "paid"
    assert qty_of(session, vid) == 10 - 2 - 3
    assert len(session.exec(select(Outbox).where(Outbox.kind == "auto_cancel")).all()) == 1


def test_paid_redeems_certificate_and_completed_credits_cashback_once(shop):
    session, vid, customer = shop
    # given an order for 999.99 ₽ paid by a 0 ₽ certificate-free checkout
    product = make_product(session, price_minor=99999, qty=2)
    order = place(session, customer.id, {variant_id(product): 1})
    _walk_to(session, order.id, S.completed)
    # then 7% cashback rounded down: 69.99 ₽
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 6999
    assert session.exec(select(Outbox.kind).where(Outbox.kind == "cashback")).all() == ["cashback"]


def test_certificate_is_redeemed_on_payment_and_cannot_be_reused(shop):
    session, vid, customer = shop
    cert = promotions.create_certificate(session, actor=SYSTEM, face_minor=50000, code="GIFT-500")
    order = place(session, customer.id, {vid: 1}, certificate_code="GIFT-500")
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    session.expire_all()
    redeemed = session.get(GiftCertificate, cert.id)
    assert redeemed.status == "redeemed" and redeemed.redeemed_by_customer_id == customer.id
    # the certificates list names who redeemed it, not "customer 11"
    owner = make_staff(session, "owner").actor()
    listed = next(c for c in promotions.list_certificates(session, actor=owner) if c.id == cert.id)
    assert listed.redeemed_by_name == customer.full_name and listed.redeemed_by_name
    with pytest.raises(DomainError) as err:
        place(session, customer.id, {vid: 1}, certificate_code="gift-500")
    assert err.value.code == "certificate.used"


def test_referral_reward_after_friends_first_paid_order_above_minimum_and_lifetime_share(shop):
    session, vid, customer = shop
    # given a friend invited by `customer`; reward 300 ₽ for a first order of at least 1000 ₽
    friend = make_customer(session, inviter_id=customer.id)
    first = place(session, friend.id, {vid: 1})
    second = place(session, friend.id, {vid: 1})
    # when both are paid, and the first completed
    orders.mark_paid(session, actor=SYSTEM, order_id=first.id)
    orders.mark_paid(session, actor=SYSTEM, order_id=second.id)
    _walk_to_from(session, first.id, S.paid, S.completed)
    # then the inviter got the reward once plus 5% of the friend's 1000 ₽ (tier for 1 invite)
    session.expire_all()
    inviter = session.get(Customer, customer.id)
    assert inviter.bonus_balance_minor == 30000 + 5000 == loyalty.ledger_sum(session, customer.id)
    assert session.get(Customer, friend.id).bonus_balance_minor == 7000


def test_names_in_notifications_are_escaped_for_telegram_html(shop):
    from smo_app.services.messaging.telegram_html import html_problem

    session, vid, customer = shop
    # given a friend whose Telegram name has characters HTML would misread
    friend = make_customer(session, inviter_id=customer.id, full_name="Tom & <Jerry>")
    order = place(session, friend.id, {vid: 1})
    # when the friend's first order is paid
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    # then the inviter's message shows the name safely and stays valid Telegram HTML
    reward = session.exec(select(Outbox).where(Outbox.customer_id == customer.id,
                                               Outbox.kind == "referral_reward")).one()
    assert "Tom &amp; &lt;Jerry&gt;" in reward.payload["text"]
    assert reward.payload["parse_mode"] == "HTML" and html_problem(reward.payload["text"]) is None


def test_cancelling_the_rewarded_order_takes_the_referral_reward_back_once(shop):
    session, vid, customer = shop
    # given a friend whose first paid order earned the inviter 300 ₽ of bonuses
    friend = make_customer(session, inviter_id=customer.id)
    order = place(session, friend.id, {vid: 1})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 30000
    # when staff cancel that order (twice, to be sure)
    orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=S.cancelled, reason="refund")
    with pytest.raises(DomainError):
        orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=S.cancelled)
    # then the reward is taken back once, the inviter is told, and the ledger agrees
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 0 == loyalty.ledger_sum(session, customer.id)
    texts = session.exec(select(Outbox.payload).where(Outbox.customer_id == customer.id)).all()
    assert sum("отменён" in p["text"] and "списан" in p["text"] for p in texts) == 1


def test_reward_reversal_never_takes_the_balance_below_zero(shop):
    session, vid, customer = shop
    # given the inviter already spent 200 of the 300 ₽ reward
    friend = make_customer(session, inviter_id=customer.id)
    order = place(session, friend.id, {vid: 1})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    manager = make_staff(session, Role.manager).actor()
    loyalty.adjust_bonuses(session, actor=manager, customer_id=customer.id, delta_minor=-20000, note="spent in store")
    # when the friend's order is cancelled
    orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=S.cancelled)
    # then only what is left is taken back and the balance stays at zero
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 0 == loyalty.ledger_sum(session, customer.id)


def _walk_to_from(session, order_id, start, status):
    for step in PATH[PATH.index(start) + 1:PATH.index(status) + 1]:
        orders.transition(session, actor=SYSTEM, order_id=order_id, to_status=step)


def test_b2b_order_writes_off_stock_and_costs_at_average_purchase_price(shop):
    session, vid, customer = shop
    manager = make_staff(session, Role.manager).actor()
    out = orders.create_b2b_order(session, actor=manager, buyer_name="Салон «Лаванда»",
                                  items=[{"variant_id": vid, "qty": 4, "unit_price_minor": 70000}],
                                  delivery_minor=50000, delivery_payer="shop")
    assert out.status == "completed" and out.channel == "b2b"
    assert out.total_minor == 280000 and out.cost_minor == 160000 and out.delivery_minor == 0
    assert (out.delivery_payer, out.shop_delivery_minor) == ("shop", 50000)  # a figure, not a note in the comment
    assert qty_of(session, vid) == 6
    with pytest.raises(DomainError) as err:
        orders.create_b2b_order(session, actor=manager, buyer_name="X",
                                items=[{"variant_id": vid, "qty": 7, "unit_price_minor": 1}])
    assert err.value.code == "cart.out_of_stock" and qty_of(session, vid) == 6


def test_order_history_for_customer_shows_only_their_orders(shop):
    session, vid, customer = shop
    other = make_customer(session)
    place(session, customer.id, {vid: 1})
    place(session, other.id, {vid: 1})
    page = orders.list_orders(session, actor=Actor.customer(customer.id))
    assert page.total == 1 and page.rows[0].customer_id == customer.id
    assert orders.list_orders(session, actor=SYSTEM, status="active").total == 2
    with pytest.raises(DomainError):
        orders.get_order(session, actor=Actor.customer(customer.id), order_id=page.rows[0].id + 1)
