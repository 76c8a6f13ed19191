"""The Mini App's first screen comes over plain HTTP: a returning customer (a live session cookie)
sees the catalog even while the websocket has not answered yet; a dead cookie shows nothing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from smo_app.models.catalog import Product
from smo_app.models.customer import Customer
from smo_app.services.customers.sessions import start_customer_session

pytestmark = pytest.mark.e2e


def _returning_customer(db_url: str) -> tuple[str, int]:
    """A customer with a live session in the app's database: (the session token, products on show)."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            customer = Customer(telegram_id=6_100_000_001, full_name="Returning")
            s.add(customer)
            s.commit()
            token = start_customer_session(s, customer_id=customer.id)
            shown = len(s.exec(select(Product).where(Product.hidden == False)).all())  # noqa: E712
        return token, shown
    finally:
        engine.dispose()


def _open_with_the_websocket_held(new_page, app_url: str, cookie: str):
    page = new_page(390, 844)
    page.route_web_socket("**/_event/**", lambda ws: None)  # the socket opens, the server never answers
    page.context.add_cookies([{"name": "smo_customer_session", "value": cookie, "url": app_url}])
    page.goto("/")
    return page


def test_a_returning_customer_sees_the_catalog_before_the_websocket_answers(new_page, app_url, app_db_url):
    # given a customer who signed in before (the session cookie is all the browser brings)
    token, shown = _returning_customer(app_db_url)
    # when the Mini App opens and its websocket does not answer
    page = _open_with_the_websocket_held(new_page, app_url, token)
    # then the catalog's first page is there anyway, with the server's prices and the tab bar
    tiles = page.locator("[data-product]")
    expect(tiles.first).to_be_visible()
    assert tiles.count() == min(shown, 20)
    expect(tiles.first).to_contain_text("₽")
    expect(page.locator("#sf-tab-cart")).to_be_visible()


def test_a_dead_cookie_opens_nothing_over_http(new_page, app_url):
    # when the Mini App opens with a cookie no session stands behind, the websocket held
    page = _open_with_the_websocket_held(new_page, app_url, "not-a-session")
    # then it keeps waiting for the websocket's sign-in: no catalog, no tab bar
    expect(page.locator("#sf-loading")).to_be_visible()
    page.wait_for_timeout(1000)
    assert page.locator("[data-product]").count() == 0 and page.locator("#sf-tab-cart").count() == 0
