"""Running the outbox sender against the fake server until a condition holds."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlmodel import Session, func, select

from bot_sidecar.outbox import OutboxSender
from bot_sidecar.telegram import make_bot
from smo_app.models.outbox import Outbox, OutboxStatus

WAITING = [OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]


def count(engine, *where) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Outbox).where(*where)).one()


def nothing_waiting(engine) -> Callable[[], bool]:
    return lambda: count(engine, Outbox.status.in_(WAITING)) == 0


def run_senders(settings, session_factory, *, until: Callable[[], bool], timeout: float = 20, rate: float = 30,
                holders: tuple[str, ...] = ("s1",), lease_ttl: float = 5.0) -> list[OutboxSender]:
    async def go() -> list[OutboxSender]:
        bot = make_bot(settings)
        senders = [OutboxSender(bot, session_factory, rate=rate, holder=h, lease_ttl=lease_ttl,
                                poll_interval=0.05, refill_every=0.2) for h in holders]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(s.run(stop)) for s in senders]
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and not until():
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await bot.session.close()
        return senders

    return asyncio.run(go())
