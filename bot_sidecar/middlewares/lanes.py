"""Customers' plain messages (questions for support: text, photos, documents in a private chat)
take one of a few lanes before anything else is done for them — the sender's identity included —
so a burst of them waits on the event loop while commands, buttons and everything else go on at
their usual pace (bench/support.py measures it)."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

LANES = 1  # plain private messages handled at once (one leaves the other worker thread and the GIL to everyone else)


def is_plain_private_message(update: Update) -> bool:
    message = update.message
    if message is None or message.chat.type != "private":
        return False
    text = message.text or message.caption or ""
    return not text.startswith("/")


class LanesMiddleware(BaseMiddleware):
    def __init__(self, lanes: int = LANES) -> None:
        self.lanes = asyncio.Semaphore(lanes)

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update) and is_plain_private_message(event):
            async with self.lanes:
                return await handler(event, data)
        return await handler(event, data)
