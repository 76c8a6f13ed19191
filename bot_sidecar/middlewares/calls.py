"""Who sent the update, through the calling seam: every handler gets ``calls`` (services called as
the sender — ``out = await calls(service, …)``), ``actor`` (what the role filters look at) and
``lang`` (Telegram's language when the shop speaks it, else the customer's stored one, else the
shop's). No session, no query: the seam resolves the sender again on each call
(``TelegramCaller``: a linked staff member acts as staff, a customer as the customer, a stranger as
nobody), so a handler that registers a stranger calls on as the new customer.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from smo_app.calling import NOBODY, Seam, TelegramCaller
from smo_app.i18n import normalize_language
from smo_app.services.core import shop_locale
from smo_app.services.customers import identity


class CallsMiddleware(BaseMiddleware):
    def __init__(self, seam: Seam) -> None:
        self.seam = seam

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        actor, known_lang = None, shop_locale.cached().language
        if user is not None:
            who = await self.seam.acall(identity.telegram_user, telegram_id=user.id, readonly=True)
            if who.ok:  # (an unexpected failure is reported by the seam; the update goes on as a stranger's)
                actor, known_lang = who.value.actor, who.value.language
        lang = normalize_language(getattr(user, "language_code", None), default=known_lang)
        data["lang"] = lang
        data["actor"] = actor
        data["calls"] = self.seam.bind(TelegramCaller(user.id) if user is not None else NOBODY, lang)
        return await handler(event, data)
