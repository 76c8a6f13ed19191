"""Main menu (CO2): /menu and the inline menu buttons; anything else shows the menu again."""
from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message

from bot_sidecar.telegram import send_content, sender_of
from smo_app.calling import BoundCalls
from smo_app.i18n import t
from smo_app.services.bot import menu
from smo_app.services.bot.menu import Content
from smo_app.settings import Settings


class MenuButton(BaseFilter):
    """A main-menu button press; hands the handler ``menu_item`` (format owned by services/bot/menu)."""

    async def __call__(self, query: CallbackQuery, **_: Any) -> bool | dict[str, Any]:
        item = menu.parse_menu_callback(query.data)
        return {"menu_item": item} if item is not None else False


def _menu(text_key: str, lang: str, settings: Settings) -> Content:
    return Content(t(text_key, lang), buttons=menu.main_menu_buttons(lang, settings.public_url))


async def show_menu(message: Message, bot: Bot, lang: str, settings: Settings) -> None:
    await send_content(bot, message.chat.id, _menu("bot.menu.title", lang, settings))


async def menu_item(query: CallbackQuery, menu_item: str, bot: Bot, calls: BoundCalls, lang: str,
                    settings: Settings) -> None:
    out = await calls(menu.open_menu_item, sender=sender_of(query.from_user), item=menu_item, lang=lang,
                      public_url=settings.public_url, bot_username=settings.bot_username)
    content = out.unwrap()
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
