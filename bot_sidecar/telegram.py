"""Making the Bot object and sending one piece of content."""
from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import LinkPreviewOptions, Message

from bot_sidecar.keyboards import markup
from smo_app.settings import Settings


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot for ``settings.bot_token``, pointed at SMO_TELEGRAM_API_BASE when set (tests, local API)."""
    token = token or settings.bot_token.get_secret_value()
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/")))
        if settings.telegram_api_base
        else AiohttpSession()
    )
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def send_payload(bot: Bot, chat_id: int, payload: dict) -> Message:
    """Send one outbox-shaped payload: ``{"text", "photo", "parse_mode", "buttons"}``."""
    reply_markup = markup(payload.get("buttons"))
    # "plain" (set by the outbox when a text is not valid Telegram HTML) sends no parse mode at all
    parse_mode = payload.get("parse_mode") or "HTML"
    if parse_mode == "plain":
        parse_mode = None
    if payload.get("photo"):
        return await bot.send_photo(chat_id, payload["photo"], caption=payload.get("text"),
                                    parse_mode=parse_mode, reply_markup=reply_markup)
    return await bot.send_message(chat_id, payload["text"], parse_mode=parse_mode, reply_markup=reply_markup,
                                  link_preview_options=LinkPreviewOptions(is_disabled=True))


async def send_content(bot: Bot, chat_id: int, content) -> Message:
    """Send a smo_app.services.messaging.bot_content.Content."""
    return await send_payload(bot, chat_id, {"text": content.text, "photo": content.photo, "buttons": content.buttons})
