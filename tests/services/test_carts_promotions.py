"""Carts (ST4, ST11), promo codes (CR5), certificates (CR6) and the bonus ledger (CR7)."""
from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app import composition
from smo_app.models.base import utcnow
from smo_app.models.carts import Cart
from smo_app.models.customer import Customer
from smo_app.models.promotions import PromoCode
from smo_app.models.staff import Role
from smo_app.services.sales import carts
from smo_app.services.customers import loyalty
from smo_app.services.sales import orders
from smo_app.services.sales import promotions
from smo_app.services.core import shop_config
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from tests.commerce_factories import SYSTEM, fill_cart, make_product, place, qty_of, variant_id
from tests.factories import make_customer, make_staff
from tests.fakes.delivery import QuotingPort


@pytest.fixture
def shop(session):
    product = make_product(session, price_minor=100000, qty=5, cross_sell=[])
    return session, variant_id(product), make_customer(session)


def test_cart_refuses_more_than_stock_and_zero_removes(shop):
    session, vid, customer = shop
    me = Actor.customer(customer.id)
    out = carts.add_item(session, actor=me, customer_id=customer.id, variant_id=vid, qty=4)
    assert out.pricing.total_minor == 400000 and out.lines[0].available == 5
    with pytest.raises(DomainError) as err:
        carts.add_item(session, actor=me, customer_id=customer.id, variant_id=vid, qty=2)
    assert err.value.code == "cart.out_of_stock" and err.value.params["available"] == 5
    assert carts.set_qty(session, actor=me, customer_id=customer.id, variant_id=vid, qty=0).lines == []


def test_cart_change_stamps_updated_at_and_clears_the_reminder(shop):
    session, vid, customer = shop
    t0 = utcnow() - timedelta(days=2)
    fill_cart(session, customer.id, {vid: 1})
    cart = session.exec(select(Cart)).one()
    cart.abandoned_reminder_at = utcnow()
    cart.updated_at = t0
    session.add(cart)
    session.commit()
    assert [c.id for c in carts.abandoned_carts(session, older_than=utcnow() - timedelta(hours=24))] == []
    carts.set_qty(session, actor=Actor.customer(customer.id), customer_id=customer.id, variant_id=vid, qty=2, now=t0)
    session.expire_all()
    cart = session.exec(select(Cart)).one()
    assert cart.abandoned_reminder_at is None and cart.updated_at == t0
    assert [c.id for c in carts.abandoned_carts(session, older_than=utcnow() - timedelta(hours=24))] == [cart.id]


def test_another_customer_cannot_touch_my_cart(shop):
    session, vid, customer = shop
    with pytest.raises(PermissionDenied):
        carts.add_item(session, actor=Actor.customer(customer.id + 1), customer_id=customer.id, variant_id=vid)


def test_the_cart_badge_counts_every_unit_the_cart_lists_even_a_line_no_longer_for_sale(shop):
    # given a customer with 3 units of one product and 2 of another that was suspended since
    session, vid, customer = shop
    from smo_app.services.catalog import products as catalog
    me = Actor.customer(customer.id)
    other = make_product(session, qty=5)
    assert carts.cart_units(session, actor=me) == 0
    carts.add_item(session, actor=me, variant_id=vid, qty=3)
    carts.add_item(session, actor=me, variant_id=variant_id(other), qty=2)
    catalog.update_product(session, actor=SYSTEM, product_id=other.id, suspended=True)
    # when the badge is read, then it shows the 5 units the cart lists
    assert carts.cart_units(session, actor=me) == 5 == sum(line.qty for line in carts.get_cart(session, actor=me).lines)
    # and nobody else reads it
    with pytest.raises(PermissionDenied):
        carts.cart_units(session, actor=Actor.customer(customer.id + 1), customer_id=customer.id)


def test_the_cart_flags_lines_it_cannot_sell_prices_the_rest_and_suggests_what_goes_with_them(shop):
    # given a cart of soap (3 in stock, 2 in the cart), a candle later suspended, and a towel whose
    # stock fell below the cart's 4 after it went in; the soap goes with a sponge and the towel, the
    # candle with a sponge and a lamp
    session, _, customer = shop
    from smo_app.models.catalog import Variant
    from smo_app.services.catalog import products as catalog
    me = Actor.customer(customer.id)
    sponge, lamp = make_product(session, name="Sponge", qty=5), make_product(session, name="Lamp", qty=5)
    towel = make_product(session, name="Towel", price_minor=30000, qty=5)
    soap = make_product(session, name="Soap", price_minor=20000, qty=3, cross_sell=[sponge.id, towel.id])
    candle = make_product(session, name="Candle", qty=5, cross_sell=[sponge.id, lamp.id])
    for product, qty in ((soap, 2), (candle, 1), (towel, 4)):
        carts.add_item(session, actor=me, variant_id=variant_id(product), qty=qty)
    catalog.update_product(session, actor=SYSTEM, product_id=candle.id, suspended=True)
    row = session.get(Variant, variant_id(towel))
    row.qty = 3
    session.add(row)
    session.commit()
    # when the cart is read
    out = carts.get_cart(session, actor=me)
    # then every line is listed, the two it cannot sell say why, only the soap is priced
    problems = {line.name: (line.qty, line.available, line.problem) for line in out.lines}
    assert problems == {"Soap": (2, 3, None), "Candle": (1, 5, "cart.unavailable"), "Towel": (4, 3, "cart.out_of_stock")}
    assert out.pricing.total_minor == 2 * 20000
    # and it suggests the sponge and the lamp once each, not the towel already in the cart
    assert sorted(out.cross_sell) == sorted([sponge.id, lamp.id])


def test_vacation_blocks_cart_and_checkout_preorder_allows_zero_stock(shop):
    session, vid, customer = shop
    fill_cart(session, customer.id, {vid: 1})
    shop_config.update_config(session, actor=SYSTEM, changes={"vacation_mode": True, "vacation_message": "До 1 мая"})
    me = Actor.customer(customer.id)
    for call in (lambda: carts.add_item(session, actor=me, customer_id=customer.id, variant_id=vid),
                 lambda: orders.place_order(session, actor=me, customer_id=customer.id)):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "cart.vacation"
    shop_config.update_config(session, actor=SYSTEM, changes={"vacation_mode": False, "preorder_mode": True})
    out = carts.set_qty(session, actor=me, customer_id=customer.id, variant_id=vid, qty=8)
    assert out.lines[0].problem is None
    orders.place_order(session, actor=me, customer_id=customer.id)
    assert qty_of(session, vid) == -3


def test_promo_code_is_case_insensitive_and_priced_in_the_cart(shop):
    session, vid, customer = shop
    promotions.create_promo(session, actor=SYSTEM, code="Aroma15", pct=15)
    fill_cart(session, customer.id, {vid: 2})
    out = carts.apply_promo(session, actor=Actor.customer(customer.id), customer_id=customer.id, code="  aroma15 ")
    assert out.promo_code == "AROMA15" and out.pricing.discounts["promo"] == 30000
    order = orders.place_order(session, actor=Actor.customer(customer.id), customer_id=customer.id)
    assert order.discounts["promo"] == 30000 and order.total_minor == 170000


def test_expired_exhausted_and_once_per_customer_promos_are_refused(shop):
    session, vid, customer = shop
    now = utcnow()
    promotions.create_promo(session, actor=SYSTEM, code="OLD", pct=10, expires_at=now - timedelta(minutes=1))
    promotions.create_promo(session, actor=SYSTEM, code="ONE", pct=10, usage_limit=1)
    promotions.create_promo(session, actor=SYSTEM, code="MINE", pct=10, once_per_customer=True)
    with pytest.raises(DomainError) as err:
        place(session, customer.id, {vid: 1}, promo_code="old")
    assert err.value.code == "promo.expired"
    place(session, customer.id, {vid: 1}, promo_code="one")
    other = make_customer(session)
    with pytest.raises(DomainError) as err:
        place(session, other.id, {vid: 1}, promo_code="ONE")
    assert err.value.code == "promo.exhausted"
    place(session, customer.id, {vid: 1}, promo_code="mine")
    with pytest.raises(DomainError) as err:
        place(session, customer.id, {vid: 1}, promo_code="MINE")
    assert err.value.code == "promo.already_used"
    place(session, other.id, {vid: 1}, promo_code="MINE")
    stats = promotions.promo_stats(session, actor=SYSTEM, promo_id=session.exec(
        select(PromoCode.id).where(PromoCode.code == "MINE")).one())
    assert (stats.uses, stats.customers) == (2, 2)


def test_expired_certificate_is_refused(shop):
    session, vid, customer = shop
    promotions.create_certificate(session, actor=SYSTEM, face_minor=1000, code="OLDGIFT", valid_days=1,
                                  now=utcnow() - timedelta(days=2))
    with pytest.raises(DomainError) as err:
        place(session, customer.id, {vid: 1}, certificate_code="oldgift")
    assert err.value.code == "certificate.expired"


def test_bonus_balance_never_goes_negative(shop):
    session, vid, customer = shop
    manager = make_staff(session, Role.manager).actor()
    loyalty.adjust_bonuses(session, actor=manager, customer_id=customer.id, delta_minor=10000, note="подарок")
    with pytest.raises(DomainError) as err:
        loyalty.adjust_bonuses(session, actor=manager, customer_id=customer.id, delta_minor=-10001, note="ошибка")
    assert err.value.code == "bonus.insufficient"
    session.rollback()
    with pytest.raises(DomainError):
        place(session, customer.id, {vid: 1}, bonus_minor=20000)
    session.rollback()
    # a request within the balance is capped at 30% of the goods
    order = place(session, customer.id, {vid: 1}, bonus_minor=10000)
    assert order.bonus_minor == 10000
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 0 == loyalty.ledger_sum(session, customer.id)
    seller = make_staff(session, Role.seller).actor()
    with pytest.raises(PermissionDenied):
        loyalty.adjust_bonuses(session, actor=seller, customer_id=customer.id, delta_minor=100, note="x")


def test_bonuses_page_shows_balance_history_and_tier(shop):
    session, vid, customer = shop
    for _ in range(5):
        make_customer(session, inviter_id=customer.id)
    loyalty.post_entry(session, actor=SYSTEM, customer_id=customer.id, kind="manual", amount_minor=500)
    session.commit()
    out = loyalty.get_bonuses(session, actor=Actor.customer(customer.id), customer_id=customer.id)
    assert (out.balance_minor, out.invites, out.lifetime_pct, out.next_tier_invites) == (500, 5, 7, 15)
    assert [e.kind for e in out.entries] == ["manual"]


def test_hidden_or_suspended_products_cannot_go_into_the_cart(shop):
    session, vid, customer = shop
    from smo_app.services.catalog import products as catalog
    hidden = make_product(session, qty=5, hidden=True)
    suspended = make_product(session, qty=5)
    catalog.update_product(session, actor=SYSTEM, product_id=suspended.id, suspended=True)
    for product in (hidden, suspended):
        with pytest.raises(DomainError) as err:
            carts.add_item(session, actor=Actor.customer(customer.id), customer_id=customer.id,
                           variant_id=variant_id(product))
        assert err.value.code == "cart.unavailable"


def test_wholesale_checkout_uses_wholesale_prices_and_free_delivery_threshold(shop):
    session, vid, _ = shop
    from smo_app.services.catalog import products as catalog
    # given an approved wholesale customer and a variant at 1000 ₽, 600 ₽ wholesale from 5 units
    buyer = make_customer(session, kind="wholesale", wholesale_approved=True, personal_discount_pct=5)
    catalog.update_variant(session, actor=SYSTEM, variant_id=vid, wholesale_price_minor=60000, wholesale_min_qty=5)
    shop_config.update_config(session, actor=SYSTEM, changes={"free_delivery_courier_minor": 250000})
    # when they order 5 by courier with a 400 ₽ quote from the delivery provider
    composition.use(delivery=QuotingPort(40000))
    try:
        order = place(session, buyer.id, {vid: 5}, delivery_type="courier", address="Москва, Тверская 1")
    finally:
        composition.reset()
    # then 5 × 600 ₽ with no further discount, and delivery is free above 2500 ₽
    assert order.goods_minor == 300000 and order.discounts == {"product": 0, "personal": 0, "promo": 0}
    assert order.delivery_minor == 0 and order.total_minor == 300000
    assert order.lines[0].unit_price_minor == 60000


def test_abandoned_cart_reminder_is_stamped_once(shop):
    session, vid, customer = shop
    fill_cart(session, customer.id, {vid: 1})
    cart = session.exec(select(Cart)).one()
    assert carts.mark_reminder_sent(session, actor=SYSTEM, cart_id=cart.id) is True
    assert carts.mark_reminder_sent(session, actor=SYSTEM, cart_id=cart.id) is False


def test_referral_reward_notifies_both_friends(shop):
    session, vid, inviter = shop
    from smo_app.models.outbox import Outbox
    friend = make_customer(session, inviter_id=inviter.id)
    order = place(session, friend.id, {vid: 1})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    rows = session.exec(select(Outbox.customer_id).where(Outbox.kind == "referral_reward")).all()
    assert sorted(rows) == sorted([inviter.id, friend.id])
