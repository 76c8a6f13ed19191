"""Main menu (CO2): /menu and the inline menu buttons; anything else shows the menu again."""
from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message
from sqlmodel import Session

from bot_sidecar.db import in_thread
from bot_sidecar.telegram import send_content
from smo_app.i18n import t
from smo_app.services.customers import registration as customers
from smo_app.services.messaging import bot_content
from smo_app.services.messaging.bot_content import Content
from smo_app.settings import Settings


class MenuButton(BaseFilter):
    """A main-menu button press; hands the handler ``menu_item`` (format owned by bot_content)."""

    async def __call__(self, query: CallbackQuery, **_: Any) -> bool | dict[str, Any]:
        item = bot_content.parse_menu_callback(query.data)
        return {"menu_item": item} if item is not None else False


def _customer_id(session: Session, user) -> int:
    known = customers.get_by_telegram_id(session, user.id)
    if known is not None:
        return known.id
    return customers.register_telegram_user(session, telegram_id=user.id, username=user.username,
                                            full_name=user.full_name, language=user.language_code).customer.id


def _menu(text_key: str, lang: str, settings: Settings) -> Content:
    return Content(t(text_key, lang), buttons=bot_content.main_menu_buttons(lang, settings.public_url))


async def show_menu(message: Message, bot: Bot, lang: str, settings: Settings) -> None:
    await send_content(bot, message.chat.id, _menu("bot.menu.title", lang, settings))


async def menu_item(query: CallbackQuery, menu_item: str, bot: Bot, session: Session, lang: str,
                    settings: Settings) -> None:
    def read() -> Content:
        return bot_content.menu_item(session, item=menu_item, customer_id=_customer_id(session, query.from_user),
                                     lang=lang, public_url=settings.public_url, bot_username=settings.bot_username)

    content = await in_thread(read)
    await query.answer()
    await send_content(bot, query.from_user.id, content)


async def unknown(message: Message, bot: Bot, lang: str, settings: Settings) -> None:
    await send_content(bot, message.chat.id, _menu("bot.unknown", lang, settings))


def build_router() -> Router:
    router = Router(name="menu")
    router.message.register(show_menu, Command("menu"))
    router.callback_query.register(menu_item, MenuButton())
    return router


def build_fallback_router() -> Router:
    """Last: any other private message shows the menu."""
    router = Router(name="fallback")
    router.message.register(unknown, F.chat.type == "private")
    return router
