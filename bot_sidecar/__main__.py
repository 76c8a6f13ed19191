"""``python -m bot_sidecar``: the Telegram bot process (ARCHITECTURE.md rule 7).

Migrates the database, starts the scheduler and the outbox task worker, and — with SMO_BOT_TOKEN —
long polling and the paced outbox sender. Without a token it runs OFFLINE: jobs and tasks still
run, messages wait in the outbox.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable

from sqlmodel import Session

from smo_app.services.messaging import presence
from smo_app.settings import Settings, get_settings

log = logging.getLogger("bot_sidecar")


def instance_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def run(settings: Settings, stop: asyncio.Event, *, session_factory: Callable[[], Session] | None = None,
              holder: str | None = None, lease_ttl: float | None = None, with_scheduler: bool = True,
              beat_seconds: float | None = None) -> None:
    from bot_sidecar.outbox import TaskWorker
    from bot_sidecar.scheduler import Jobs, create_scheduler
    from smo_app import composition
    from smo_app.calling import Seam, opener_from_factory
    from smo_app.db import new_session

    # ports, event subscribers and task handlers first: a scheduled job may move an order at once
    composition.start()
    if session_factory is None:
        def session_factory() -> Session:
            return new_session(settings.database_url)
    beat_seconds = beat_seconds or presence.BEAT_SECONDS
    holder = holder or instance_id()
    scheduler = None
    if with_scheduler:
        seam = Seam(opener_from_factory(session_factory), origin="bot", report_text="bot.error_report")
        scheduler = create_scheduler(Jobs(settings, session_factory, holder=holder,
                                          report=lambda exc, where: seam.report(exc, context=where)))
        scheduler.start()
    mode = "offline" if settings.bot_token is None else "online"
    heartbeat = asyncio.create_task(_heartbeat(session_factory, holder, mode, stop, beat_seconds),
                                    name="heartbeat")
    # provider calls and after-commit subscribers run with or without a bot token
    task_worker = TaskWorker(session_factory, holder=holder, lease_ttl=lease_ttl or settings.outbox_lease_seconds)
    tasks = asyncio.create_task(task_worker.run(stop), name="outbox-tasks")
    try:
        if settings.bot_token is None:
            log.warning("SMO_BOT_TOKEN is not set: the bot runs OFFLINE; messages wait in the outbox "
                        "(visible in the backoffice) and go out once a token is set")
            await stop.wait()
            return
        await _run_online(settings, stop, session_factory, holder, lease_ttl)
    finally:
        stop.set()
        await asyncio.gather(heartbeat, return_exceptions=True)
        await asyncio.gather(tasks, return_exceptions=True)
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _presence(session_factory: Callable[[], Session], fn: Callable[..., None], **kwargs) -> None:
    """One presence service call on its own session (blocking: run it in a thread)."""
    with session_factory() as session:
        fn(session, **kwargs)


async def _heartbeat(session_factory, holder: str, mode: str, stop: asyncio.Event, every: float) -> None:
    """Tell the web app this sidecar is alive (and whether it has a token) every ``every`` seconds."""
    instance = holder[:64]
    while not stop.is_set():
        try:
            await asyncio.to_thread(_presence, session_factory, presence.beat, instance=instance, mode=mode)
        except Exception:  # noqa: BLE001 - a missed beat is logged; the next one tries again
            log.warning("heartbeat failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass
    try:
        await asyncio.to_thread(_presence, session_factory, presence.stopped, instance=instance)
    except Exception:  # noqa: BLE001
        log.warning("could not clear the heartbeat", exc_info=True)


async def _run_online(settings, stop, session_factory, holder, lease_ttl) -> None:
    from bot_sidecar.dispatcher import create_dispatcher
    from bot_sidecar.outbox import OutboxSender
    from bot_sidecar.telegram import make_bot, make_reply_bot

    bot = make_bot(settings)  # the outbox sender's: paced, handles 429 itself
    reply_bot = make_reply_bot(settings)  # answers updates: resends after a 429
    dp = create_dispatcher(settings, session_factory=session_factory)
    ttl = lease_ttl or settings.outbox_lease_seconds
    sender = OutboxSender(bot, session_factory, rate=settings.broadcast_rate, holder=holder, lease_ttl=ttl)
    sender_task = asyncio.create_task(sender.run(stop), name="outbox-sender")
    polling = asyncio.create_task(
        dp.start_polling(reply_bot, handle_signals=False, close_bot_session=False, handle_as_tasks=False,
                         polling_timeout=10), name="polling")
    log.info("bot sidecar %s online (API %s)", holder, settings.telegram_api_base or "api.telegram.org")
    try:
        await stop.wait()
    finally:
        try:
            await dp.stop_polling()
        except RuntimeError:
            pass
        await asyncio.gather(sender_task, return_exceptions=True)
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await bot.session.close()
        await reply_bot.session.close()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    from smo_app import composition, migrations, schema_state

    composition.share_the_interpreter()
    # a restart finds the database at head: known without loading alembic and every migration script
    if not schema_state.ready(settings.database_url, demo=False):
        migrations.upgrade(settings.database_url)
    stop = asyncio.Event()

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    asyncio.run(runner())


if __name__ == "__main__":
    main()
