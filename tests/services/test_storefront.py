"""The storefront's read model and customer-side use cases: catalog and search (hidden items left
out), stock badges, wholesale prices, vacation/preorder, repeat order, contacts memory, checkout
preview and delivery options."""
from __future__ import annotations

import httpx
import pytest

from integrations.cdek.client import CdekClient
from integrations.cdek.fake import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FakeCdek
from smo_app.models.customer import Customer
from smo_app.services.catalog import browse
from smo_app.services.catalog import products as catalog
from smo_app.services.core import shop_config
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, PermissionDenied
from smo_app.services.customers.profile import last_contacts
from smo_app.services.sales import carts, checkout_preview, my_orders, orders
from smo_app.services.stock.subscriptions import subscribe_back_in_stock
from tests.commerce_factories import SYSTEM, fill_cart, make_product, place, variant_id
from tests.factories import make_customer


def _me(customer) -> Actor:
    return Actor.customer(customer.id)


def test_catalog_leaves_out_hidden_products_and_products_of_hidden_categories(session):
    shown = catalog.create_category(session, actor=SYSTEM, name="Свечи")
    secret = catalog.create_category(session, actor=SYSTEM, name="Тайное", hidden=True)
    inside_secret = catalog.create_category(session, actor=SYSTEM, name="Внутри", parent_id=secret.id)
    visible = make_product(session, name="Свеча ваниль", category_id=shown.id, qty=5)
    make_product(session, name="Свеча скрытая", category_id=shown.id, hidden=True, qty=5)
    make_product(session, name="Свеча тайная", category_id=inside_secret.id, qty=5)
    customer = make_customer(session)

    out = browse.store_catalog(session, actor=_me(customer))
    assert [p.name for p in out.products] == ["Свеча ваниль"]
    assert [c.name for c in out.categories] == ["Свечи"]
    # search finds only what the customer may see, whatever the letter case
    assert [p.id for p in browse.search_products(session, actor=_me(customer), query="свеча")] == [visible.id]
    assert [p.id for p in browse.search_products(session, actor=_me(customer), query="СВЕЧА")] == [visible.id]
    # a hidden product's card does not open, even by id
    with pytest.raises(NotFound):
        browse.product_card(session, actor=_me(customer), product_id=out.products[0].id + 1)


def test_catalog_pages_tiles_and_says_when_there_is_more(session):
    for i in range(5):
        make_product(session, name=f"Саше {i}", qty=1, position=i)
    customer = make_customer(session)
    first = browse.store_catalog(session, actor=_me(customer), limit=3)
    assert [p.name for p in first.products] == ["Саше 0", "Саше 1", "Саше 2"] and first.has_more
    everything = browse.store_catalog(session, actor=_me(customer), limit=6)
    assert len(everything.products) == 5 and not everything.has_more


def test_search_treats_percent_and_underscore_as_plain_characters(session):
    make_product(session, name="Масло 100% натуральное", qty=1)
    make_product(session, name="Масло кокосовое", qty=1)
    customer = make_customer(session)
    found = browse.search_products(session, actor=_me(customer), query="100%")
    assert [p.name for p in found] == ["Масло 100% натуральное"]
    assert browse.search_products(session, actor=_me(customer), query="_") == []


def test_tiles_show_discount_only_n_left_and_out_of_stock(session):
    make_product(session, name="Много", price_minor=100000, qty=50, discount_pct=10)
    make_product(session, name="Мало", price_minor=100000, qty=2, low_stock_threshold=3)
    make_product(session, name="Нет", price_minor=100000, qty=0)
    customer = make_customer(session)
    tiles = {p.name: p for p in browse.store_catalog(session, actor=_me(customer)).products}
    assert (tiles["Много"].stock, tiles["Много"].price_minor, tiles["Много"].old_price_minor) == ("in_stock", 90000, 100000)
    assert (tiles["Мало"].stock, tiles["Мало"].only_left) == ("low", 2)
    assert tiles["Нет"].stock == "out"


def test_preorder_mode_sells_zero_stock_and_vacation_blocks_the_cart(session):
    product = make_product(session, name="Под заказ", qty=0)
    customer = make_customer(session)
    shop_config.update_config(session, actor=SYSTEM, changes={"preorder_mode": True})
    out = browse.store_catalog(session, actor=_me(customer))
    assert out.preorder and out.products[0].stock == "in_stock"
    assert carts.add_item(session, actor=_me(customer), customer_id=customer.id,
                          variant_id=variant_id(product), qty=2).lines[0].qty == 2
    shop_config.update_config(session, actor=SYSTEM, changes={"preorder_mode": False, "vacation_mode": True,
                                                              "vacation_message": "До понедельника"})
    assert browse.store_catalog(session, actor=_me(customer)).vacation_message == "До понедельника"
    with pytest.raises(DomainError) as err:
        carts.add_item(session, actor=_me(customer), customer_id=customer.id, variant_id=variant_id(product))
    assert err.value.code == "cart.vacation"


def test_an_approved_wholesale_customer_sees_wholesale_prices_and_retail_below_the_minimum(session):
    product = make_product(session, name="Опт", qty=100, variants=[
        {"label": "1 л", "price_minor": 100000, "wholesale_price_minor": 70000, "wholesale_min_qty": 10}])
    retail = make_customer(session)
    wholesale = make_customer(session, kind="wholesale", wholesale_approved=True)
    pending = make_customer(session, kind="wholesale", wholesale_approved=False)
    assert browse.product_card(session, actor=_me(retail), product_id=product.id).variants[0].wholesale_price_minor is None
    assert browse.product_card(session, actor=_me(pending), product_id=product.id).variants[0].wholesale_price_minor is None
    card = browse.product_card(session, actor=_me(wholesale), product_id=product.id)
    assert (card.variants[0].wholesale_price_minor, card.variants[0].wholesale_min_qty) == (70000, 10)
    vid = variant_id(product)
    below = fill_cart(session, wholesale.id, {vid: 9})
    assert below.pricing.total_minor == 9 * 100000 and not below.pricing.lines[0].wholesale  # shown, not refused
    at_min = fill_cart(session, wholesale.id, {vid: 10})
    assert at_min.pricing.total_minor == 10 * 70000 and at_min.pricing.lines[0].wholesale


def test_product_card_text_is_plain_and_share_link_opens_the_mini_app(session):
    product = make_product(session, name="Свеча", qty=3, description="<b>Воск</b><br>соя &amp; кокос<script>x</script>")
    customer = make_customer(session)
    card = browse.product_card(session, actor=_me(customer), product_id=product.id, bot_username="shop_bot")
    assert card.description == "Воск\nсоя & кокосx"  # text only: no tag survives, nothing runs
    assert "<" not in card.description
    assert card.share_url == f"https://t.me/shop_bot?startapp=p{product.id}"


def test_notify_me_is_remembered_on_the_card(session):
    product = make_product(session, name="Закончилась", qty=0)
    customer = make_customer(session)
    vid = variant_id(product)
    assert browse.product_card(session, actor=_me(customer), product_id=product.id).subscribed_variant_ids == []
    subscribe_back_in_stock(session, actor=_me(customer), customer_id=customer.id, variant_id=vid)
    assert browse.product_card(session, actor=_me(customer), product_id=product.id).subscribed_variant_ids == [vid]


def test_contacts_are_remembered_from_the_last_order(session):
    product = make_product(session, qty=10)
    customer = make_customer(session, full_name="Анна", phone="+79990001122")
    first = last_contacts(session, actor=_me(customer), customer_id=customer.id)
    assert (first.contact_name, first.phone, first.address) == ("Анна", "+79990001122", "")
    place(session, customer.id, {variant_id(product): 1}, delivery_type="courier", address="Москва, Арбат 1",
          contact_name="Анна К.", phone="+79990003344")
    again = last_contacts(session, actor=_me(customer), customer_id=customer.id)
    assert (again.contact_name, again.phone, again.address, again.delivery_type) == (
        "Анна К.", "+79990003344", "Москва, Арбат 1", "courier")
    other = make_customer(session)
    with pytest.raises(PermissionDenied):  # someone else's contacts are not readable
        last_contacts(session, actor=_me(other), customer_id=customer.id)


def test_repeat_order_puts_lines_back_with_stock_checks(session):
    plenty = make_product(session, name="Много", qty=10)
    scarce = make_product(session, name="Мало", qty=3)
    gone = make_product(session, name="Пропал", qty=2)
    customer = make_customer(session)
    order = place(session, customer.id, {variant_id(plenty): 2, variant_id(scarce): 2, variant_id(gone): 1})
    catalog.update_product(session, actor=SYSTEM, product_id=gone.id, hidden=True)
    out = my_orders.repeat_order(session, actor=_me(customer), customer_id=customer.id, order_id=order.id)
    qty = {line.name: line.qty for line in out.cart.lines}
    assert qty == {"Много": 2, "Мало": 1}  # one left of "Мало": what is left was added
    assert out.short == ["Мало"] and out.skipped == ["Пропал"]
    # someone else's order cannot be repeated
    other = make_customer(session)
    with pytest.raises(NotFound):
        my_orders.repeat_order(session, actor=_me(other), customer_id=other.id, order_id=order.id)


def test_status_digest_follows_staff_moving_the_order(session):
    product = make_product(session, qty=5)
    customer = make_customer(session)
    order = place(session, customer.id, {variant_id(product): 1})
    assert my_orders.order_statuses(session, actor=_me(customer), customer_id=customer.id) == {order.id: "new"}
    orders.transition(session, actor=SYSTEM, order_id=order.id, to_status="paid")
    assert my_orders.order_statuses(session, actor=_me(customer), customer_id=customer.id) == {order.id: "paid"}


def _cdek() -> CdekClient:
    return CdekClient(base_url="http://cdek.fake", client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                      transport=httpx.MockTransport(FakeCdek().handle))


@pytest.fixture
def cdek():
    """The delivery port is CDEK's client against its fake (composition.use), no address provider."""
    from smo_app import composition

    composition.use(delivery=_cdek(), address=None)
    yield
    composition.reset()


def test_delivery_options_quote_the_cart_and_list_the_four_nearest_points(session, cdek):
    from smo_app import composition

    product = make_product(session, qty=5, variants=[{"label": "100 мл", "price_minor": 50000, "weight_g": 300}])
    customer = make_customer(session)
    fill_cart(session, customer.id, {variant_id(product): 2})
    out = checkout_preview.delivery_options(session, actor=_me(customer), delivery_type="pickup", lat=55.7500,
                                            lon=37.5930)
    assert out.quote.status == "quoted" and out.quote.price_minor > 0
    assert len(out.points) == 4 and out.points[0].code == "MSK103"  # Arbat is where the customer stands
    assert [p.distance_km for p in out.points] == sorted(p.distance_km for p in out.points)
    courier = checkout_preview.delivery_options(session, actor=_me(customer), customer_id=customer.id,
                                                delivery_type="courier", address="Москва, Тверская 1")
    assert courier.quote.status == "quoted" and courier.quote.price_minor > out.quote.price_minor
    composition.use(delivery=None)  # no provider: the manager calculates
    offline = checkout_preview.delivery_options(session, actor=_me(customer), delivery_type="courier", address="Москва")
    assert offline.quote.status == "manager" and offline.points == []


def test_checkout_preview_prices_certificate_bonuses_and_delivery_on_the_server(session):
    product = make_product(session, qty=5, price_minor=100000)
    customer = make_customer(session, bonus_balance_minor=100000)
    fill_cart(session, customer.id, {variant_id(product): 2})
    out = checkout_preview.checkout_preview(session, actor=_me(customer), customer_id=customer.id,
                                            delivery_type="courier", delivery_quote_minor=35000, bonus_minor=10**9)
    p = out.pricing
    assert p.bonus_minor == p.bonus_max_minor == 60000  # capped at 30 % as pricing says, whatever was asked
    assert p.delivery_minor == 35000 and p.total_minor == 200000 - 60000 + 35000 and p.adds_up()
    with pytest.raises(DomainError) as err:
        checkout_preview.checkout_preview(session, actor=_me(customer), customer_id=customer.id,
                                          certificate_code="NOPE-123")
    assert err.value.code == "certificate.not_found"
    session.rollback()
    assert session.get(Customer, customer.id).bonus_balance_minor == 100000  # a preview spends nothing
