"""Broadcast benchmark: 10,000 recipients through the paced outbox sender against the fake Bot API.

The fake server (a separate process, tests/fakes/telegram_api.py) and the sender are both limited
to the same rate N. Prints the achieved delivery rate as a ratio of N (bar: >= 0.95), the 429s the
server had to answer (bar: 0), duplicates and losses (bar: 0), and the sender's CPU seconds per
1,000 messages (the sender runs in this process; the fake server's CPU and the bench's own polling
are not counted; bar: <= 1.0 s for a free broadcast).

N is 30 in production (Telegram's bulk limit); 10,000 messages at 30/s take 5.5 minutes, so the
default here raises both sides to 200/s. Use --rate 30 for the real figure.

``--paid`` (``bench/paid_broadcast.py``): a paid broadcast (allow_paid_broadcast) against the fake's
paid limit, N = 1,000 msg/s (Telegram's), the free limit left at 30; bar >= 0.9 x N. The bot's Stars
balance is asked from the fake (getMyStarBalance) before the start, as the screen does. Beside it,
the ceiling this machine allows now: the answers/s a bare aiohttp client gets from the same fake with
16 calls in flight, and the sender's rate as a ratio of that (printed, not a bar).

Run: .venv/bin/python bench/broadcast.py [--recipients 10000] [--rate 200] [--paid] [--db-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SMO_DEMO", "1")
os.environ.pop("SMO_BOT_TOKEN", None)

from sqlmodel import Session, func, select  # noqa: E402

import smo_app.models  # noqa: E402,F401
from bot_sidecar.outbox import OutboxSender  # noqa: E402
from bot_sidecar.telegram import make_bot  # noqa: E402
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.broadcast import Broadcast  # noqa: E402
from smo_app.models.customer import Customer  # noqa: E402
from smo_app.models.outbox import Outbox  # noqa: E402
from smo_app.services.messaging import broadcasts  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from smo_app.settings import Settings  # noqa: E402
from tests.bot.procs import get_json, start_fake  # noqa: E402

BAR_RATIO = 0.95
PAID_BAR_RATIO = 0.9
PAID_RATE = 1000.0  # Telegram's limit for paid broadcasts
FREE_RATE = 30.0
BASE_ID = 5_000_000
TOKEN = "123456:BENCH"


CPU_BAR = 1.0  # sender CPU seconds per 1,000 free messages
CEILING_IN_FLIGHT = 16
CEILING_CALLS = 2000


async def bare_client_rate(url: str) -> float:
    """Answers per second a bare aiohttp client gets from the fake (``CEILING_IN_FLIGHT`` calls in
    flight, a sendMessage-sized JSON body to getMe, which is not rate-limited): what this machine,
    loaded as it is now, lets any client in this process reach."""
    import aiohttp

    body = json.dumps({"chat_id": 1, "text": "<b>Bench</b> broadcast", "parse_mode": "HTML",
                       "link_preview_options": {"is_disabled": True}, "allow_paid_broadcast": True})
    left = [CEILING_CALLS]
    async with aiohttp.ClientSession() as http:
        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                    json.loads(await resp.read())

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CEILING_IN_FLIGHT)))
        return CEILING_CALLS / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    from integrations.telegram_stars.client import TelegramStarsClient
    from smo_app import composition

    composition.start()
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="N: the fake's limit and the sender's rate")
    parser.add_argument("--paid", action="store_true", help="a paid broadcast: N = 1,000 msg/s (the free rate stays 30)")
    parser.add_argument("--db-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    free_rate = FREE_RATE if args.paid else args.rate
    target = PAID_RATE if args.paid else args.rate
    bar = PAID_BAR_RATIO if args.paid else BAR_RATIO

    tmp = tempfile.TemporaryDirectory()
    url = args.db_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.add_all([Customer(telegram_id=BASE_ID + i, full_name=f"Bench {i}") for i in range(args.recipients)])
        s.commit()
    system = Actor.system("bench")
    fake, base = start_fake(rate=free_rate, chat_rate=1, paid_rate=PAID_RATE, stars=args.recipients // 10 + 10)
    composition.use(telegram_stars=TelegramStarsClient(token=TOKEN, base_url=base))
    with Session(engine, expire_on_commit=False) as s:
        b = broadcasts.create_broadcast(s, actor=system, text="<b>Bench</b> broadcast", segment="all",
                                        button_text="Shop", button_url="https://shop.example", paid=args.paid)
        t0 = time.perf_counter()
        broadcasts.start_broadcast(s, actor=system, broadcast_id=b.id)
        materialise = time.perf_counter() - t0

    try:
        settings = Settings(_env_file=None, database_url=url, bot_token=TOKEN, telegram_api_base=base,
                            demo=True)
        factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731

        poll_cpu = [0.0]  # the bench's own polling runs in this process too: not the sender's CPU

        def finished() -> bool:
            t0 = time.thread_time()
            try:
                with Session(engine) as s:
                    return s.get(Broadcast, b.id).status == "finished"
            finally:
                poll_cpu[0] += time.thread_time() - t0

        async def run() -> tuple[float, float, float, dict]:
            bot = make_bot(settings)
            if args.paid:
                ceiling[0] = await bare_client_rate(f"{base}/bot{TOKEN}/getMe")
            # one-time warm-up, reported apart: aiogram builds its pydantic models on first use
            warm0 = time.process_time()
            from bot_sidecar.telegram import send_payload

            await send_payload(bot, 1, {"text": "warm-up", "buttons": [[{"text": "x", "url": "https://x.example"}]]})
            with Session(engine) as s:  # and the ORM's statement caches
                s.exec(select(func.count()).select_from(Outbox)).one()
            warm = time.process_time() - warm0
            await asyncio.sleep(1.1)  # let the warm-up message leave the server's window
            sender = OutboxSender(bot, factory, rate=free_rate, holder="bench", lease_ttl=30, paid_rate=PAID_RATE)
            stop = asyncio.Event()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            task = asyncio.create_task(sender.run(stop))
            while not finished():
                await asyncio.sleep(1.0)
            stop.set()
            await task
            cpu, wall = time.process_time() - cpu0 - poll_cpu[0], time.perf_counter() - wall0
            await bot.session.close()
            return warm, cpu, wall, sender.stats

        ceiling = [0.0]
        warm, cpu, wall, stats = asyncio.run(run())
        server = get_json(f"{base}/_control/stats")
        calls = get_json(f"{base}/_control/calls?sends=1")
    finally:
        fake.kill()
        fake.wait(5)

    calls = [c for c in calls if c["chat_id"] != 1]  # the warm-up message
    ok_calls = [c for c in calls if c["status"] == 200]
    server["ok"] = len(ok_calls)
    server["first_ok"], server["last_ok"] = ok_calls[0]["mono"], ok_calls[-1]["mono"]
    server["429"] = sum(c["status"] == 429 for c in calls)
    got = Counter(c["chat_id"] for c in ok_calls)
    expected = {BASE_ID + i for i in range(args.recipients)}
    duplicates = sum(n - 1 for n in got.values())
    losses = len(expected - set(got))
    span = server["last_ok"] - server["first_ok"]
    # steady rate: a sliding window lets the first N go out at once, so count from message N + 1
    n = int(target)
    steady_span = ok_calls[-1]["mono"] - ok_calls[n]["mono"] if len(ok_calls) > n + 1 else span
    achieved = (len(ok_calls) - 1 - n) / steady_span if steady_span > 0 else 0.0
    ratio = achieved / target
    paid_ok = sum(1 for c in ok_calls if c.get("paid"))
    with Session(engine) as s:
        sent_rows = s.exec(select(func.count()).where(Outbox.broadcast_id == b.id, Outbox.status == "sent")).one()
    engine.dispose()

    mode = (f"PAID broadcast, N = {target:g} msg/s (the fake's paid limit = the sender's paid rate; free {free_rate:g}/s)"
            if args.paid else f"N = {target:g} msg/s (fake limit = sender rate)")
    print(f"broadcast bench: {args.recipients} recipients, {mode}, "
          f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}")
    print(f"  materialise recipients:  {materialise:.2f} s")
    print(f"  delivered:               {server['ok']} in {span:.1f} s (wall incl. start/finish {wall:.1f} s)")
    print(f"  achieved rate:           {achieved:.1f} msg/s = {ratio:.3f} x N   (bar >= {bar})")
    if ceiling[0]:
        print(f"  ceiling, this machine now: a bare aiohttp client ({CEILING_IN_FLIGHT} in flight) gets "
              f"{ceiling[0]:.0f} answers/s from the fake; the sender reached {achieved / ceiling[0]:.3f} x that")
    if args.paid:
        print(f"  sent as paid:            {paid_ok} of {len(ok_calls)} (allow_paid_broadcast); "
              f"Stars debited by the fake: {(args.recipients // 10 + 10) - server['star_nanostars'] / 1e9:g}")
    print(f"  429 received:            {server['429']}   (bar 0)")
    print(f"  duplicates / losses:     {duplicates} / {losses}   (bar 0 / 0; rows marked sent: {sent_rows})")
    cpu_per_1000 = cpu / max(1, server['ok']) * 1000
    cpu_bar = "" if args.paid else f"   (bar <= {CPU_BAR})"
    print(f"  sender CPU:              {cpu_per_1000:.3f} s per 1,000 messages{cpu_bar} "
          f"({cpu:.1f} s total; one-time warm-up {warm:.1f} s not counted)")
    ok = ratio >= bar and server["429"] == 0 and duplicates == 0 and losses == 0 and (
        not args.paid or paid_ok == len(ok_calls)) and (args.paid or cpu_per_1000 <= CPU_BAR)
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
