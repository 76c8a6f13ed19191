"""What a handler could not do, answered: a refusal in the user's words, anything unexpected with a
polite apology — logged with the update, the user and the FSM state, and reported to the owner
once per distinct error per hour through the seam (``Seam.report``).

Handlers call services through the seam, which has already logged and reported a service's own
failure (its ``Result`` says ``unexpected``); a handler ends with ``out.unwrap()`` where it only
answers a success, and the :class:`~smo_app.calling.Refusal` it may raise comes here.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from smo_app.calling import NOBODY, Refusal, Seam, TelegramCaller
from smo_app.i18n import error_text, normalize_language, t
from smo_app.services.core import shop_locale
from smo_app.services.core.errors import DomainError

log = logging.getLogger("bot_sidecar.errors")


class ErrorReportingMiddleware(BaseMiddleware):
    def __init__(self, seam: Seam) -> None:
        self.seam = seam

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Refusal as exc:
            if exc.result.unexpected:  # a service failed: the seam has logged it and told the owner
                await self._log("a service failed (reported by the seam)", None, event, data)
                await self._tell(event, data, t("bot.error", self._lang(data)))
            else:  # something the user caused, already in their words
                await self._tell(event, data, exc.text)
        except DomainError as exc:  # a refusal raised by the handler's own parsing
            await self._tell(event, data, error_text(exc, self._lang(data)))
        except Exception as exc:  # noqa: BLE001 - the point of this middleware
            context = await self._log(f"handler failed: {exc}", exc, event, data)
            user = data.get("event_from_user")
            await asyncio.to_thread(self.seam.report, exc, caller=TelegramCaller(user.id) if user else NOBODY,
                                    context=context)
            await self._tell(event, data, t("bot.error", self._lang(data)))
        return None

    @staticmethod
    def _lang(data: dict[str, Any]) -> str:
        if data.get("lang"):
            return data["lang"]
        user = data.get("event_from_user")
        return normalize_language(getattr(user, "language_code", None), default=shop_locale.cached().language)

    @staticmethod
    async def _log(what: str, exc: Exception | None, event: TelegramObject, data: dict[str, Any]) -> str:
        """Log the failure with the update, the user and the FSM state; return "@user, state …" for the report."""
        user = data.get("event_from_user")
        state = None
        fsm = data.get("state")
        if fsm is not None:
            try:
                state = await fsm.get_state()
            except Exception:  # noqa: BLE001
                state = "?"
        update_json = event.model_dump_json(exclude_none=True)[:4000] if isinstance(event, Update) else repr(event)
        user_desc = f"{user.id} @{user.username}" if user else "-"
        log.error("%s | user=%s | state=%s | update=%s", what, user_desc, state, update_json, exc_info=exc)
        return f"@{user.username if user else '-'}, state {state or '-'}"

    @staticmethod
    async def _tell(event: TelegramObject, data: dict[str, Any], text: str) -> None:
        chat = data.get("event_chat")
        bot = data.get("bot")
        if chat is None or bot is None:
            return
        try:
            if isinstance(event, Update) and event.callback_query is not None:
                await event.callback_query.answer()
            await bot.send_message(chat.id, text, parse_mode=None)
        except Exception:  # noqa: BLE001 - nothing more we can do
            log.warning("could not tell the user about the error", exc_info=True)
