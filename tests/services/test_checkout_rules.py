"""The checkout's rules live in its services, whatever screen calls them (on SQLite and PostgreSQL):
a contact is a name and a phone (refused in the customer's words); the delivery is quoted through
the delivery port when the order is placed — a price from the caller is never taken; a pickup
point names the order's address; while the manager is to calculate delivery, the order says so
in the customer's language."""
from __future__ import annotations

import inspect

import pytest
from sqlmodel import Session, select

from smo_app import composition
from smo_app.calling import CustomerCaller, Seam, opener_from_factory
from smo_app.models.orders import Order
from smo_app.services.sales import checkout_preview
from smo_app.services.sales.checkout import place_order
from tests.commerce_factories import fill_cart, make_product, qty_of, variant_id
from tests.factories import make_customer
from tests.fakes.delivery import QuotingPort, point

PRICE = 43210  # what the delivery provider quotes
POINTS = [point("MSK1", "CDEK Tverskaya", "Москва, Тверская 7"), point("MSK2", "CDEK Arbat", "Москва, Арбат 1")]


@pytest.fixture
def seam(engine) -> Seam:
    return Seam(opener_from_factory(lambda: Session(engine, expire_on_commit=False)), origin="test")


@pytest.fixture
def port():
    """The delivery provider the composition root would give, replaced for the test."""
    provider = QuotingPort(PRICE, points=POINTS)
    composition.use(delivery=provider, address=None)
    yield provider
    composition.reset()


@pytest.fixture
def buyer(session):
    """A customer (English-speaking) with a Mini App session and a 500 ₽ item in the cart."""
    product = make_product(session, name="Candle", price_minor=50000, qty=5,
                           variants=[{"label": "100 ml", "price_minor": 50000, "weight_g": 400}])
    customer = make_customer(session, language="en")
    fill_cart(session, customer.id, {variant_id(product): 1})
    token = sessions_token(session, customer.id)
    session.rollback()  # SQLite: the seam's own sessions write next
    return CustomerCaller(token), customer


def sessions_token(session, customer_id: int) -> str:
    from smo_app.services.customers import sessions

    return sessions.start_customer_session(session, customer_id=customer_id)


def _orders(session) -> list[Order]:
    session.expire_all()
    rows = session.exec(select(Order)).all()
    session.rollback()
    return rows


def _place(seam, caller, lang="en", **choices):
    choices = {"contact_name": "Olga", "phone": "+7 999 000-11-22", "client_ref": "ref-1", **choices}
    return seam.call(place_order, caller=caller, user_lang=lang, **choices)


@pytest.mark.parametrize("lang, message", [
    ("en", "Enter a phone number: 10–15 digits, “+” allowed."),
    ("ru", "Укажите телефон: 10–15 цифр, можно с «+»."),
])
def test_a_phone_that_is_not_one_is_refused_in_the_customers_words_and_nothing_is_placed(
        session, seam, port, buyer, lang, message):
    caller, _ = buyer
    # when the contacts step, then placing, get a phone with letters in it
    step = seam.call(checkout_preview.check_contact, caller=caller, user_lang=lang, contact_name="Olga",
                     phone="call me maybe")
    placed = _place(seam, caller, lang, phone="+7 999 CALL-ME")
    # then both refuse it, naming the phone field, and no order exists
    assert (step.error, step.field()) == (message, "phone")
    assert (placed.error, placed.code, placed.field()) == (message, "checkout.phone_invalid", "phone")
    assert _orders(session) == []
    # and a name is required at the contacts step
    nameless = seam.call(checkout_preview.check_contact, caller=caller, user_lang="en", contact_name="  ",
                         phone="+79990001122")
    assert nameless.code == "checkout.name_required" and nameless.field() == "contact_name"


def test_the_delivery_is_quoted_through_the_port_and_no_price_is_taken_from_the_caller(session, seam, port, buyer):
    caller, _ = buyer
    # given a checkout that takes no delivery price at all
    assert not {"delivery_quote_minor", "delivery_minor", "quote_minor"} & set(inspect.signature(place_order).parameters)
    # when the customer places a courier order (whatever their page showed as the price)
    out = _place(seam, caller, delivery_type="courier", address="Москва, Тверская 1")
    # then the provider was asked for the cart's parcel to that address, and its price is on the order
    order = out.unwrap()
    assert [(r.to_location.address, r.packages[0].weight > 400) for r in port.asked] == [("Москва, Тверская 1", True)]
    assert order.delivery_minor == PRICE and order.total_minor == 50000 + PRICE
    # and a price sent along is not something the checkout takes
    sneaky = _place(seam, caller, client_ref="ref-2", delivery_type="courier", address="Москва", delivery_quote_minor=1)
    assert not sneaky.ok and len(_orders(session)) == 1


def test_a_pickup_point_names_the_orders_address_and_must_be_a_listed_one(session, seam, port, buyer):
    caller, _ = buyer
    # when the delivery step gets a pickup without a point, or one the provider does not list
    missing = seam.call(checkout_preview.check_delivery, caller=caller, user_lang="en", delivery_type="pickup")
    unknown = _place(seam, caller, delivery_type="pickup", point_code="NOPE")
    # then it asks for one of the points
    assert (missing.code, missing.error) == ("checkout.point_required", "Choose a pickup point.")
    assert unknown.code == "checkout.point_unknown" and _orders(session) == []
    # when a listed point is chosen, the order's address is that point as the shop writes it
    step = seam.call(checkout_preview.check_delivery, caller=caller, delivery_type="pickup", point_code="MSK2")
    order = _place(seam, caller, delivery_type="pickup", point_code="MSK2", address="typed by the page").unwrap()
    assert step.value.address == order.address == "CDEK Arbat (MSK2): Москва, Арбат 1"
    assert order.delivery_minor == PRICE


def test_the_order_carries_the_quote_of_the_delivery_step_without_asking_the_provider_again(
        session, seam, port, buyer):
    caller, _ = buyer
    # given the delivery step quoted a courier to an address
    step = seam.call(checkout_preview.check_delivery, caller=caller, delivery_type="courier", address="Москва, Арбат 1")
    assert step.value.quote.price_minor == PRICE and len(port.asked) == 1
    # when the order is placed moments later with the same cart and address
    order = _place(seam, caller, delivery_type="courier", address="Москва, Арбат 1").unwrap()
    # then it carries that price, and the provider was not asked a second time
    assert order.delivery_minor == PRICE and order.total_minor == 50000 + PRICE and len(port.asked) == 1


def test_one_short_line_of_a_cart_refuses_the_order_and_takes_no_stock_from_the_others(session, seam, port):
    # given a cart of three products, the last of which has 1 left while the cart wants 2
    products = [make_product(session, name=name, price_minor=10000, qty=qty)
                for name, qty in (("Soap", 5), ("Oil", 5), ("Balm", 1))]
    customer = make_customer(session, language="en")
    vids = [variant_id(p) for p in products]
    fill_cart(session, customer.id, {vids[0]: 1, vids[1]: 2, vids[2]: 1})
    caller = CustomerCaller(sessions_token(session, customer.id))
    session.rollback()
    from smo_app.models.catalog import Variant

    session.get(Variant, vids[2]).qty = 0  # sold at the counter meanwhile
    session.commit()
    # when the customer places the order
    out = _place(seam, caller, delivery_type="pickup")
    # then it is refused naming the product short, and the other lines' stock is untouched
    assert out.code == "cart.out_of_stock" and "Balm" in out.error
    assert [qty_of(session, v) for v in vids] == [5, 5, 0] and _orders(session) == []


def test_a_courier_needs_an_address(session, seam, port, buyer):
    caller, _ = buyer
    out = seam.call(checkout_preview.check_delivery, caller=caller, user_lang="en", delivery_type="courier")
    assert out.code == "delivery.destination_required" and out.field() == "address"
    assert _place(seam, caller, delivery_type="courier").code == "delivery.destination_required"


@pytest.mark.parametrize("lang, note", [("en", "The manager will calculate delivery"),
                                        ("ru", "Стоимость доставки рассчитает менеджер")])
def test_without_a_quote_the_order_says_the_manager_calculates_in_the_customers_language(session, seam, lang, note):
    # given no delivery provider, and a customer who speaks ``lang``
    composition.use(delivery=None)
    try:
        product = make_product(session, name="Candle", price_minor=50000, qty=5)
        customer = make_customer(session, language=lang)
        fill_cart(session, customer.id, {variant_id(product): 1})
        caller = CustomerCaller(sessions_token(session, customer.id))
        session.rollback()
        # when they place a courier order with a comment
        order = _place(seam, caller, delivery_type="courier", address="Москва", comment="Call first").unwrap()
    finally:
        composition.reset()
    # then delivery is not charged yet and the order says who will calculate it, in their language
    assert order.delivery_minor == 0 and order.comment == f"Call first\n{note}"


def test_a_repeated_summary_answers_with_its_order_without_asking_the_provider_again(session, seam, port, buyer):
    caller, _ = buyer
    first = _place(seam, caller, delivery_type="courier", address="Москва").unwrap()
    again = _place(seam, caller, delivery_type="courier", address="Москва").unwrap()
    assert again.id == first.id and len(port.asked) == 1 and len(_orders(session)) == 1


def test_the_preview_says_how_much_of_a_certificate_the_order_leaves_unused(session):
    from smo_app.services.core.actor import Actor
    from smo_app.services.sales import promotions

    # given a 1 000 ₽ cart and certificates of 3 000 ₽ and 500 ₽
    customer = make_customer(session)
    fill_cart(session, customer.id, {variant_id(make_product(session, qty=5, price_minor=100000)): 1})
    big = promotions.create_certificate(session, actor=Actor.system("test"), face_minor=300000, code="GIFT-3000")
    small = promotions.create_certificate(session, actor=Actor.system("test"), face_minor=50000, code="GIFT-500")
    me = Actor.customer(customer.id)
    # when the checkout previews each
    with_big = checkout_preview.checkout_preview(session, actor=me, certificate_code=big.code)
    with_small = checkout_preview.checkout_preview(session, actor=me, certificate_code=small.code)
    # then the big one covers the goods and leaves 2 000 ₽ that will be lost; the small one leaves nothing
    assert (with_big.pricing.certificate_minor, with_big.certificate_rest_minor) == (100000, 200000)
    assert (with_small.pricing.certificate_minor, with_small.certificate_rest_minor) == (50000, 0)
