"""Running the outbox sender against the fake server until a condition holds."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlmodel import Session, func, select

from bot_sidecar.outbox import OutboxSender, TaskWorker
from bot_sidecar.telegram import make_bot
from smo_app.models.broadcast import Broadcast
from smo_app.models.outbox import Outbox, OutboxLane, OutboxStatus

WAITING = [OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]


def count(engine, *where) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Outbox).where(*where)).one()


def nothing_waiting(engine, lane: OutboxLane | None = None) -> Callable[[], bool]:
    """No row waiting (in ``lane`` only, if given: the task worker never sends the messages an
    order also queues, so waiting for those would only run into the timeout)."""
    where = [Outbox.status.in_(WAITING)] + ([Outbox.lane == lane.value] if lane else [])
    return lambda: count(engine, *where) == 0


def broadcast_finished(engine, broadcast_id: int) -> Callable[[], bool]:
    """The broadcast shows as finished: every row sent and the sender's next pass marked it so
    (stopping the sender as soon as nothing waits would race that pass)."""
    def finished() -> bool:
        with Session(engine) as s:
            return s.exec(select(Broadcast.status).where(Broadcast.id == broadcast_id)).one() == "finished"
    return finished


def run_senders(settings, session_factory, *, until: Callable[[], bool], timeout: float = 20, rate: float = 30,
                holders: tuple[str, ...] = ("s1",), lease_ttl: float = 5.0,
                chat_gap: float | None = None) -> list[OutboxSender]:
    """``chat_gap`` shortens the one-second gap between two messages to one chat, for tests about
    something else than that pacing (retries to one chat, say)."""
    async def go() -> list[OutboxSender]:
        bot = make_bot(settings)
        senders = [OutboxSender(bot, session_factory, rate=rate, holder=h, lease_ttl=lease_ttl,
                                poll_interval=0.05, refill_every=0.2) for h in holders]
        if chat_gap is not None:
            for sender in senders:
                sender.pacer.chat_gap = chat_gap
        try:
            await _run_until(senders, until, timeout)
        finally:
            await bot.session.close()
        return senders

    return asyncio.run(go())


def run_task_worker(session_factory, *, until: Callable[[], bool], timeout: float = 20) -> TaskWorker:
    worker = TaskWorker(session_factory, holder="w1", lease_ttl=5.0, poll_interval=0.02)
    asyncio.run(_run_until([worker], until, timeout))
    return worker


async def _run_until(lanes, until: Callable[[], bool], timeout: float) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(lane.run(stop)) for lane in lanes]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until():
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
