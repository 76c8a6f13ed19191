"""Bot test support: the fake Bot API on a thread, settings pointing at it, raw update builders."""
from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from bot_sidecar.dispatcher import create_dispatcher
from bot_sidecar.telegram import make_reply_bot
from smo_app.settings import Settings
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:TEST-token"
_ids = itertools.count(1)


@pytest.fixture
def fake_tg():
    # limits off by default; tests about pacing set them explicitly
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    yield fake
    fake.stop()


def make_settings(fake: FakeTelegram | None, database_url: str = "sqlite://", **overrides) -> Settings:
    values: dict[str, Any] = dict(
        _env_file=None, database_url=database_url, bot_token=TOKEN if fake else None,
        telegram_api_base=fake.base_url if fake else None, public_url="https://shop.example",
        bot_username="smo_demo_bot", broadcast_rate=30,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(fake_tg, engine):
    return make_settings(fake_tg, engine.url.render_as_string(hide_password=False))


@pytest.fixture
def session_factory(engine) -> Callable[[], Session]:
    return lambda: Session(engine, expire_on_commit=False)


def user(uid: int, *, lang: str = "ru", username: str | None = None, name: str = "Anna") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name, "username": username or f"user{uid}",
            "language_code": lang}


def message_update(uid: int, text: str, *, lang: str = "ru", photo: bool = False, **kw) -> dict[str, Any]:
    msg: dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()),
                           "chat": {"id": uid, "type": "private"}, "from": user(uid, lang=lang, **kw)}
    if photo:
        msg["photo"] = [{"file_id": "PHOTO1", "file_unique_id": "p1", "width": 90, "height": 90}]
        msg["caption"] = text
        msg["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    else:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_ids), "message": msg}


def callback_update(uid: int, data: str, *, lang: str = "ru") -> dict[str, Any]:
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": user(uid, lang=lang), "chat_instance": "ci", "data": data,
        "message": {"message_id": 77, "date": int(time.time()), "chat": {"id": uid, "type": "private"},
                    "text": "menu"}}}


def feed(settings: Settings, session_factory, *updates: dict[str, Any]) -> None:
    """Feed raw updates through a fresh dispatcher and a bot pointed at the fake server."""

    async def go() -> None:
        bot = make_reply_bot(settings)  # as the sidecar's polling bot
        dp = create_dispatcher(settings, session_factory=session_factory)
        try:
            for update in updates:
                await dp.feed_raw_update(bot, update=update)
        finally:
            await bot.session.close()

    asyncio.run(go())


def buttons_of(call: dict[str, Any]) -> list[dict[str, Any]]:
    markup = call["params"].get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]
