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
from smo_app.services.core.actor import Actor


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: Callable) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        session = self.session_factory()
        try:
            user: User | None = data.get("event_from_user")
            data["session"] = session
            data["lang"] = normalize_language(user.language_code if user else None)
            data["staff"] = None
            data["actor"] = None
            if user is not None:
                customer_lang = session.exec(select(Customer.language).where(Customer.telegram_id == user.id)).first()
                if customer_lang and not user.language_code:
                    data["lang"] = customer_lang
                staff = session.exec(select(Staff).where(Staff.telegram_id == user.id, Staff.is_active)).first()
                if staff is not None:
                    data["staff"] = staff
                    data["actor"] = Actor.staff(staff.id, staff.role, staff.full_name)
            session.rollback()
            return await handler(event, data)
        finally:
            session.rollback()
            session.close()
