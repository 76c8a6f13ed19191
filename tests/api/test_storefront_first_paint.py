"""GET /api/storefront/first-paint: the Mini App's first screen over plain HTTP, for the customer
behind the session cookie only, with the server's prices and without hidden items."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app.models.base import utcnow
from smo_app.models.customer_session import CustomerSession
from smo_app.services.catalog import products as catalog
from smo_app.services.customers import sessions as customer_sessions
from tests.commerce_factories import SYSTEM, fill_cart, make_product
from tests.factories import make_customer

pytest.importorskip("reflex")
STORE = "smo_app___state___storefront____store_state"
CUSTOMER = "smo_app___state___customer_session____customer_session_state"


@pytest.fixture
def client(app_client):
    return app_client


def _ask(client, token: str | None, lang: str | None = None):
    cookies = {k: v for k, v in (("smo_customer_session", token), ("smo_customer_lang", lang)) if v}
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    response = client.get("/api/storefront/first-paint")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    delta = response.json()["delta"]
    store = next(v for k, v in delta.items() if k.endswith(STORE))
    customer = next((v for k, v in delta.items() if k.endswith(CUSTOMER)), {})
    return store, customer


def test_a_live_session_gets_the_first_catalog_page_with_server_prices_and_no_hidden_items(client, session):
    # given a shop with one product on show, one hidden, and a signed-in customer with one unit in the cart
    shown = make_product(session, name="Candle", price_minor=123450, qty=3)
    make_product(session, name="Secret", qty=3, hidden=True)
    customer = make_customer(session, full_name="Olga")
    token = customer_sessions.start_customer_session(session, customer_id=customer.id)
    fill_cart(session, customer.id, {shown.variants[0].id: 1})
    # when the page asks for its first screen with the session cookie, in English
    store, who = _ask(client, token, "en")
    # then it gets the catalog as the state's fields: the shown product only, priced by the server
    assert store["phase_rx_state_"] == "ready" and store["screen_rx_state_"] == "catalog"
    assert [(t["name"], t["price"]) for t in store["tiles_rx_state_"]] == [("Candle", "1,234.50\u00a0₽")]
    assert store["cart_count_rx_state_"] == 1
    assert who == {"signed_in_rx_state_": True, "customer_name_rx_state_": "Olga"}


@pytest.mark.parametrize("how", ["none", "unknown", "revoked", "expired"])
def test_without_a_live_session_only_the_shop_name_comes_back(client, session, how):
    make_product(session, name="Candle", qty=3)
    customer = make_customer(session)
    token = customer_sessions.start_customer_session(session, customer_id=customer.id)
    if how == "revoked":
        customer_sessions.end_customer_session(session, token=token)
    elif how == "expired":
        row = session.exec(select(CustomerSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    store, who = _ask(client, {"none": None, "unknown": "made-up"}.get(how, token))
    assert list(store) == ["shop_name_rx_state_"] and who == {}


def test_asking_reads_only_and_stamps_a_stale_session_once(client, session):
    # given a session last seen ten minutes ago
    customer = make_customer(session)
    token = customer_sessions.start_customer_session(session, customer_id=customer.id,
                                                     now=utcnow() - timedelta(minutes=10))

    def last_seen():
        session.expire_all()
        seen = session.exec(select(CustomerSession)).one().last_seen_at
        session.rollback()
        return seen

    before = last_seen()
    # when the page asks twice, the stamp moves once
    _ask(client, token)
    after = last_seen()
    _ask(client, token)
    assert after - before >= timedelta(minutes=9) and last_seen() == after


def test_a_hidden_category_stays_hidden(client, session):
    secret = catalog.create_category(session, actor=SYSTEM, name="Secret shelf", hidden=True)
    make_product(session, name="Under the counter", category_id=secret.id, qty=2)
    customer = make_customer(session)
    token = customer_sessions.start_customer_session(session, customer_id=customer.id)
    store, _ = _ask(client, token)
    assert store["tiles_rx_state_"] == [] and store["categories_rx_state_"] == []
