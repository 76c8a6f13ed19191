"""/start (CO1): register or update the customer, apply the deep link, greet with the main menu."""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlmodel import Session

from bot_sidecar.telegram import send_content
from smo_app.services.messaging import bot_content
from smo_app.services.customers import registration as customers
from smo_app.settings import Settings

async def start(message: Message, command: CommandObject, bot: Bot, session: Session, settings: Settings) -> None:
    user = message.from_user
    result = customers.register_telegram_user(
        session, telegram_id=user.id, username=user.username, full_name=user.full_name,
        language=user.language_code, start_param=command.args,
    )
    lang = result.customer.language
    await send_content(bot, message.chat.id, bot_content.greeting(
        session, customer_id=result.customer.id, lang=lang, public_url=settings.public_url))
    if result.product_id is not None:
        await send_content(bot, message.chat.id, bot_content.product_card(
            session, product_id=result.product_id, lang=lang, public_url=settings.public_url))


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
