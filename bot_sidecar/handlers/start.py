"""/start (CO1): register or update the customer, apply the deep link, greet with the main menu
(then the product card of a ``p<id>`` link); ``/start staff_<code>`` links a staff member's
Telegram (code from their profile page). One service does it all: ``services/bot/start``."""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot_sidecar.telegram import send_content, sender_of
from smo_app.calling import BoundCalls
from smo_app.services.bot import start as bot_start
from smo_app.settings import Settings


async def start(message: Message, command: CommandObject, bot: Bot, calls: BoundCalls, lang: str,
                settings: Settings) -> None:
    out = await calls(bot_start.start, sender=sender_of(message.from_user), start_param=command.args, lang=lang,
                      public_url=settings.public_url)
    for content in out.unwrap():  # a refusal (a used link code) is answered by the error middleware
        await send_content(bot, message.chat.id, content)


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
