"""Support (SU1–SU3): a customer's messages to the bot (text, photos, documents) go to their
ticket, and the topic commands /order, /delivery, /payment, /operator with their buttons; in the
staff supergroup, what an operator writes in a customer's topic goes to the customer, and /close
closes the ticket. The services keep the messages and queue what is sent in the outbox; the
handlers only parse the update."""
from __future__ import annotations

from typing import Any

import asyncio
import logging
import time

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import BaseFilter, Command
from aiogram.methods import SendMessageDraft
from aiogram.types import CallbackQuery, Message

from bot_sidecar.handlers.staff import StaffFilter
from bot_sidecar.telegram import sender_of
from smo_app.calling import BoundCalls
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm
from smo_app.i18n import t
from smo_app.services.support import assistant, operators, relay, tickets

log = logging.getLogger("bot_sidecar.support")
DRAFT_EVERY = 0.4  # seconds between two draft updates of a streaming answer


class NotStaff(BaseFilter):
    """Customers and strangers (a linked staff member's free text keeps going to the staff menu)."""

    async def __call__(self, event: Any, actor: Actor | None = None, **_: Any) -> bool:
        return actor is None or not actor.is_staff


class DraftStream:
    """The AI's answer as it streams, shown with Bot API ``sendMessageDraft`` (one non-zero draft id,
    updated at most every DRAFT_EVERY s); the answer itself then comes through the outbox with
    ``sendMessage``. ``update`` is called from the worker thread the AI call runs in."""

    def __init__(self, bot: Bot, chat_id: int, *, draft_id: int) -> None:
        self.bot, self.chat_id, self.draft_id = bot, chat_id, max(1, int(draft_id))
        self.loop = asyncio.get_running_loop()
        self.sent: list = []
        self._last = 0.0

    def update(self, text: str) -> None:
        now = time.monotonic()
        if not text or now - self._last < DRAFT_EVERY:
            return
        self._last = now
        call = SendMessageDraft(chat_id=self.chat_id, draft_id=self.draft_id, text=text[:4096], parse_mode=None)
        self.sent.append(asyncio.run_coroutine_threadsafe(self.bot(call), self.loop))

    async def settle(self) -> None:
        """Every draft sent before the answer is queued (a failed preview is only logged)."""
        for future in self.sent:
            try:
                await asyncio.wrap_future(future)
            except Exception as exc:  # noqa: BLE001 - a preview is best effort
                log.info("draft not shown: %s", exc)


class SupportButton(BaseFilter):
    """A support button: hands the handler ``topic`` ("operator" for "ask a person") or ``order_id``."""

    async def __call__(self, query: CallbackQuery, **_: Any) -> bool | dict[str, Any]:
        if query.data == tickets.OPERATOR_CALLBACK:
            return {"topic": "operator", "order_id": None}
        topic = tickets.parse_topic_callback(query.data)
        order_id = tickets.parse_order_callback(query.data)
        return {"topic": topic, "order_id": order_id} if topic or order_id else False


async def customer_message(message: Message, bot: Bot, calls: BoundCalls, lang: str) -> None:
    """(A burst of these queues in ``middlewares/lanes.py`` before the sender is even looked up.)"""
    photo = message.photo[-1].file_id if message.photo else None
    document = message.document
    text = message.text or message.caption or ""
    wrote = (await calls(tickets.customer_writes, sender=sender_of(message.from_user), lang=lang, text=text,
                         photo_file_id=photo, document_file_id=document.file_id if document else None,
                         document_name=document.file_name if document else None,
                         telegram_message_id=message.message_id)).unwrap()
    if wrote.answered_by == "pending_ai":  # the AI answers off the event loop; its text shows as a draft meanwhile
        drafts = DraftStream(bot, message.chat.id, draft_id=message.message_id)
        out = await calls(assistant.ai_answer, ticket_id=wrote.ticket_id, question=text, lang=lang,
                          on_text=drafts.update)
        await drafts.settle()
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


async def operator_message(message: Message, calls: BoundCalls) -> None:
    photo = message.photo[-1].file_id if message.photo else None
    (await calls(operators.operator_writes, chat_id=message.chat.id, thread_id=message.message_thread_id,
                 text=message.text or message.caption or "", photo_file_id=photo)).unwrap()


async def operator_close(message: Message, calls: BoundCalls) -> None:
    (await calls(operators.close_from_topic, chat_id=message.chat.id, thread_id=message.message_thread_id)).unwrap()


class TakeButton(BaseFilter):
    """"Take the request" under a staff alert: hands the handler ``ticket_id``."""

    async def __call__(self, query: CallbackQuery, **_: Any) -> bool | dict[str, Any]:
        ticket_id = relay.parse_take_callback(query.data)
        return {"ticket_id": ticket_id} if ticket_id is not None else False


async def take(query: CallbackQuery, ticket_id: int, calls: BoundCalls, lang: str) -> None:
    out = await calls(operators.take, ticket_id=ticket_id)
    if out.unexpected:
        out.unwrap()
    await query.answer(out.error or t("support.taken_ok", lang), show_alert=not out.ok)


async def private_operator_message(message: Message, calls: BoundCalls) -> None:
    """A staff member's private message: to the customer of the ticket they hold, else not support's."""
    photo = message.photo[-1].file_id if message.photo else None
    out = await calls(operators.private_writes, text=message.text or message.caption or "", photo_file_id=photo)
    if out.unwrap() is None:
        raise SkipHandler()  # the menu's fallback answers as before


async def private_operator_close(message: Message, calls: BoundCalls) -> None:
    if (await calls(operators.close_private)).unwrap() is None:
        raise SkipHandler()


def build_private_operators_router() -> Router:
    """Without a supergroup: operators (staff who may answer support) relay in their private chat."""
    router = Router(name="support_private_operators")
    router.message.filter(F.chat.type == "private", StaffFilter(Perm.support_manage))
    router.callback_query.filter(StaffFilter(Perm.support_manage))
    router.callback_query.register(take, TakeButton())
    router.message.register(private_operator_close, Command("close"))
    router.message.register(private_operator_message, F.photo | (F.text & ~F.text.startswith("/")))
    return router


def build_operators_router() -> Router:
    """The staff supergroup's topics: staff who may answer support only (anyone else is ignored)."""
    router = Router(name="support_operators")
    router.message.filter(F.chat.type == "supergroup", F.is_topic_message, F.message_thread_id,
                          StaffFilter(Perm.support_manage))
    router.message.register(operator_close, Command("close"))
    router.message.register(operator_message, F.photo | (F.text & ~F.text.startswith("/")))
    return router


def build_router() -> Router:
    """Private chats only; before the menu's fallback."""
    router = Router(name="support")
    router.message.filter(F.chat.type == "private")
    router.message.register(topic_command, Command("order", "delivery", "payment", "operator"))
    router.callback_query.register(support_button, SupportButton())
    router.message.register(customer_message, NotStaff(), F.photo | F.document | (F.text & ~F.text.startswith("/")))
    return router
