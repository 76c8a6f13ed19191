"""The Mini App's first screen as one read (services/catalog/first_screen.py), through the calling
seam with an optional customer — on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from smo_app.calling import CustomerCaller, Seam, opener_from_factory
from smo_app.models.staff import Role
from smo_app.services.catalog.first_screen import FIRST_PAGE, first_screen
from smo_app.services.core import shop_config
from smo_app.services.customers import sessions
from tests.commerce_factories import fill_cart, make_product, variant_id
from tests.factories import make_customer, make_staff


@pytest.fixture
def seam(engine) -> Seam:
    return Seam(opener_from_factory(lambda: Session(engine, expire_on_commit=False)), origin="test")


def test_a_signed_in_customer_gets_the_shop_their_catalog_page_and_cart_count(session, seam):
    # given a named shop with a product on show, one hidden, and a customer with 3 units in the cart
    owner = make_staff(session, Role.owner)
    shop_config.update_config(session, actor=owner.actor(), changes={"shop_name": "Аромалавка"})
    candle = make_product(session, name="Candle", qty=5)
    make_product(session, name="Secret", qty=5, hidden=True)
    customer = make_customer(session, full_name="Olga")
    fill_cart(session, customer.id, {variant_id(candle): 3})
    token = sessions.start_customer_session(session, customer_id=customer.id)
    session.rollback()
    # when the first screen is read with their session cookie
    out = seam.call(first_screen, caller=CustomerCaller(token, optional=True), readonly=True)
    # then it is the shop, the customer, the products on show priced for them and the cart's units
    screen = out.unwrap()
    assert (screen.shop_name, screen.customer_name, screen.signed_in, screen.cart_count) == (
        "Аромалавка", "Olga", True, 3)
    assert [p.name for p in screen.catalog.products] == ["Candle"] and screen.shop_language == "ru"


@pytest.mark.parametrize("cookie", ["", "made-up", "revoked"])
def test_without_a_live_session_only_the_shop_comes(session, seam, cookie):
    make_product(session, name="Candle", qty=5)
    customer = make_customer(session)
    if cookie == "revoked":
        cookie = sessions.start_customer_session(session, customer_id=customer.id)
        sessions.end_customer_session(session, token=cookie)
    session.rollback()
    screen = seam.call(first_screen, caller=CustomerCaller(cookie, optional=True), readonly=True).unwrap()
    assert not screen.signed_in and screen.catalog is None and screen.cart_count == 0 and screen.shop_name


def test_the_first_page_is_a_page_and_says_there_is_more(session, seam):
    for i in range(FIRST_PAGE + 1):
        make_product(session, name=f"Sachet {i:02}", qty=1, position=i)
    token = sessions.start_customer_session(session, customer_id=make_customer(session).id)
    session.rollback()
    screen = seam.call(first_screen, caller=CustomerCaller(token, optional=True), readonly=True).unwrap()
    assert len(screen.catalog.products) == FIRST_PAGE and screen.catalog.has_more
