"""GET /: the Mini App's page comes with its first screen in the HTML — the first-paint data for the
page's script and, for a signed-in customer, the catalog's first page drawn as plain HTML — cut
from the production build's prerendered page (a stand-in page here; the Chromium journey serves
the real one)."""
from __future__ import annotations

import json
import re

import pytest

from smo_app.api import storefront_page
from smo_app.services.customers import sessions as customer_sessions
from tests.commerce_factories import fill_cart, make_product
from tests.factories import make_customer

pytest.importorskip("reflex")

# what the build prerenders around the two slots (smo_app/components/storefront.py)
BUILT = ('<!DOCTYPE html><html><head><link rel="modulepreload" href="/assets/x.js"></head><body>'
         '<div class="rt-Box"><div hidden="" id="sf-first-data"></div><script>/* fetch fallback */</script>'
         '<h1 id="shop-name">smo</h1><div class="rt-Box"><div id="sf-first-screen"></div>'
         '<div id="sf-loading">spinner</div></div></div></body></html>')


@pytest.fixture
def built(tmp_path, monkeypatch):
    page = tmp_path / "index.html"
    page.write_text(BUILT, encoding="utf-8")
    monkeypatch.setattr(storefront_page, "built_page_path", lambda: page)
    return page


@pytest.fixture
def client(app_client):
    return app_client


def _open(client, token: str | None = None, lang: str | None = None, **headers) -> str:
    client.cookies.clear()
    for name, value in (("smo_customer_session", token), ("smo_customer_lang", lang)):
        if value:
            client.cookies.set(name, value)
    response = client.get("/", headers=headers)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _screen(page: str) -> str:
    return re.search(r'<div id="sf-first-screen">(.*)</div><div id="sf-loading">', page).group(1)


def _data(page: str) -> dict:
    found = re.search(r"window.__smoFirstPaintBody=(.*?);window.__smoFirstPaint=", page)
    return json.loads(found.group(1))["delta"]


def test_a_signed_in_customer_gets_the_catalog_in_the_html(client, built, session):
    # given a shop with a product on show, one out of stock, one hidden, and a signed-in customer
    candle = make_product(session, name="Candle", price_minor=123450, qty=3)
    make_product(session, name="Soap", price_minor=50000, qty=0)
    make_product(session, name="Secret", qty=3, hidden=True)
    customer = make_customer(session)
    token = customer_sessions.start_customer_session(session, customer_id=customer.id)
    fill_cart(session, customer.id, {candle.variants[0].id: 2})
    # when the Mini App's page is opened with the session cookie, in English
    page = _open(client, token, "en")
    # then the products on show are drawn where the spinner would be, with the server's prices
    screen = _screen(page)
    assert re.findall(r'data-preview-product="\d+"', screen) and "Candle" in screen and "1,234.50" in screen
    assert "Soap" in screen and "Out of stock" in screen and "Secret" not in screen
    # and the same first screen comes as data for the page's script, ahead of its own fetch
    assert page.index("__smoFirstPaintBody") < page.index("/* fetch fallback */")
    store = next(v for k, v in _data(page).items() if k.endswith("store_state"))
    assert {t["name"] for t in store["tiles_rx_state_"]} == {"Candle", "Soap"}
    # and the tab bar is drawn with them, the cart's count on its tab
    assert screen.count('class="sf-tab"') == 5 and "Catalog" in screen and "Book" in screen
    assert '<span class="sf-chip sf-chip-accent">2</span>' in screen
    # and the header carries the shop's name; everything else on the page is the build's, unchanged
    name = re.search(r'<h1 id="shop-name">([^<]*)</h1>', page).group(1)
    assert name == store["shop_name_rx_state_"] != ""
    rest = page.replace(_screen(page), "").replace(re.search(r"<script>window.*?</script>", page).group(0), "")
    assert rest == BUILT.replace(">smo</h1>", f">{name}</h1>")


def test_a_visitor_without_a_session_gets_the_spinner_and_only_the_shop_name(client, built, session):
    make_product(session, name="Candle", qty=3)
    for token in (None, "not-a-session"):
        page = _open(client, token)
        assert _screen(page) == "" and "Candle" not in page
        store = next(v for k, v in _data(page).items() if k.endswith("store_state"))
        assert set(store) == {"shop_name_rx_state_"}


def test_product_names_cannot_break_out_of_the_page(client, built, session):
    # given a product whose name is markup
    make_product(session, name='</script><img src=x onerror="alert(1)">', qty=3)
    token = customer_sessions.start_customer_session(session, customer_id=make_customer(session).id)
    # when the page is served
    page = _open(client, token)
    # then the name is text in the drawn screen and inside the data script
    assert "<img src=x" not in page and "</script><img" not in page
    assert "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in _screen(page)
    store = next(v for k, v in _data(page).items() if k.endswith("store_state"))
    assert store["tiles_rx_state_"][0]["name"] == '</script><img src=x onerror="alert(1)">'


def test_the_page_is_compressed_when_the_browser_accepts_it(client, built, session):
    make_product(session, name="Candle", qty=3)
    token = customer_sessions.start_customer_session(session, customer_id=make_customer(session).id)
    client.cookies.set("smo_customer_session", token)
    response = client.get("/", headers={"accept-encoding": "gzip"})
    # (the test client un-gzips on its own: the header says it was sent compressed)
    assert response.headers["content-encoding"] == "gzip" and "Candle" in response.text
    raw = client.get("/", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and "Candle" in raw.text


def test_without_a_production_build_the_route_steps_aside(client, tmp_path, monkeypatch):
    monkeypatch.setattr(storefront_page, "built_page_path", lambda: tmp_path / "missing.html")
    assert client.get("/").status_code == 404


def test_a_build_without_the_slots_is_served_as_built(client, tmp_path, monkeypatch):
    page = tmp_path / "index.html"
    page.write_text("<html><body><h1>shop</h1></body></html>", encoding="utf-8")
    monkeypatch.setattr(storefront_page, "built_page_path", lambda: page)
    response = client.get("/")
    assert response.status_code == 200 and response.text == "<html><body><h1>shop</h1></body></html>"


def test_a_page_without_the_slots_is_refused_loudly(tmp_path):
    with pytest.raises(ValueError, match="sf-first-data"):
        storefront_page.PageTemplate('<html><body><div id="sf-first-screen"></div></body></html>')
    with pytest.raises(ValueError, match="shop's name"):
        storefront_page.PageTemplate(BUILT.replace('id="shop-name"', 'id="title"'))


def test_after_a_restart_the_page_speaks_the_shops_language_not_the_environments(client, built, session):
    # given an owner who set the shop's language to English (the environment says Russian)
    from smo_app.models.staff import Role
    from smo_app.services.core import shop_config, shop_locale
    from tests.factories import make_staff

    shop_config.update_config(session, actor=make_staff(session, Role.owner).actor(), changes={"language": "en"})
    make_product(session, name="Candle", qty=3)
    token = customer_sessions.start_customer_session(session, customer_id=make_customer(session).id)
    # and a web app just restarted: nothing read from the settings yet
    shop_locale.invalidate()
    # when a customer who never chose a language opens the Mini App
    page = _open(client, token)
    # then the drawn first screen is in English
    assert "Search by name" in _screen(page) and "Catalog" in _screen(page)
