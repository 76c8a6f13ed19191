"""The Mini App's first screen comes with the page: a returning customer (a live session cookie)
sees the catalog in the HTML itself, before any script has run, and the page's own catalog takes
over once it has hydrated (without a hydration error) — even while the websocket has not answered
yet; a dead cookie shows nothing."""
from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from smo_app.models.catalog import Product
from smo_app.models.customer import Customer
from smo_app.services.customers.sessions import start_customer_session

pytestmark = pytest.mark.e2e
_TELEGRAM_IDS = itertools.count(1)


def _returning_customer(db_url: str) -> tuple[str, int]:
    """A customer with a live session in the app's database: (the session token, products on show)."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            customer = Customer(telegram_id=6_100_000_000 + next(_TELEGRAM_IDS), full_name="Returning")
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


def test_the_catalog_is_in_the_html_before_any_script_runs(browser, app_url, app_db_url):
    # given a returning customer
    token, shown = _returning_customer(app_db_url)
    # when the Mini App opens in a browser that runs no scripts at all
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, base_url=app_url, java_script_enabled=False)
    try:
        ctx.add_cookies([{"name": "smo_customer_session", "value": token, "url": app_url}])
        page = ctx.new_page()
        page.goto("/")
        # then the server has drawn the catalog's first page where the spinner would be
        drawn = page.locator("[data-preview-product]")
        expect(drawn.first).to_be_visible()
        assert drawn.count() == min(shown, 20)
        expect(drawn.first).to_contain_text("₽")
        expect(page.locator("#sf-loading")).to_be_hidden()
    finally:
        ctx.close()


def test_the_page_takes_over_the_drawn_catalog_without_a_hydration_error(new_page, app_url, app_db_url):
    # given a returning customer
    token, shown = _returning_customer(app_db_url)
    page = new_page(390, 844)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.context.add_cookies([{"name": "smo_customer_session", "value": token, "url": app_url}])
    # when the Mini App opens with scripts
    page.goto("/")
    # then the page's own tiles replace the drawn ones, and they work
    tiles = page.locator("[data-product]")
    expect(tiles.first).to_be_visible()
    expect(page.locator("#sf-first-screen")).to_have_count(0)
    assert tiles.count() == min(shown, 20) and page.locator("[data-preview-product]").count() == 0
    tiles.first.click()
    expect(page.locator("#sf-back")).to_be_visible()
    # and React hydrated the server's HTML as it was (a mismatch is logged as an error)
    assert problems == []


def test_a_dead_cookie_opens_nothing_over_http(new_page, app_url):
    # when the Mini App opens with a cookie no session stands behind, the websocket held
    page = _open_with_the_websocket_held(new_page, app_url, "not-a-session")
    # then it keeps waiting for the websocket's sign-in: no catalog, no tab bar
    expect(page.locator("#sf-loading")).to_be_visible()
    page.wait_for_timeout(1000)
    assert page.locator("[data-product]").count() == 0 and page.locator("#sf-tab-cart").count() == 0
    assert page.locator("[data-preview-product]").count() == 0
