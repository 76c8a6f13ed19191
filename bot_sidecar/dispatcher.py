"""``create_dispatcher``: the only wiring place of the bot."""
from __future__ import annotations

from collections.abc import Callable

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlmodel import Session

from bot_sidecar.handlers import approvals, bookings, menu, payments, staff, start, support
from bot_sidecar.middlewares import CallsMiddleware, ErrorReportingMiddleware, LanesMiddleware
from smo_app.calling import Seam, opener_from_factory
from smo_app.settings import Settings


def create_dispatcher(settings: Settings, *, session_factory: Callable[[], Session],
                      storage: BaseStorage | None = None) -> Dispatcher:
    """Routers in order (start, staff, approvals, payments, menu, support, fallback). One calling seam over
    ``session_factory`` serves every update: the calls middleware hands handlers ``calls``,
    ``actor`` and ``lang``; error reporting wraps it."""
    if storage is None and settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(settings.redis_url)
    seam = Seam(opener_from_factory(session_factory), origin="bot", report_text="bot.error_report")
    dp = Dispatcher(storage=storage or MemoryStorage())
    dp["settings"] = settings
    dp.update.outer_middleware(LanesMiddleware())  # a burst of customers' questions queues here
    dp.update.outer_middleware(ErrorReportingMiddleware(seam))
    dp.update.outer_middleware(CallsMiddleware(seam))
    dp.include_routers(start.build_router(), staff.build_router(), approvals.build_router(), payments.build_router(),
                       bookings.build_router(),
                       menu.build_router(), support.build_router(), support.build_operators_router(),
                       support.build_private_operators_router(),
                       menu.build_fallback_router())
    return dp
