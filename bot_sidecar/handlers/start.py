"""/start (CO1): register or update the customer, apply the deep link, greet with the main menu.

``/start staff_<code>`` is a staff member linking their Telegram account (code from their profile page).
"""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlmodel import Session

from bot_sidecar.db import in_thread
from bot_sidecar.telegram import send_content
from smo_app.i18n import t
from smo_app.services.customers import registration as customers
from smo_app.services.messaging import bot_content
from smo_app.services.staff import telegram_link
from smo_app.settings import Settings


async def start(message: Message, command: CommandObject, bot: Bot, session: Session, settings: Settings,
                lang: str) -> None:
    user = message.from_user
    code = telegram_link.parse_start_param(command.args)
    if code is not None:  # a DomainError (used/expired code) is answered by the error middleware
        linked = await in_thread(telegram_link.bind_telegram, session, code=code, telegram_id=user.id)
        await message.answer(t("bot.staff_linked", lang, name=linked.full_name), parse_mode=None)
        return

    def greet():
        result = customers.register_telegram_user(
            session, telegram_id=user.id, username=user.username, full_name=user.full_name,
            language=user.language_code, start_param=command.args,
        )
        lang = result.customer.language
        greeting = bot_content.greeting(session, customer_id=result.customer.id, lang=lang,
                                        public_url=settings.public_url)
        card = None if result.product_id is None else bot_content.product_card(
            session, product_id=result.product_id, lang=lang, public_url=settings.public_url)
        return greeting, card

    greeting, card = await in_thread(greet)
    await send_content(bot, message.chat.id, greeting)
    if card is not None:
        await send_content(bot, message.chat.id, card)


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
