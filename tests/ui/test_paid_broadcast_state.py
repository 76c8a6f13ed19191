"""The broadcasts page: the owner chooses a paid broadcast, sees its cost in Stars and the bot's
balance (asked from the fake Bot API), and a start the balance cannot pay for is refused in words."""
from __future__ import annotations

import pytest

from integrations.telegram_stars.client import TelegramStarsClient
from smo_app import composition
from smo_app.models.broadcast import Broadcast
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_customer, make_staff
from tests.fakes.telegram_api import NANOSTARS_PER_STAR, FakeTelegram
from tests.ui.support import _call, _state


@pytest.fixture
def fake_bot_api():
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    composition.use(telegram_stars=TelegramStarsClient(token="123456:TEST-token", base_url=fake.base_url))
    yield fake
    fake.stop()


def _page(db):
    from smo_app.state.broadcasts import BroadcastsState

    make_staff(db, Role.owner, username="olga")
    for _ in range(25):
        make_customer(db)
    db.commit()
    s = _state(BroadcastsState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    _call(s, "load")
    return s


def test_owner_chooses_paid_sees_cost_and_balance_and_a_short_balance_refuses_the_start(db, fake_bot_api):
    # given a bot with 2 Stars and 25 customers
    fake_bot_api.star_nanostars = 2 * NANOSTARS_PER_STAR
    s = _page(db)
    assert s.stars_note == ""  # no paid draft: nothing about Stars
    # when the owner ticks "paid broadcast" and creates the draft
    _call(s, "set_paid", True)
    _call(s, "create", {"text": "Распродажа", "days": ""})
    # then the line is marked paid with its cost, and the page shows the balance is short
    line = s.lines[0]
    assert s.message == "" and line["paid"] and s.paid is False  # the form's choice is reset for the next one
    assert line["paid_note"] == "Стоимость: 3 ⭐ (25 получателей × 0,1 звезды)"
    assert s.stars_short and "Баланс бота: 2 ⭐" in s.stars_note and "не хватает" in s.stars_note
    # when the owner starts it anyway
    _call(s, "start", line["id"])
    # then it is refused in words with the cost and the balance, and stays a draft
    assert "не хватает звёзд" in s.message.lower() and "3 ⭐" in s.message and "2 ⭐" in s.message
    assert s.lines[0]["status"] == "draft" and db.get(Broadcast, line["id"]).status == "draft"
    db.rollback()
    # when the bot's balance is topped up and the page refreshed
    fake_bot_api.star_nanostars = 10 * NANOSTARS_PER_STAR + NANOSTARS_PER_STAR // 2
    _call(s, "refresh")
    assert not s.stars_short and s.stars_note == "Баланс бота: 10.5 ⭐"
    # then it starts, and the line says what it was paid
    _call(s, "start", line["id"])
    assert s.message == "" and s.lines[0]["status"] == "running"
    assert s.lines[0]["paid_note"] == "Оплачено при запуске: 3 ⭐" and not s.lines[0]["can_make_free"]


def test_a_draft_can_be_made_paid_and_free_again(db, fake_bot_api):
    s = _page(db)
    _call(s, "create", {"text": "Новинки", "days": ""})
    line = s.lines[0]
    assert not line["paid"] and line["can_make_paid"] and line["paid_note"] == ""
    _call(s, "make_paid", line["id"])
    assert s.lines[0]["paid"] and s.lines[0]["can_make_free"] and "3 ⭐" in s.lines[0]["paid_note"]
    assert "Баланс бота: 1000 ⭐" == s.stars_note
    _call(s, "make_free", line["id"])
    assert not s.lines[0]["paid"] and s.stars_note == ""


def test_without_a_bot_the_page_says_the_balance_is_unavailable_in_words(db):
    # given no bot connected (the demo without a bot token)
    composition.use(telegram_stars=None)
    s = _page(db)
    _call(s, "set_paid", True)
    _call(s, "create", {"text": "Sale", "days": ""})
    # then the cost is shown and the balance said to be unavailable, without naming any setting
    assert "3 ⭐" in s.lines[0]["paid_note"]
    assert s.stars_short and "недоступен" in s.stars_note and "SMO_" not in s.stars_note and "TOKEN" not in s.stars_note
    _call(s, "start", s.lines[0]["id"])
    assert "баланс" in s.message.lower() and "SMO_" not in s.message
