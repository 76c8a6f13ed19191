"""Per-update DB session, the user's language and (for staff) their Staff row and Actor."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlmodel import select

from smo_app.i18n import normalize_language
from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from bot_sidecar.db import in_thread
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor


def _who(session, telegram_id: int) -> tuple[str | None, Staff | None, str]:
    """(the customer's stored language, the active staff member) of a Telegram user, and the shop's
    language; ends the read."""
    try:
        customer_lang = session.exec(select(Customer.language).where(Customer.telegram_id == telegram_id)).first()
        staff = session.exec(select(Staff).where(Staff.telegram_id == telegram_id, Staff.is_active)).first()
        return customer_lang, staff, shop_locale.shop_language(session)
    finally:
        session.rollback()


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: Callable) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        session = await in_thread(self.session_factory)
        try:
            user: User | None = data.get("event_from_user")
            data["session"] = session
            data["lang"] = shop_locale.cached().language
            data["staff"] = None
            data["actor"] = None
            if user is not None:
                customer_lang, staff, shop_lang = await in_thread(_who, session, user.id)
                # Telegram's language when the shop speaks it, else what we know, else the shop's
                data["lang"] = normalize_language(user.language_code, default=customer_lang or shop_lang)
                if staff is not None:
                    data["staff"] = staff
                    data["actor"] = Actor.staff(staff.id, staff.role, staff.full_name)
            return await handler(event, data)
        finally:
            await in_thread(_end, session)


def _end(session) -> None:
    session.rollback()
    session.close()
