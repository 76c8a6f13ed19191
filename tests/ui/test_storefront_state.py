"""The Mini App's page states without a browser: sign-in outcomes, deep link to a product, cart
messages, checkout placing one order per summary (the delivery quoted on the server, whatever the
page holds), my orders, repeat, bonuses with the QR."""
from __future__ import annotations

import asyncio
import inspect
import json
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.services.sales import orders as order_service
from smo_app.services.sales import promotions
from smo_app.services.customers.telegram_init_data import sign_init_data
from smo_app.settings import reset_settings_cache
from tests.commerce_factories import SYSTEM, make_product

rx = pytest.importorskip("reflex")
BOT_TOKEN = "123456:AAtestTokenOfTheShopBot"


@pytest.fixture(autouse=True)
def _bot(monkeypatch):
    monkeypatch.setenv("SMO_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SMO_DEMO", "1")  # the CDEK and DaData fakes run only in demo mode
    monkeypatch.setenv("SMO_CDEK_MODE", "fake")
    monkeypatch.setenv("SMO_DADATA_MODE", "fake")
    reset_settings_cache()
    from smo_app import composition

    composition.reset()  # the ports are built again from these settings
    yield
    composition.reset()


def _states():
    """The storefront, its cart (with the checkout's steps on the cart's substate) and account."""
    import smo_app.smo_app  # noqa: F401
    from smo_app.state.storefront import StoreState
    from smo_app.state.storefront_account import AccountState
    from smo_app.state.storefront_checkout import CheckoutState

    root = rx.State(_reflex_internal_init=True)
    get = lambda cls: root.get_substate(cls.get_full_name().split(".")[1:])  # noqa: E731
    return get(StoreState), get(CheckoutState), get(AccountState)


def _do(state, name: str, *args):
    """Run one event handler as Reflex does (coroutine or async generator) on the state that
    defines it (the checkout's substate reaches the cart's own handlers); returns what it gave."""
    while name not in type(state).event_handlers:
        state = state.parent_state
    out = type(state).event_handlers[name].fn(state, *args)

    async def drain():
        if inspect.isasyncgen(out):
            return [x async for x in out]
        return await out if inspect.iscoroutine(out) else out

    return asyncio.run(drain())


def _init_data(user_id: int, start_param: str | None = None, lang: str = "ru") -> str:
    fields = {"user": json.dumps({"id": user_id, "first_name": "Olga", "language_code": lang}),
              "auth_date": str(int(datetime.now(timezone.utc).timestamp()))}
    if start_param:
        fields["start_param"] = start_param
    return sign_init_data(fields, bot_token=BOT_TOKEN)


def test_a_deep_link_opens_the_product_after_the_server_verified_init_data(db):
    product = make_product(db, name="Свеча «Лаванда»", qty=4, variants=[
        {"label": "100 мл", "price_minor": 50000}, {"label": "200 мл", "price_minor": 90000}])
    db.rollback()  # SQLite: let the page's own transactions write
    store, _, _ = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_001, f"p{product.id}")})
    assert store.phase == "ready" and store.screen == "product"
    assert store.card["name"] == "Свеча «Лаванда»"
    assert [v["label"] for v in store.card_variants] == ["100 мл", "200 мл"]
    _do(store, "back")
    assert store.screen == "catalog" and [t["name"] for t in store.tiles] == ["Свеча «Лаванда»"]


def test_forged_init_data_shows_the_refusal_and_nobody_is_created(db):
    store, _, _ = _states()
    forged = _init_data(5_000_000_002).replace("Olga", "Boss")
    _do(store, "boot", {"initData": forged})
    assert store.phase == "refused" and "Telegram" in store.sign_in_error
    assert db.exec(select(Customer)).all() == []


def test_a_plain_browser_gets_open_in_telegram_or_in_demo_mode_a_demo_sign_in(db, monkeypatch):
    monkeypatch.delenv("SMO_DEMO")
    reset_settings_cache()
    store, _, _ = _states()
    _do(store, "boot", {})
    assert store.phase == "outside"
    monkeypatch.setenv("SMO_DEMO", "1")
    reset_settings_cache()
    _do(store, "boot", {})
    assert store.phase == "demo"
    _do(store, "demo_sign_in")
    assert store.phase == "ready" and store.signed_in


def test_cart_shows_the_services_message_when_short_and_checkout_places_one_order(db):
    product = make_product(db, name="Масло", qty=2, variants=[{"label": "10 мл", "price_minor": 45000, "weight_g": 50}])
    promotions.create_promo(db, actor=SYSTEM, code="SALE10", pct=10)
    db.rollback()
    store, cart, account = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_003, f"p{product.id}")})
    _do(store, "add_to_cart")
    assert store.cart_count == 1
    _do(cart, "show_cart")
    vid = cart.lines[0]["variant_id"]
    _do(cart, "inc", vid)
    _do(cart, "inc", vid)  # only 2 in stock
    assert cart.notice_error and "2" in cart.notice and cart.lines[0]["qty"] == "2"
    _do(cart, "apply_promo", {"promo": "sale10"})
    labels = [r["label"] for r in cart.breakdown]
    assert "Промокод" in labels and cart.total == "810\u00a0₽"
    # checkout: contacts are checked, then delivery by courier with a quote from the server
    _do(cart, "start_checkout")
    _do(cart, "set_contact", {"contact_name": "Ольга", "phone": "12"})
    assert cart.step == "contacts" and cart.step_error == "Укажите телефон: 10–15 цифр, можно с «+»."
    _do(cart, "set_contact", {"contact_name": "Ольга", "phone": "+7 999 000-11-22"})
    _do(cart, "choose_delivery", "courier")
    _do(cart, "set_delivery", {"address": "Москва, ул. Тверская, 1"})
    assert cart.step == "extras" and cart.quote_minor > 0 and "₽" in cart.quote_text
    _do(cart, "set_extras", {"certificate": "", "bonus": "", "comment": "Позвоните заранее"})
    assert cart.step == "summary" and cart.client_ref
    # a keystroke the address field sent late (it waits 400 ms) no longer changes the address
    _do(cart, "set_address", "Москва, ул. Тверск")
    assert cart.address == "Москва, ул. Тверская, 1"
    ref = cart.client_ref
    cart.quote_minor = 1  # whatever the page state says, the quote is taken again at placing
    _do(cart, "place")
    placed = db.exec(select(Order)).all()
    assert len(placed) == 1 and placed[0].client_ref == ref and placed[0].delivery_minor > 1
    assert placed[0].address == "Москва, ул. Тверская, 1" and placed[0].discount_promo_minor == 9000
    order_id = placed[0].id
    db.rollback()
    # a second tap with the same summary gives the same order, not a second one
    cart.client_ref, cart.step = ref, "summary"
    _do(cart, "place")
    db.expire_all()
    assert len(db.exec(select(Order)).all()) == 1
    db.rollback()
    # my orders shows it; a status change is what the poll digest sees
    _do(account, "show_orders")
    assert account.orders[0]["id"] == str(order_id) and account.orders[0]["status"] == "new"
    order_service.transition(db, actor=SYSTEM, order_id=order_id, to_status="paid")
    db.rollback()
    _do(account, "open_order", order_id)
    assert account.order["status"] == "paid" and account.screen == "order"


def test_the_contacts_step_remembers_the_last_order(db):
    product = make_product(db, name="Мыло", qty=10)
    db.rollback()
    store, cart, _ = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_004, f"p{product.id}")})
    _do(store, "add_to_cart")
    _do(cart, "show_cart")
    _do(cart, "start_checkout")
    _do(cart, "set_contact", {"contact_name": "Пётр", "phone": "+79990001122"})
    _do(cart, "set_delivery", {})
    if cart.step == "delivery":  # pickup points listed (as the step shows them): choose the first
        assert cart.step_error == "Выберите пункт выдачи."
        _do(cart, "refresh_options")
        _do(cart, "pick_point", cart.points[0]["code"])
        _do(cart, "set_delivery", {})
    _do(cart, "set_extras", {})
    _do(cart, "place")
    _do(store, "show_catalog")
    _do(store, "open_product", product.id)
    _do(store, "add_to_cart")
    _do(cart, "show_cart")
    cart.contact_name = cart.phone = ""
    _do(cart, "start_checkout")
    assert (cart.contact_name, cart.phone) == ("Пётр", "+79990001122")


def test_bonuses_show_a_qr_with_a_short_lived_token_not_the_customer_id(db):
    store, _, account = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_005)})
    _do(account, "show_bonuses")
    assert account.qr.startswith("data:image/svg+xml;base64,")
    customer = db.exec(select(Customer).where(Customer.telegram_id == 5_000_000_005)).one()
    assert account.referral_link.endswith(f"?start=ref{customer.id}")
    _do(account, "refresh_qr")
    assert account.qr.startswith("data:image/svg+xml;base64,")
    assert "0" in account.balance



def test_a_live_session_cookie_opens_the_catalog_on_the_first_trip_and_a_dead_one_does_not(db):
    make_product(db, name="Крем", qty=3)
    db.rollback()
    store, _, _ = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_006)})
    token = store.customer_token
    again, _, _ = _states()  # the same browser later: only the cookie comes with it
    again.customer_token = token
    _do(again, "open")
    assert again.phase == "ready" and [t["name"] for t in again.tiles] == ["Крем"]
    stranger, _, _ = _states()
    stranger.customer_token = "not-a-session"
    _do(stranger, "open")
    assert stranger.phase == "boot" and stranger.tiles == []


def test_the_first_screen_over_http_is_what_the_websocket_opens(db):
    from smo_app.services.catalog.first_screen import first_screen
    from smo_app.services.core.actor import Actor
    from smo_app.state import storefront_first_paint

    # given a customer with a live session and a shop with two products, one of them in the cart
    candle = make_product(db, name="Свеча", qty=3, variants=[{"label": "100 мл", "price_minor": 50000}])
    make_product(db, name="Мыло", qty=0)
    db.rollback()
    store, cart, _ = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_007, f"p{candle.id}")})
    _do(store, "add_to_cart")
    token = store.customer_token
    # when the page asks for its first screen over HTTP, and another tab opens the shop over the websocket
    customer = db.exec(select(Customer).where(Customer.telegram_id == 5_000_000_007)).one()
    screen = first_screen(db, actor=Actor.customer(customer.id, name=customer.full_name))
    db.rollback()
    delta = storefront_first_paint.delta(storefront_first_paint.fields(screen, "ru"))
    again, _, _ = _states()
    again.customer_token = token
    _do(again, "open")
    # then every field the HTTP answer sets is what the websocket sets
    root = again.parent_state.parent_state
    for state_name, fields in delta.items():
        state = root.get_substate(state_name.split(".")[1:])
        for field, value in fields.items():
            assert getattr(state, field.removesuffix("_rx_state_")) == value, field
    assert {f for fields in delta.values() for f in fields} >= {"tiles_rx_state_", "phase_rx_state_",
                                                                 "cart_count_rx_state_", "signed_in_rx_state_"}
    assert again.cart_count == 1 and sorted(t["name"] for t in again.tiles) == ["Мыло", "Свеча"]


def test_support_opens_the_chat_with_the_shops_bot(db):
    # given the Mini App's state
    store = _states()[0]
    # when the customer taps "Support"
    script = str(_do(store, "open_support"))
    # then Telegram is asked to open the bot's chat
    assert "openChat" in script and "https://t.me/" in script
