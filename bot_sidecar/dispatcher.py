"""``create_dispatcher``: the only wiring place of the bot."""
from __future__ import annotations

from collections.abc import Callable

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlmodel import Session

from bot_sidecar.handlers import approvals, menu, payments, staff, start
from bot_sidecar.middlewares import DbSessionMiddleware, ErrorReportingMiddleware
from smo_app.settings import Settings


def create_dispatcher(settings: Settings, *, session_factory: Callable[[], Session],
                      storage: BaseStorage | None = None) -> Dispatcher:
    """Routers in order (start, staff, payments, menu, fallback); error reporting wraps the DB session."""
    if storage is None and settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(settings.redis_url)
    dp = Dispatcher(storage=storage or MemoryStorage())
    dp["settings"] = settings
    dp["session_factory"] = session_factory
    dp.update.outer_middleware(ErrorReportingMiddleware(session_factory))
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    dp.include_routers(start.build_router(), staff.build_router(), approvals.build_router(), payments.build_router(),
                       menu.build_router(),
                       menu.build_fallback_router())
    return dp
