"""Support (SU1, SU2): a customer's messages to the bot (text, photos, documents) go to their
ticket, and the topic commands /order, /delivery, /payment, /operator with their buttons. The
service keeps the message and queues the answer in the outbox; the handler only parses the update."""
from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message

from bot_sidecar.telegram import sender_of
from smo_app.calling import BoundCalls
from smo_app.services.core.actor import Actor
from smo_app.services.support import tickets


class NotStaff(BaseFilter):
    """Customers and strangers (a linked staff member's free text keeps going to the staff menu)."""

    async def __call__(self, event: Any, actor: Actor | None = None, **_: Any) -> bool:
        return actor is None or not actor.is_staff


class SupportButton(BaseFilter):
    """A support button: hands the handler ``topic`` ("operator" for "ask a person") or ``order_id``."""

    async def __call__(self, query: CallbackQuery, **_: Any) -> bool | dict[str, Any]:
        if query.data == tickets.OPERATOR_CALLBACK:
            return {"topic": "operator", "order_id": None}
        topic = tickets.parse_topic_callback(query.data)
        order_id = tickets.parse_order_callback(query.data)
        return {"topic": topic, "order_id": order_id} if topic or order_id else False


async def customer_message(message: Message, calls: BoundCalls, lang: str) -> None:
    photo = message.photo[-1].file_id if message.photo else None
    document = message.document
    out = await calls(tickets.customer_writes, sender=sender_of(message.from_user), lang=lang,
                      text=message.text or message.caption or "", photo_file_id=photo,
                      document_file_id=document.file_id if document else None,
                      document_name=document.file_name if document else None,
                      telegram_message_id=message.message_id)
    out.unwrap()


async def topic_command(message: Message, calls: BoundCalls, lang: str) -> None:
    await _topic(message.text.split()[0].lstrip("/").split("@")[0], message.from_user, calls, lang)


async def support_button(query: CallbackQuery, topic: str | None, order_id: int | None, calls: BoundCalls,
                         lang: str) -> None:
    await query.answer()
    if order_id is not None:
        (await calls(tickets.pick_order, sender=sender_of(query.from_user), order_id=order_id, lang=lang)).unwrap()
    else:
        await _topic(topic, query.from_user, calls, lang)


async def _topic(topic: str, user, calls: BoundCalls, lang: str) -> None:
    if topic == "order":
        out = await calls(tickets.ask_about_order, sender=sender_of(user), lang=lang)
    else:
        out = await calls(tickets.customer_writes, sender=sender_of(user), lang=lang, topic=topic)
    out.unwrap()


def build_router() -> Router:
    """Private chats only; before the menu's fallback."""
    router = Router(name="support")
    router.message.filter(F.chat.type == "private")
    router.message.register(topic_command, Command("order", "delivery", "payment", "operator"))
    router.callback_query.register(support_button, SupportButton())
    router.message.register(customer_message, NotStaff(), F.photo | F.document | (F.text & ~F.text.startswith("/")))
    return router
