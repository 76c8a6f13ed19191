"""Concurrency with real threads, each on its own connection: no oversell, single-use certificates,
promo limits held exactly."""
import threading
from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.carts import Cart, CartItem
from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.models.promotions import GiftCertificate, PromoCode, PromoUse
from smo_app.models.stock import StockMove
from smo_app.services.sales import carts, orders
from smo_app.services.sales import promotions
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from tests.commerce_factories import SYSTEM, make_product, qty_of, variant_id
from tests.db_support import run_at_once


def _customers_with_carts(session, n, vid, qty=1):
    customers = [Customer(telegram_id=900000 + i, full_name=f"Buyer {i}") for i in range(n)]
    session.add_all(customers)
    session.flush()
    carts = [Cart(customer_id=c.id) for c in customers]
    session.add_all(carts)
    session.flush()
    session.add_all([CartItem(cart_id=cart.id, variant_id=vid, qty=qty) for cart in carts])
    session.commit()
    return [c.id for c in customers]


def _checkout_all(engine, customer_ids, **kwargs):
    """Every customer checks out at the same moment, each thread on its own session."""
    return run_at_once(engine, [
        lambda s, cid=cid: orders.place_order(s, actor=Actor.customer(cid), customer_id=cid, **kwargs)
        for cid in customer_ids])


@pytest.mark.slow  # 200 threads
def test_200_simultaneous_checkouts_for_10_units_make_exactly_10_orders(engine, session):
    # given a product with 10 units and 200 customers with it in their carts
    vid = variant_id(make_product(session, qty=10))
    customers = _customers_with_carts(session, 200, vid)
    # when all of them check out at once
    outcome = _checkout_all(engine, customers)
    # then exactly 10 orders exist, stock is 0, and the ledger agrees
    assert outcome == Counter({"ok": 10, "cart.out_of_stock": 190})
    session.expire_all()
    assert session.exec(select(func.count(Order.id))).one() == 10
    assert qty_of(session, vid) == 0
    moves = session.exec(select(StockMove).where(StockMove.variant_id == vid).order_by(StockMove.id)).all()
    assert sum(m.delta for m in moves) == 0
    assert sorted(m.qty_after for m in moves if m.kind == "sale") == list(range(10))


def test_the_same_certificate_redeemed_by_two_customers_at_once_succeeds_once(engine, session):
    vid = variant_id(make_product(session, qty=10))
    promotions.create_certificate(session, actor=SYSTEM, face_minor=50000, code="GIFT-RACE")
    customers = _customers_with_carts(session, 2, vid)
    outcome = _checkout_all(engine, customers, certificate_code="gift-race")
    assert outcome == Counter({"ok": 1, "certificate.used": 1})
    session.expire_all()
    assert session.exec(select(GiftCertificate)).one().status == "reserved"
    assert qty_of(session, vid) == 9


def test_a_promo_limited_to_5_used_by_50_at_once_gives_exactly_5_uses(engine, session):
    vid = variant_id(make_product(session, qty=60))
    promotions.create_promo(session, actor=SYSTEM, code="FIVE", pct=10, usage_limit=5)
    customers = _customers_with_carts(session, 50, vid)
    outcome = _checkout_all(engine, customers, promo_code="five")
    assert outcome == Counter({"ok": 5, "promo.exhausted": 45})
    session.expire_all()
    assert session.exec(select(PromoCode)).one().used_count == 5
    assert session.exec(select(func.count(PromoUse.id))).one() == 5
    assert qty_of(session, vid) == 55  # the refused checkouts took no stock


def test_two_simultaneous_cancels_restore_stock_once(engine, session):
    # given a placed order for 3 units
    vid = variant_id(make_product(session, qty=10))
    [cid] = _customers_with_carts(session, 1, vid, qty=3)
    order = orders.place_order(session, actor=Actor.customer(cid), customer_id=cid)
    url = engine.url.render_as_string(hide_password=False)
    workers = make_engine(url, pool_size=4)
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                orders.cancel_order(s, actor=SYSTEM, order_id=order.id)
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)

    # when four staff press "cancel" at the same moment
    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then one cancel applied and the stock came back once
    assert results.count("ok") == 1
    assert set(results) - {"ok"} <= {"order.already_in_status", "order.changed_meanwhile"}
    assert qty_of(session, vid) == 10
    assert len(session.exec(select(StockMove).where(StockMove.kind == "restock")).all()) == 1


def test_concurrent_multi_line_checkouts_never_oversell_or_deadlock(engine, session):
    # given three products with 6 units each and 24 carts of 3 lines in shuffled orders
    vids = [variant_id(make_product(session, qty=6)) for _ in range(3)]
    customers = [Customer(telegram_id=950000 + i, full_name=f"Multi {i}") for i in range(24)]
    session.add_all(customers)
    session.flush()
    for i, c in enumerate(customers):
        cart = Cart(customer_id=c.id)
        session.add(cart)
        session.flush()
        for k, vid in enumerate(vids if i % 2 else list(reversed(vids))):
            session.add(CartItem(cart_id=cart.id, variant_id=vid, qty=1 + (i + k) % 2))
    session.commit()
    # when they all check out at once
    outcome = _checkout_all(engine, [c.id for c in customers])
    # then nothing crashed, no stock went below zero, and every ledger adds up
    assert set(outcome) <= {"ok", "cart.out_of_stock"} and outcome["ok"] >= 2
    session.expire_all()
    for vid in vids:
        qty = qty_of(session, vid)
        assert qty >= 0
        assert sum(session.exec(select(StockMove.delta).where(StockMove.variant_id == vid)).all()) == qty


def test_the_same_checkout_sent_twice_at_once_makes_one_order(engine, session):
    # given a customer with 2 units in the cart (a double tap on "Pay", or a retried request)
    vid = variant_id(make_product(session, qty=10))
    cid = _customers_with_carts(session, 1, vid, qty=2)[0]
    url = engine.url.render_as_string(hide_password=False)
    workers = make_engine(url)
    barrier = threading.Barrier(2)
    results: list = []

    def run():
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                results.append(orders.place_order(s, actor=Actor.customer(cid), customer_id=cid,
                                                  client_ref="tap-1").id)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            results.append(f"crash:{type(exc).__name__}:{exc}")

    # when both submissions arrive at the same moment with the same client reference
    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then both get the same order, which exists once and took the stock once
    assert len(results) == 2 and results[0] == results[1], results
    session.expire_all()
    assert session.exec(select(func.count(Order.id))).one() == 1
    assert qty_of(session, vid) == 8


def test_ten_simultaneous_checkouts_of_one_cart_make_one_order_and_use_a_once_per_customer_promo_once(
        engine, session):
    # given a customer with 2 units in the cart and a once-per-customer promo code
    vid = variant_id(make_product(session, qty=50))
    promotions.create_promo(session, actor=SYSTEM, code="WELCOME", pct=10, once_per_customer=True)
    cid = _customers_with_carts(session, 1, vid, qty=2)[0]
    # when ten checkouts of that cart arrive at the same moment, none with a client reference
    outcome = _checkout_all(engine, [cid] * 10, promo_code="welcome")
    # then one order is made, the others are told the cart is empty, and the promo is used once
    assert outcome == Counter({"ok": 1, "cart.empty": 9}), outcome
    session.expire_all()
    assert session.exec(select(func.count(Order.id))).one() == 1
    assert qty_of(session, vid) == 48
    assert session.exec(select(func.count(PromoUse.id))).one() == 1
    assert session.exec(select(PromoCode)).one().used_count == 1


def test_the_same_promo_code_created_ten_times_at_once_exists_once_and_the_others_hear_code_taken(engine, session):
    # when ten managers create the promo code SPRING at the same moment
    outcome = run_at_once(engine, [lambda s: promotions.create_promo(s, actor=SYSTEM, code="spring", pct=5)] * 10)
    # then one is created and the others get the translated "code taken" refusal, not a crash
    assert outcome == Counter({"ok": 1, "promo.code_taken": 9}), outcome
    session.expire_all()
    assert session.exec(select(func.count(PromoCode.id))).one() == 1


def test_the_same_certificate_code_created_ten_times_at_once_exists_once(engine, session):
    outcome = run_at_once(engine, [lambda s: promotions.create_certificate(
        s, actor=SYSTEM, face_minor=100000, code="GIFT-TWIN")] * 10)
    assert outcome == Counter({"ok": 1, "promo.code_taken": 9}), outcome
    session.expire_all()
    assert session.exec(select(func.count(GiftCertificate.id))).one() == 1


def test_first_items_added_at_once_by_a_customer_without_a_cart_make_one_cart(engine, session):
    # given a customer who has never had a cart, and a product in stock
    vid = variant_id(make_product(session, qty=50))
    customer = Customer(telegram_id=960001, full_name="New buyer")
    session.add(customer)
    session.commit()
    cid = customer.id
    # when the Mini App sends ten "+" taps at the same moment (each the first change of the cart)
    outcome = run_at_once(engine, [
        lambda s: carts.add_item(s, actor=Actor.customer(cid), customer_id=cid, variant_id=vid)] * 10)
    # then every tap is applied to one cart
    assert outcome == Counter({"ok": 10}), outcome
    session.expire_all()
    assert session.exec(select(func.count(Cart.id))).one() == 1
    assert session.exec(select(CartItem.qty)).one() == 10
