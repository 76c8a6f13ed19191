"""/start, deep links (ref, p, link_) and every main-menu item, from raw updates (CO1, CO2, CR4)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.customer import Customer
from smo_app.services.customers import tracking
from smo_app.services.core.actor import Actor
from smo_app.services.bot.menu import MENU_ITEMS
from smo_app.services.core.shop_config import update_config
from tests.bot.conftest import buttons_of, callback_update, feed, message_update


def _customer(session, uid):
    session.expire_all()
    c = session.exec(select(Customer).where(Customer.telegram_id == uid)).one()
    session.expunge(c)
    session.rollback()  # SQLite: every transaction holds the write lock; let the bot write
    return c


def test_start_registers_customer_and_greets_with_menu(settings, session_factory, session, fake_tg):
    # given a new Telegram user
    # when they send /start
    feed(settings, session_factory, message_update(501, "/start", username="anna"))
    # then a customer exists with their id, username, name, language and first-seen time
    c = _customer(session, 501)
    assert (c.username, c.full_name, c.language) == ("anna", "Anna", "ru")
    assert c.first_seen_at is not None
    # and the greeting (Russian, from settings, with cart and bonus figures) carries the main menu
    [call] = fake_tg.sent(501)
    assert "Привет, Anna" in call["params"]["text"] and "В корзине: 0" in call["params"]["text"]
    buttons = buttons_of(call)
    assert buttons[0]["web_app"]["url"] == "https://shop.example"
    assert {b["callback_data"] for b in buttons[1:]} == {f"m:{i}" for i in MENU_ITEMS}


def test_start_again_updates_profile_and_english_user_gets_english(settings, session_factory, session, fake_tg):
    # given a known customer
    feed(settings, session_factory, message_update(502, "/start"))
    first_seen = _customer(session, 502).first_seen_at
    # when they come back with another username and an English client
    feed(settings, session_factory, message_update(502, "/start", lang="en", username="new_name"))
    # then the row is updated, not duplicated, and the menu is in English
    c = _customer(session, 502)
    assert (c.username, c.language, c.first_seen_at) == ("new_name", "en", first_seen)
    assert len(session.exec(select(Customer).where(Customer.telegram_id == 502)).all()) == 1
    session.rollback()
    last = fake_tg.sent(502)[-1]
    assert "Welcome" in last["params"]["text"]
    assert buttons_of(last)[0]["text"] == "🛍 Open the shop"


def test_ref_link_binds_inviter_once_never_self_never_cycle(settings, session_factory, session, fake_tg):
    # given an inviter A
    feed(settings, session_factory, message_update(601, "/start"))
    a = _customer(session, 601)
    # when B starts with A's referral link, then with another inviter's link
    feed(settings, session_factory, message_update(602, "/start"))
    b = _customer(session, 602)
    feed(settings, session_factory, message_update(603, f"/start ref{a.id}"))
    feed(settings, session_factory, message_update(603, f"/start ref{b.id}"))
    # then the first inviter stays
    assert _customer(session, 603).inviter_id == a.id
    # and nobody invites themself
    feed(settings, session_factory, message_update(602, f"/start ref{b.id}"))
    assert _customer(session, 602).inviter_id is None
    # and A cannot be bound under C (C ← A would close A → C → A)
    c = _customer(session, 603)
    feed(settings, session_factory, message_update(601, f"/start ref{c.id}"))
    assert _customer(session, 601).inviter_id is None
    # and an unknown inviter id is ignored
    feed(settings, session_factory, message_update(604, "/start ref999999"))
    assert _customer(session, 604).inviter_id is None


def test_product_deep_link_sends_card_with_mini_app_button(settings, session_factory, fake_tg):
    # when a user opens t.me/bot?start=p42
    feed(settings, session_factory, message_update(701, "/start p42"))
    # then after the greeting comes the product card with a button opening it in the Mini App
    greeting, card = fake_tg.sent(701)
    assert "42" in (card["params"].get("text") or card["params"].get("caption"))
    [button] = buttons_of(card)
    assert button["web_app"]["url"] == "https://shop.example/product/42"


def test_tracking_link_counts_clicks_and_unique_users(settings, session_factory, session, fake_tg):
    # given a tracking link and an archived one
    owner = Actor.system("test")
    link = tracking.create_link(session, actor=owner, title="Instagram", code="insta")
    old = tracking.create_link(session, actor=owner, title="Old", code="old")
    tracking.archive_link(session, actor=owner, link_id=old.id)
    session.rollback()
    # when two users click it, one of them twice, and someone clicks the archived one
    feed(settings, session_factory, message_update(801, "/start link_insta"),
         message_update(802, "/start link_insta"), message_update(801, "/start link_insta"),
         message_update(803, "/start link_old"))
    # then clicks and unique users are counted; the archived link counts nothing
    session.expire_all()
    [stats] = tracking.list_links(session, actor=owner)
    assert (stats.code, stats.clicks, stats.unique_users, stats.new_users) == ("insta", 3, 2, 2)
    assert stats.url == "https://t.me/smo_demo_bot?start=link_insta"
    [archived] = [s for s in tracking.list_links(session, actor=owner, include_archived=True) if s.code == "old"]
    assert (archived.clicks, archived.unique_users) == (0, 0)


@pytest.mark.parametrize("item", MENU_ITEMS)
def test_each_menu_item_answers(item, settings, session_factory, session, fake_tg):
    # given a registered customer and shop settings with support and channel
    update_config(session, actor=Actor.system("test"),
                  changes={"support_contact": "@shop_help", "channel_url": "https://t.me/shop_channel"})
    session.rollback()
    feed(settings, session_factory, message_update(901, "/start"))
    # when they press the menu button
    feed(settings, session_factory, callback_update(901, f"m:{item}", lang="en"))
    # then the callback is answered and a message for that item is sent, in English
    assert fake_tg.calls_of("answerCallbackQuery")
    reply = fake_tg.sent(901)[-1]["params"]
    expected = {
        "orders": "no orders", "cart": "cart is empty", "bookings": "Bookings",
        "support": "@shop_help", "channel": "https://t.me/shop_channel", "about": "handmade",
        "bonuses": f"start=ref{_customer(session, 901).id}",
    }[item]
    assert expected in reply["text"]


def test_menu_command_and_an_unknown_command_show_menu(settings, session_factory, fake_tg):
    # when a user sends /menu and then a command the bot does not know (free text is a question
    # for support: tests/bot/test_support.py)
    feed(settings, session_factory, message_update(950, "/menu"), message_update(950, "/hello"))
    # then both answers carry the main menu
    first, second = fake_tg.sent(950)
    assert buttons_of(first)[0]["web_app"]["url"] == "https://shop.example"
    assert "Не понял" in second["params"]["text"] and len(buttons_of(second)) == 8


def test_greeting_and_bonuses_show_cart_units_balance_and_invites(settings, session_factory, session, fake_tg):
    from smo_app.services.customers import loyalty
    from smo_app.services.core.actor import Actor
    from tests.commerce_factories import fill_cart, make_product, variant_id

    # given a customer with 3 units in the cart, 150 ₽ of bonuses and one invited friend
    feed(settings, session_factory, message_update(990, "/start"))
    me = _customer(session, 990)
    vid = variant_id(make_product(session, qty=10, cross_sell=[]))
    fill_cart(session, me.id, {vid: 3})
    loyalty.adjust_bonuses(session, actor=Actor.system("test"), customer_id=me.id, delta_minor=15000, note="gift")
    session.rollback()
    feed(settings, session_factory, message_update(991, f"/start ref{me.id}"))
    # when they /start again and open the bonuses
    feed(settings, session_factory, message_update(990, "/start"), callback_update(990, "m:bonuses"))
    # then the greeting and the bonuses item show the commerce figures
    greeting, bonuses = [c["params"]["text"] for c in fake_tg.sent(990)[-2:]]
    assert "В корзине: 3" in greeting and "150" in greeting
    assert "150" in bonuses and "Приглашено друзей: 1" in bonuses and f"ref{me.id}" in bonuses


def test_a_language_the_shop_does_not_speak_falls_back_to_the_customers_then_the_shops(settings, session_factory,
                                                                                         session, fake_tg):
    # given a customer who chose English, and a stranger; both write from a German Telegram client
    feed(settings, session_factory, message_update(960, "/start", lang="en"))
    # when both ask for the menu
    feed(settings, session_factory, message_update(960, "/menu", lang="de"), message_update(961, "/menu", lang="de"))
    # then the customer is answered in their stored English, the stranger in the shop's Russian
    assert buttons_of(fake_tg.sent(960)[-1])[0]["text"] == "🛍 Open the shop"
    assert buttons_of(fake_tg.sent(961)[-1])[0]["text"] != "🛍 Open the shop"
    assert _customer(session, 960).language == "en"


def test_a_stranger_pressing_a_menu_button_becomes_a_customer_and_is_answered(settings, session_factory, session,
                                                                             fake_tg):
    # given someone who never sent /start presses "bonuses" on a forwarded menu
    feed(settings, session_factory, callback_update(970, "m:bonuses", lang="en"))
    # then they are registered and the answer carries their own referral link
    me = _customer(session, 970)
    assert fake_tg.calls_of("answerCallbackQuery")
    assert f"start=ref{me.id}" in fake_tg.sent(970)[-1]["params"]["text"]
