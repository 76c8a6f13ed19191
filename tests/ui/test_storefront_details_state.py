"""Mini App details without a browser: a sold-out variant is marked and cannot be added (notify me
instead), the cart's unit price is the one the card showed (after the product's discount), a bonus
spend above what may be spent is clamped with a message, and a certificate's forfeited rest is
said before placing."""
from __future__ import annotations

from sqlmodel import select

from smo_app.models.customer import Customer
from smo_app.services.customers import loyalty
from smo_app.services.sales import promotions
from smo_app.services.stock import supplies
from tests.commerce_factories import SYSTEM, make_product, supplier_id
from tests.ui.test_storefront_state import _bot, _do, _init_data, _states  # noqa: F401  (_bot: the test bot token)


def _open(db, telegram_id: int, product_id: int):
    store, cart, account = _states()
    _do(store, "boot", {"initData": _init_data(telegram_id, f"p{product_id}")})
    return store, cart, account


def _to_extras(cart) -> None:
    _do(cart, "show_cart")
    _do(cart, "start_checkout")
    _do(cart, "set_contact", {"contact_name": "Ольга", "phone": "+79990001122"})
    _do(cart, "choose_delivery", "courier")
    _do(cart, "set_delivery", {"address": "Москва, ул. Тверская, 1"})
    assert cart.step == "extras", cart.step_error


def test_a_sold_out_variant_is_marked_not_chosen_and_offers_notify_me(db):
    # given a candle whose 100 ml is in stock and whose 200 ml is sold out
    product = make_product(db, name="Свеча", variants=[{"label": "100 мл", "price_minor": 50000},
                                                       {"label": "200 мл", "price_minor": 90000}])
    small, big = product.variants
    supplies.receive_supply(db, actor=SYSTEM, supplier_id=supplier_id(db),
                            items=[{"variant_id": small.id, "qty": 3, "total_minor": 60000}])
    db.rollback()
    store, cart, _ = _open(db, 5_000_100_001, product.id)
    # when the card opens, the in-stock option is chosen and the sold-out one is marked
    assert store.screen == "product" and store.variant_id == small.id
    marks = {v["label"]: v["in_stock"] for v in store.card_variants}
    assert marks == {"100 мл": "1", "200 мл": ""}
    # when the customer taps the sold-out option, it is not chosen and they are told why
    _do(store, "choose_variant", str(big.id))
    assert store.variant_id == small.id and store.notice_error and "нет в наличии" in store.notice
    # and add-to-cart adds the available option, never the sold-out one
    _do(store, "add_to_cart")
    _do(cart, "show_cart")
    assert [line["label"] for line in cart.lines] == ["100 мл"]
    # notify me is what the sold-out option offers
    _do(store, "notify_me", str(big.id))
    assert next(v for v in store.card_variants if v["id"] == str(big.id))["subscribed"] == "1"


def test_when_every_variant_is_sold_out_nothing_is_chosen(db):
    product = make_product(db, name="Мыло", variants=[{"label": "кусок", "price_minor": 30000}])
    db.rollback()
    store, cart, _ = _open(db, 5_000_100_002, product.id)
    assert store.variant_id == 0  # the add button is disabled on 0
    _do(store, "add_to_cart")
    _do(cart, "refresh_count")
    assert store.cart_count == 0


def test_the_cart_shows_the_unit_price_the_card_showed(db):
    # given a product at 1 000 ₽ with a 15 % discount
    product = make_product(db, name="Духи", qty=5, price_minor=100000, discount_pct=15)
    db.rollback()
    store, cart, _ = _open(db, 5_000_100_003, product.id)
    card_price = store.card_variants[0]["price"]
    assert card_price == "850\u00a0₽" and store.card_variants[0]["old_price"] == "1\u00a0000\u00a0₽"
    # when two go into the cart, each line shows 850 ₽ a piece (1 000 ₽ struck through) and 1 700 ₽ in all
    _do(store, "add_to_cart")
    _do(store, "add_to_cart")
    _do(cart, "show_cart")
    line = cart.lines[0]
    assert (line["unit"], line["unit_old"], line["sum"]) == (card_price, "1\u00a0000\u00a0₽", "1\u00a0700\u00a0₽")


def test_too_many_bonuses_are_clamped_with_a_message(db):
    product = make_product(db, name="Крем", qty=5, price_minor=100000)
    db.rollback()
    store, cart, _ = _open(db, 5_000_100_004, product.id)
    customer = db.exec(select(Customer).where(Customer.telegram_id == 5_000_100_004)).one()
    loyalty.adjust_bonuses(db, actor=SYSTEM, customer_id=customer.id, delta_minor=50000, note="gift")
    db.rollback()
    _do(store, "add_to_cart")
    _to_extras(cart)
    # when the customer asks to spend 99 999 999 bonuses on a 1 000 ₽ order (the cap is 30 %)
    _do(cart, "set_extras", {"certificate": "", "bonus": "99999999", "comment": ""})
    # then the summary opens with 300 ₽ spent, and the message says what was asked and what is spent
    assert cart.step == "summary" and cart.bonus_text == "300"
    assert "99\u00a0999\u00a0999" in cart.notice and "300\u00a0₽" in cart.notice and not cart.notice_error
    assert {r["label"]: r["amount"] for r in cart.breakdown}["Бонусы"].endswith("300\u00a0₽")


def _at_extras_with_a_certificate(db, telegram_id: int, *, face_minor: int, code: str):
    """A customer with a 1 000 ₽ product in the cart at the checkout's extras step, and a certificate."""
    product = make_product(db, name=f"Лосьон {code}", qty=5, price_minor=100000)
    cert = promotions.create_certificate(db, actor=SYSTEM, face_minor=face_minor, code=code)
    db.rollback()
    store, cart, _ = _open(db, telegram_id, product.id)
    _do(store, "add_to_cart")
    _to_extras(cart)
    return cart, cert


def test_a_certificates_rest_is_warned_about_before_placing(db):
    cart, cert = _at_extras_with_a_certificate(db, 5_000_100_005, face_minor=300000, code="GIFT-BIG")
    # when a 3 000 ₽ certificate is applied to a 1 000 ₽ order
    _do(cart, "set_extras", {"certificate": cert.code, "bonus": "", "comment": ""})
    # then the summary warns that 2 000 ₽ of it will be lost
    assert cart.step == "summary"
    assert "2\u00a0000\u00a0₽" in cart.certificate_warning and "1\u00a0000\u00a0₽" in cart.certificate_warning
    # and a certificate that the order uses whole gives no warning
    small = promotions.create_certificate(db, actor=SYSTEM, face_minor=50000, code="GIFT-SMALL")
    db.rollback()
    _do(cart, "edit_step", "extras")
    _do(cart, "set_extras", {"certificate": small.code, "bonus": "", "comment": ""})
    assert cart.step == "summary" and cart.certificate_warning == ""


def test_a_wrong_certificate_code_is_said_under_the_form_and_cleared_by_the_right_one(db):
    cart, cert = _at_extras_with_a_certificate(db, 5_000_100_007, face_minor=50000, code="GIFT-OK")
    # when the customer types a code that does not exist
    _do(cart, "set_extras", {"certificate": "GIFT-TYPO", "bonus": "", "comment": ""})
    # then they stay on the step and the form says why (not a notice that outlives the answer)
    assert cart.step == "extras" and "Сертификат не найден" in cart.step_error and not cart.notice_error
    # when they correct it, the summary shows the certificate and no refusal is left on screen
    _do(cart, "set_extras", {"certificate": cert.code, "bonus": "", "comment": ""})
    assert cart.step == "summary" and cart.step_error == "" and not cart.notice_error
    assert {r["label"]: r["amount"] for r in cart.breakdown}["Сертификат"].endswith("500 ₽")


def test_a_reload_mid_checkout_stays_on_the_step_and_back_walks_the_screens(db):
    product = make_product(db, name="Гель", qty=5, price_minor=70000)
    db.rollback()
    init = _init_data(5_000_100_006, f"p{product.id}")
    store, cart, _ = _states()
    _do(store, "boot", {"initData": init})
    # given the product card opened from a link: one screen deep, Back leads to the catalog
    assert (store.screen, store.history) == ("product", ["catalog"])
    _do(store, "add_to_cart")
    _to_extras(cart)
    _do(cart, "edit_step", "delivery")
    assert (cart.screen, cart.step, cart.history) == ("checkout", "delivery", ["cart"])
    # when the page is reloaded inside Telegram (the page's token finds the same state: open, then boot)
    _do(store, "open")
    _do(store, "boot", {"initData": init})
    # then the customer is still on the checkout's delivery step with what they typed, not on the product
    assert (cart.screen, cart.step, cart.contact_name, cart.address) == ("checkout", "delivery", "Ольга",
                                                                         "Москва, ул. Тверская, 1")
    assert store.cart_count == 1
    # and Back walks back through the screens: checkout → cart → catalog, never out of the app
    _do(store, "back")
    assert store.screen == "cart"
    _do(store, "back")
    assert store.screen == "catalog" and store.history == []


def test_a_fresh_open_from_the_link_still_opens_the_product(db):
    product = make_product(db, name="Шампунь", qty=5)
    db.rollback()
    store, _, _ = _states()
    _do(store, "open")
    _do(store, "boot", {"initData": _init_data(5_000_100_007, f"p{product.id}")})
    assert store.screen == "product" and store.card["name"] == "Шампунь"


def test_pickup_points_come_nearest_first_with_distances_once_the_location_is_known(db):
    product = make_product(db, name="Соль для ванн", qty=5)
    db.rollback()
    store, cart, _ = _open(db, 5_000_100_008, product.id)
    _do(store, "add_to_cart")
    _do(cart, "show_cart")
    _do(cart, "start_checkout")
    _do(cart, "set_contact", {"contact_name": "Ольга", "phone": "+79990001122"})
    _do(cart, "refresh_options")
    assert cart.delivery_type == "pickup" and cart.points
    # given no location allowed: the points as the provider lists them, nothing said
    _do(cart, "got_known_location", None)
    assert cart.notice == "" and all(p["distance"] == "" for p in cart.points)
    # when the customer had allowed their location (Telegram's LocationManager or the browser)
    _do(cart, "got_known_location", {"lat": 55.7558, "lon": 37.6173})
    # then each point shows its distance, nearest first
    kms = [float(p["distance"].split()[0].replace(",", ".")) for p in cart.points]
    assert kms and kms == sorted(kms) and all(p["distance"].endswith("км") for p in cart.points)


def test_a_reload_in_a_plain_browser_with_the_session_cookie_keeps_the_screen(db):
    product = make_product(db, name="Бальзам", qty=3)
    db.rollback()
    first, _, _ = _states()
    _do(first, "boot", {"initData": _init_data(5_000_100_009)})
    # given the same browser later, opened by its session cookie only (no Telegram)
    store, cart, _ = _states()
    store.customer_token = first.customer_token
    _do(store, "open")
    _do(store, "boot", {})
    assert store.phase == "ready" and store.screen == "catalog"
    _do(store, "open_product", product.id)
    _do(store, "add_to_cart")
    _do(cart, "show_cart")
    # when the page is reloaded on the cart
    _do(store, "open")
    _do(store, "boot", {})
    # then it is still the cart, with its line
    assert cart.screen == "cart" and [line["name"] for line in cart.lines] == ["Бальзам"]
