"""Two backend workers sharing their state in Redis, on PostgreSQL, as production runs with several
workers: a POS cart and a Mini App checkout outlive the page's websocket dropping and coming back on
the other worker (tests/e2e/reconnect.py drops it without the server noticing, as a network blip
does), and the sale / the order then goes through exactly once."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.orders import Order, OrderLine
from smo_app.models.pos import PosSale
from tests import db_support
from tests.e2e.conftest import pages, serve_app, shot
from tests.e2e.helpers import register_as_found, sign_in_pos
from tests.e2e.reconnect import DROPPABLE_SOCKETS, reconnect_to_the_other_worker, session_token

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of this journey's own, emptied before and after
TABLET = "Планшет у входа"


@dataclass(frozen=True)
class Shop:
    url: str
    port: int
    db_url: str


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return client


@pytest.fixture(scope="module")
def shop():
    """The demo shop on a PostgreSQL database of its own, served by two workers with Redis state."""
    reason = db_support.pg_unavailable_reason()
    if reason:
        pytest.skip(reason)
    redis_db = _redis()
    redis_db.flushdb()
    db_url = db_support.create_pg_database("smo_e2e_reconnect")
    try:
        with serve_app(db_url, {"SMO_REDIS_URL": REDIS_URL, "GRANIAN_WORKERS": "2"},
                       log_name="e2e-reconnect.log") as base:
            yield Shop(url=base, port=urlparse(base).port, db_url=db_url)
    finally:
        db_support.drop_pg_database(db_url)
        redis_db.flushdb()
        redis_db.close()


def _count(db_url: str, query) -> int:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return s.exec(query).one()
    finally:
        engine.dispose()


def test_a_pos_cart_outlives_a_reconnect_to_the_other_worker_and_sells_once(browser, shop):
    with register_as_found(shop.db_url, tablets=(TABLET,), shift="open"), pages(browser, shop.url) as make:
        # given a tablet signed in, with two items in its cart and the cash tendered
        page = make(1180, 820)
        page.add_init_script(DROPPABLE_SOCKETS)
        sign_in_pos(page, "Сергей Иванов", "4444")
        expect(page).to_have_url(re.compile(r"/pos/?$"))
        page.locator(".pos-known-device", has_text=TABLET).click()
        expect(page.locator("#pos-device")).to_have_text(TABLET)
        page.locator(".pos-product").nth(0).click()
        expect(page.locator(".cart-line")).to_have_count(1)
        page.locator(".pos-product").nth(1).click()
        expect(page.locator(".cart-line")).to_have_count(2)
        page.locator("#pos-all-cash").click()
        cash = page.get_by_label("Наличными дали, ₽")
        expect(cash).not_to_have_value("")
        lines, total, tendered = page.locator(".cart-line").all_inner_texts(), page.locator("#pos-total").inner_text(), cash.input_value()
        token = session_token(page)

        def unchanged() -> None:
            expect(page.locator("#pos-device")).to_have_text(TABLET)
            expect(page.locator(".cart-line")).to_have_count(2)
            assert page.locator(".cart-line").all_inner_texts() == lines
            expect(page.locator("#pos-total")).to_have_text(total)
            expect(cash).to_have_value(tendered)
            assert session_token(page) == token  # the same session, not a fresh one

        # when the network drops and the page reconnects, until it lands on the other worker
        print(f"[reconnect] POS sockets landed on workers {reconnect_to_the_other_worker(page, shop.port, unchanged)}")
        shot(page, "reconnect-pos-after")
        # then the sale goes through once
        before = _count(shop.db_url, select(func.count(PosSale.id)))
        page.get_by_role("button", name="Оплатить", exact=True).click()
        expect(page).to_have_url(re.compile(r"/pos/receipt"))
        assert _count(shop.db_url, select(func.count(PosSale.id))) == before + 1


def test_a_mini_app_checkout_outlives_a_reconnect_to_the_other_worker_and_places_one_order(browser, shop):
    name = f"Ольга Реконнект {uuid.uuid4().hex[:6]}"
    with pages(browser, shop.url) as make:
        # given a customer in a plain browser signed in as the demo customer, one item in the cart
        page = make(390, 844)
        page.add_init_script(DROPPABLE_SOCKETS)
        page.goto("/")
        page.get_by_role("button", name="Войти как демо-покупатель").click()
        page.locator('[data-product][data-stock="in_stock"]').first.click()
        page.locator('[data-variant][aria-disabled="false"]').first.click()
        page.locator("#sf-add").click()
        expect(page.locator("#sf-cart-count")).not_to_have_text("0")
        page.locator("#sf-tab-cart").click()
        expect(page.locator("[data-line]")).not_to_have_count(0)
        cart = page.locator("[data-line]").all_inner_texts()
        # and the checkout filled in up to its summary: contacts, a pickup point, no extras
        page.locator("#sf-checkout").click()
        page.locator("#sf-name").fill(name)
        page.locator("#sf-phone").fill("+7 999 000-24-24")
        page.locator("#sf-next").click()
        page.locator("#sf-kind-pickup").click()
        point = page.locator("[data-point]").first
        point.click()
        expect(point).to_have_attribute("aria-checked", "true")
        page.locator("#sf-next").click()
        expect(page.locator("#sf-certificate")).to_be_visible()
        page.locator("#sf-next").click()
        expect(page.locator("#sf-payment-step")).to_be_visible()
        total, token = page.locator("#sf-total").inner_text(), session_token(page)  # the total with delivery

        def unchanged() -> None:
            expect(page.locator("#sf-payment-step")).to_be_visible()
            expect(page.locator("#sf-total")).to_have_text(total)
            expect(page.locator("#sf-place")).to_be_enabled()
            assert session_token(page) == token

        # when the network drops and the page reconnects, until it lands on the other worker
        print(f"[reconnect] Mini App sockets landed on workers {reconnect_to_the_other_worker(page, shop.port, unchanged)}")
        shot(page, "reconnect-miniapp-summary")
        # then the checkout goes on: placing it (tapped twice) makes one order of the same cart
        page.locator("#sf-place").dblclick()
        expect(page.locator("#sf-order-title")).to_contain_text("Заказ №")
        assert _count(shop.db_url, select(func.count(Order.id)).where(Order.contact_name == name)) == 1
        # of the cart as it was before the drops
        lines = select(func.count(OrderLine.id)).join(Order, Order.id == OrderLine.order_id).where(Order.contact_name == name)
        assert _count(shop.db_url, lines) == len(cart)
