"""Any handler exception: logged with the update, the user and the FSM state; reported to the
owner once per distinct error per hour (through the outbox); the user gets a polite message."""
from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot_sidecar.db import in_thread
from smo_app.i18n import error_text, normalize_language, t
from smo_app.services.core import shop_locale
from smo_app.services.messaging import error_reports
from smo_app.services.core.errors import DomainError

log = logging.getLogger("bot_sidecar.errors")


class ErrorReportingMiddleware(BaseMiddleware):
    def __init__(self, session_factory: Callable) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as exc:  # something the user caused: tell them, no report
            await self._tell(event, data, error_text(exc, self._lang(data)))
            return None
        except Exception as exc:  # noqa: BLE001 - the point of this middleware
            await self._handle(exc, event, data)
            return None

    @staticmethod
    def _lang(data: dict[str, Any]) -> str:
        if data.get("lang"):
            return data["lang"]
        user = data.get("event_from_user")
        return normalize_language(getattr(user, "language_code", None), default=shop_locale.cached().language)

    async def _handle(self, exc: Exception, event: TelegramObject, data: dict[str, Any]) -> None:
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
        log.error("handler failed: %s | user=%s | state=%s | update=%s", exc, user_desc, state, update_json,
                  exc_info=exc)
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
        key = f"{type(exc).__name__}|{where}"
        def report() -> None:
            session = self.session_factory()
            try:
                error_reports.report_error(
                    session, key=key, summary=f"{type(exc).__name__}: {exc}"[:500],
                    text=t("bot.error_report", "ru", error=f"{type(exc).__name__}: {exc}"[:1000], user=user_desc,
                           state=state or "-", where=where),
                )
            finally:
                session.close()

        try:
            await in_thread(report)
        except Exception:  # noqa: BLE001 - reporting must never raise
            log.exception("could not record the error report")
        await self._tell(event, data, t("bot.error", self._lang(data)))

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
