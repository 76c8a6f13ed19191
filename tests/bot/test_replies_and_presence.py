"""Direct replies survive Telegram's 429; the sidecar's heartbeat tells the web app whether the bot runs;
broadcast rules live in the service; the menu's callback format has one owner."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage

from bot_sidecar.telegram import RetryAfterMiddleware
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.bot import menu as bot_menu
from smo_app.services.messaging import presence
from smo_app.services.messaging import broadcasts as svc
from tests.bot.conftest import buttons_of, feed, make_settings, message_update
from tests.factories import actor_of, make_customer, make_staff


# -- replies and 429 ---------------------------------------------------------------------------------------
def test_product_card_after_start_survives_the_per_chat_limit(settings, session_factory, fake_tg):
    # given Telegram's limit of one message per second per chat
    fake_tg.chat_rate = 1
    # when a user opens a product deep link (greeting, then the card, right after)
    feed(settings, session_factory, message_update(4201, "/start p42"))
    # then the card was refused once with 429, resent after retry_after, and both arrived in order
    greeting, card = fake_tg.sent(4201)
    assert fake_tg.count_status(429) >= 1
    assert card["mono"] - greeting["mono"] >= 1.0
    assert buttons_of(card)[0]["web_app"]["url"] == "https://shop.example/product/42"


@pytest.mark.slow  # real time: paced replies
def test_broadcast_draft_and_its_buttons_both_arrive_under_the_limit(settings, session_factory, session, fake_tg):
    from tests.bot.test_staff_link import BIG_TELEGRAM_ID
    from smo_app.services.staff import telegram_link

    # given a linked manager and the per-chat limit
    manager = make_staff(session, Role.manager)
    code = telegram_link.create_link_code(session, actor=actor_of(manager))
    session.rollback()
    feed(settings, session_factory, message_update(BIG_TELEGRAM_ID, f"/start {code.start_param}"))
    fake_tg.chat_rate = 1
    # when they create a broadcast (preview, then the draft with its controls)
    feed(settings, session_factory, message_update(BIG_TELEGRAM_ID, "/broadcast Hello"))
    # then the controls arrived too
    last = fake_tg.sent(BIG_TELEGRAM_ID)[-1]
    assert {b["callback_data"].split(":")[1] for b in buttons_of(last)} == {"start", "cancel"}


def test_resending_is_bounded():
    # given a Telegram that always answers 429 with retry_after = 1 s
    calls = []

    async def always_429(bot, method):
        calls.append(method)
        raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=1)

    async def too_long(bot, method):
        calls.append(method)
        raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=3600)

    method = SendMessage(chat_id=1, text="hi")
    # when a reply is sent, then it is tried a bounded number of times and the 429 surfaces
    with pytest.raises(TelegramRetryAfter):
        asyncio.run(RetryAfterMiddleware(attempts=3, max_wait=10)(always_429, None, method))
    assert len(calls) == 3
    # and a wait longer than the bound is not waited for at all
    calls.clear()
    with pytest.raises(TelegramRetryAfter):
        asyncio.run(RetryAfterMiddleware(attempts=3, max_wait=10)(too_long, None, method))
    assert len(calls) == 1


# -- heartbeat ---------------------------------------------------------------------------------------------
def test_status_follows_the_heartbeat(session):
    now = utcnow()
    # given no sidecar ever ran: not running
    assert presence.sidecar_status(session, now=now).running is False
    # when one beats without a token: running, offline
    presence.beat(session, instance="a", mode="offline", now=now)
    s = presence.sidecar_status(session, now=now)
    assert (s.running, s.online) == (True, False)
    # when another beats online: online
    presence.beat(session, instance="b", mode="online", now=now)
    assert presence.sidecar_status(session, now=now).online is True
    # when they stop beating: not running after the stale window, with the last beat kept
    later = now + timedelta(seconds=presence.STALE_SECONDS + 1)
    s = presence.sidecar_status(session, now=later)
    assert (s.running, s.online, s.last_beat) == (False, False, now)


def test_sidecar_without_token_beats_offline_and_clears_on_stop(engine, session_factory, session):
    from bot_sidecar.__main__ import run

    settings = make_settings(None, engine.url.render_as_string(hide_password=False))
    seen = []

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop, session_factory=session_factory, holder="side-1",
                                       with_scheduler=False, beat_seconds=0.1))
        for _ in range(100):
            await asyncio.sleep(0.05)
            status = await asyncio.to_thread(lambda: presence.sidecar_status(session_factory()))
            if status.running:
                seen.append(status)
                break
        stop.set()
        await task

    asyncio.run(go())
    # then it was seen running but offline, and after a clean stop it is not running
    assert seen and (seen[0].running, seen[0].online) == (True, False)
    assert presence.sidecar_status(session).running is False


def test_running_broadcast_without_an_online_bot_says_it_waits(session):
    # given a broadcast started while no sidecar runs
    manager = actor_of(make_staff(session, Role.manager))
    make_customer(session)
    b = svc.create_broadcast(session, actor=manager, text="hi")
    p = svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
    # then its progress says it waits for the bot, with no time estimate
    assert (p.status, p.waiting_for_bot, p.eta_seconds) == ("running", True, None)
    # when an offline sidecar (no token) beats: still waiting; an online one: an estimate
    presence.beat(session, instance="x", mode="offline")
    assert svc.broadcast_progress(session, actor=manager, broadcast_id=b.id).waiting_for_bot is True
    presence.beat(session, instance="y", mode="online")
    p = svc.broadcast_progress(session, actor=manager, broadcast_id=b.id)
    assert (p.waiting_for_bot, p.eta_seconds) == (False, 1)


def test_health_reports_the_bot(engine, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from smo_app.api import create_api
    from smo_app.db import dispose_engines
    from smo_app.settings import reset_settings_cache

    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    try:
        client = TestClient(create_api())
        # given no sidecar: the app is healthy but says the bot is not running
        first = client.get("/api/health")
        # when an online sidecar beats: running and online
        with Session(engine) as s:
            presence.beat(s, instance="z", mode="online")
        bot = client.get("/api/health").json()["bot"]
    finally:
        reset_settings_cache()
        dispose_engines()
    assert first.status_code == 200
    assert first.json()["bot"] == {"running": False, "online": False, "last_beat": None}
    assert (bot["running"], bot["online"]) == (True, True) and bot["last_beat"]


# -- rules in the service ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status, actions", [
    ("draft", ("start", "cancel")), ("running", ("pause", "cancel")), ("paused", ("resume", "cancel")),
    ("finished", ()), ("cancelled", ()),
])
def test_allowed_actions_per_status(status, actions):
    assert svc.allowed_broadcast_actions(status) == actions


@pytest.mark.parametrize("days", ["0", "-3", "abc", "3651", "1.5"])
def test_bad_days_are_refused_with_a_translated_message(days):
    from smo_app.i18n import error_text

    with pytest.raises(ValidationFailed) as bad:
        svc.parse_segment_days(days)
    assert bad.value.code == "broadcast.days_invalid"
    assert "3650" in error_text(bad.value, "ru") and "3650" in error_text(bad.value, "en")


def test_days_accepted_blank_or_in_range():
    assert (svc.parse_segment_days(""), svc.parse_segment_days(" 7 "), svc.parse_segment_days(3650)) == (None, 7, 3650)


def test_bad_days_in_the_bot_command_are_refused(settings, session_factory, session, fake_tg):
    from tests.bot.test_staff_link import BIG_TELEGRAM_ID
    from smo_app.services.staff import telegram_link

    manager = make_staff(session, Role.manager)
    code = telegram_link.create_link_code(session, actor=actor_of(manager))
    session.rollback()
    feed(settings, session_factory, message_update(BIG_TELEGRAM_ID, f"/start {code.start_param}"),
         message_update(BIG_TELEGRAM_ID, "/broadcast #new0 Hello"))
    assert "3650" in fake_tg.sent(BIG_TELEGRAM_ID)[-1]["params"]["text"]


def test_menu_callback_round_trips_and_rejects_strangers():
    for item in bot_menu.MENU_ITEMS:
        assert bot_menu.parse_menu_callback(bot_menu.menu_callback(item)) == item
    assert [bot_menu.parse_menu_callback(d) for d in ("m:nope", "bc:start:1", "", None)] == [None] * 4
