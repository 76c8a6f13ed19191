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
YIELD_SECONDS = 0.2  # the longest a support answer waits for commands and buttons in flight to finish


def is_plain_private_message(update: Update) -> bool:
    message = update.message
    if message is None or message.chat.type != "private":
        return False
    text = message.text or message.caption or ""
    return not text.startswith("/")


class LanesMiddleware(BaseMiddleware):
    """Plain private messages take one of ``lanes``. Commands and buttons go first: one that comes
    while a support answer is being written starts the moment that answer is done (rather than
    finding the database busy: on SQLite a writer that does sleeps in growing steps before it
    retries), and a support answer about to start lets the commands and buttons in flight finish
    first — each wait bounded by ``yield_seconds``, so neither side is ever starved."""

    def __init__(self, lanes: int = LANES, yield_seconds: float = YIELD_SECONDS) -> None:
        self.lanes = asyncio.Semaphore(lanes)
        self.yield_seconds = yield_seconds
        self.others = 0  # commands and buttons in flight
        self.quiet = asyncio.Event()  # no command or button in flight
        self.quiet.set()
        self.answering = 0  # support answers being written
        self.answered = asyncio.Event()  # none is
        self.answered.set()

    async def _wait(self, event: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(event.wait(), self.yield_seconds)
        except asyncio.TimeoutError:
            pass  # busy all along: go ahead anyway

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update) and is_plain_private_message(event):
            async with self.lanes:
                if self.others:
                    await self._wait(self.quiet)
                self.answering += 1
                self.answered.clear()
                try:
                    return await handler(event, data)
                finally:
                    self.answering -= 1
                    if not self.answering:
                        self.answered.set()
        self.others += 1
        self.quiet.clear()
        try:
            if self.answering:
                await self._wait(self.answered)
            return await handler(event, data)
        finally:
            self.others -= 1
            if not self.others:
                self.quiet.set()
