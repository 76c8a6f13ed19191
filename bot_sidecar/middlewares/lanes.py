"""Customers' plain messages (questions for support: text, photos, documents in a private chat)
take one of a few lanes before anything else is done for them — the sender's identity included —
so a burst of them waits on the event loop while commands, buttons and everything else go on at
their usual pace (bench/support.py measures it)."""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

LANES = 1  # plain private messages handled at once (one leaves the other worker thread and the GIL to everyone else)
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A support
# answer is a few milliseconds of Python in one worker thread; a /start beside it gives the GIL up at
# every database call and would wait up to 5 ms each time to get it back. 1 ms keeps it short.
SWITCH_INTERVAL = 0.001


def share_the_interpreter() -> None:
    """The sidecar process's GIL hand-over interval (its main and bench/support.py call it)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


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
