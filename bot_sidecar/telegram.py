"""Making the Bot object, sending one piece of content, and who sent an update (as services take it)."""
from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiohttp.payload import JsonPayload
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods.base import Response
from aiogram.types import LinkPreviewOptions, Message, User

from bot_sidecar.keyboards import markup
from smo_app.services.customers.registration import TelegramProfile
from smo_app.settings import Settings


log = logging.getLogger("bot_sidecar.telegram")

REPLY_ATTEMPTS = 4  # a direct reply is tried at most this often when Telegram answers 429
REPLY_MAX_WAIT = 35.0  # seconds; a longer retry_after is not waited for (the reply fails, is reported)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Direct replies survive Telegram's flood limits: on 429 wait ``retry_after`` and resend, bounded.

    Only the bot that answers updates uses it; the outbox sender paces itself and handles 429 on its own.
    """

    def __init__(self, attempts: int = REPLY_ATTEMPTS, max_wait: float = REPLY_MAX_WAIT) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(self, make_request: NextRequestMiddlewareType, bot: Bot, method: TelegramMethod):
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or waited + exc.retry_after > self.max_wait:
                    raise
                log.info("%s got 429, resending in %s s", type(method).__name__, exc.retry_after)
                waited += exc.retry_after
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover


# aiogram validates every answer as ``Response[<the method's result type>]``; pydantic keeps such
# generic classes only weakly, so once collected each is built again (tens of ms). The sender's are
# held here for the process's life.
_RESPONSE_TYPES = [Response[Message], Response[bool]]


class JsonBodySession(AiohttpSession):
    """Calls that upload no file go out as one JSON body, which the Bot API takes as well as a form:
    aiogram's form encodes every field as JSON and then urlencodes it — for the outbox sender the
    larger part of a message's cost on our side. Uploads stay multipart forms."""

    def build_form_data(self, bot: Bot, method: TelegramMethod):  # type: ignore[override]
        files: dict = {}
        body = {}
        for key, value in method.model_dump(warnings=False).items():
            value = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if value is None or value == "":  # as the form leaves them out (False, 0, [] stay)
                continue
            body[key] = value
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(body, dumps=self.json_dumps)


def make_reply_bot(settings: Settings, token: str | None = None) -> Bot:
    """The Bot that polls and answers updates: like ``make_bot`` plus resending after a 429."""
    bot = make_bot(settings, token)
    bot.session.middleware(RetryAfterMiddleware())
    return bot


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot for ``settings.bot_token``, pointed at SMO_TELEGRAM_API_BASE when set (tests, local API)."""
    token = token or settings.bot_token.get_secret_value()
    session = (
        JsonBodySession(api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/")))
        if settings.telegram_api_base
        else JsonBodySession()
    )
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def send_payload(bot: Bot, chat_id: int, payload: dict) -> Message:
    """Send one outbox-shaped payload: ``{"text", "photo", "parse_mode", "buttons"}``, or a copy of a
    message (``{"copy": {"from_chat_id", "message_id"}}``); into a forum topic with ``thread_id``;
    ``allow_paid_broadcast`` (a paid broadcast's message: past the free limits, 0.1 Star each)."""
    reply_markup = markup(payload.get("buttons"))
    paid = True if payload.get("allow_paid_broadcast") else None
    thread = payload.get("thread_id")
    # "plain" (set by the outbox when a text is not valid Telegram HTML) sends no parse mode at all
    parse_mode = payload.get("parse_mode") or "HTML"
    if parse_mode == "plain":
        parse_mode = None
    if payload.get("copy"):
        return await bot.copy_message(chat_id, payload["copy"]["from_chat_id"], payload["copy"]["message_id"],
                                      message_thread_id=thread, allow_paid_broadcast=paid)
    if payload.get("photo"):
        return await bot.send_photo(chat_id, payload["photo"], caption=payload.get("text"), message_thread_id=thread,
                                    parse_mode=parse_mode, reply_markup=reply_markup, allow_paid_broadcast=paid)
    return await bot.send_message(chat_id, payload["text"], parse_mode=parse_mode, reply_markup=reply_markup,
                                  message_thread_id=thread, link_preview_options=LinkPreviewOptions(is_disabled=True),
                                  allow_paid_broadcast=paid)


async def send_content(bot: Bot, chat_id: int, content) -> Message:
    """Send a smo_app.services.bot.menu.Content."""
    return await send_payload(bot, chat_id, {"text": content.text, "photo": content.photo, "buttons": content.buttons})


def sender_of(user: User) -> TelegramProfile:
    """The update's sender as the services take them."""
    return TelegramProfile(telegram_id=user.id, username=user.username, full_name=user.full_name,
                           language=user.language_code)
