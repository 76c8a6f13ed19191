"""``python -m bot_sidecar``: the Telegram bot process (minimal start; see issue #4 for the full one)."""
from __future__ import annotations

import asyncio
import logging
import signal

from smo_app.settings import get_settings

log = logging.getLogger("bot_sidecar")


async def _idle_offline(stop: asyncio.Event) -> None:
    log.warning("SMO_BOT_TOKEN is not set: the bot runs OFFLINE; messages wait in the outbox")
    await stop.wait()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    stop = asyncio.Event()

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _idle_offline(stop)

    asyncio.run(runner())


if __name__ == "__main__":
    main()
