"""Support benchmark: 200 customers writing to the bot at once, answered by the offline answerer.

Raw updates go through the bot's real dispatcher (the calls middleware, the support handler, the
service that keeps the message and queues the answer in the outbox) against the fake Bot API, all
200 at once. Measured in the same run:

* p95 time from an update to its answer handed to the outbox (the handler returns once the answer
  is committed in the outbox) against a trivial handler's (the same dispatcher, middleware and
  seam; a handler whose service hands one fixed reply to the outbox) under the same 200-at-once
  load — bar: ≤ 10×;
* /start (a greeting sent straight back) on its own, and again while the 200 support updates are
  being answered: the median — bar: slowed ≤ 2×; the slowest is printed too (on SQLite, one
  writer at a time: a /start that lands behind a support write waits for it).

Both bars on a temporary SQLite file, then on a fresh PostgreSQL database (the production
database; skipped with a note when none is reachable); /start's bar is judged on PostgreSQL — on
SQLite, one writer at a time, a /start that registers a customer waits for the answer being
written, so its figure there is printed for information.

Run: .venv/bin/python bench/support.py [--customers 200] [--db-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for its packages
os.environ.setdefault("SMO_DEMO", "1")
os.environ.pop("SMO_BOT_TOKEN", None)  # the bench's Bot API is the fake below

from sqlmodel import Session, func, select  # noqa: E402

from bot_sidecar.dispatcher import create_dispatcher  # noqa: E402
from bot_sidecar.telegram import make_reply_bot  # noqa: E402
from smo_app.models.outbox import Outbox  # noqa: E402

BAR_RATIO = 10.0
BAR_START = 2.0
START_SAMPLES = 40  # /start alone, and during the burst (each median over this many)
BASE_ID = 6_000_000_000
QUESTIONS = ["Есть свеча с лавандой?", "Сколько стоит мыло с розой?", "Как доставляете по Москве?",
             "Есть диффузор кедр?", "Какая оплата?", "А масло мята в наличии?"]
_ids = itertools.count(1)


def _user(uid: int) -> dict:
    return {"id": uid, "is_bot": False, "first_name": f"Bench {uid}", "username": f"b{uid}", "language_code": "ru"}


def message(uid: int, text: str) -> dict:
    msg = {"message_id": next(_ids), "date": int(time.time()), "chat": {"id": uid, "type": "private"},
           "from": _user(uid), "text": text}
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_ids), "message": msg}


def trivial(uid: int) -> dict:
    """The floor: a button whose handler hands one fixed reply to the outbox through the same seam."""
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": _user(uid), "chat_instance": "ci", "data": "bench:echo",
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": uid, "type": "private"}, "text": "x"}}}


def seed(engine) -> None:
    from smo_app.services.core.actor import Actor
    from smo_app.services.support import settings as support_settings
    from smo_app.models.staff import Role
    from tests.commerce_factories import make_product
    from tests.factories import make_staff

    with Session(engine, expire_on_commit=False) as s:
        for word in ("Свеча", "Мыло", "Диффузор", "Масло", "Соль", "Крем"):
            for scent in ("лаванда", "роза", "кедр", "мята", "ваниль"):
                make_product(s, name=f"{word} {scent}", price_minor=50000, qty=(len(word) + len(scent)) % 4)
        owner = make_staff(s, Role.owner)
        support_settings.save_settings(s, actor=owner.actor(), faq="Доставка: курьером по Москве за 1–2 дня.\n\n"
                                       "Оплата: картой или по СБП.", ai_base_url="", ai_model="", chat_id="",
                                       timeout_min=15)
        assert Actor.system("bench")


def echo(session, *, actor, chat_id: int) -> None:
    """The trivial handler's service: one fixed reply into the outbox, committed."""
    from smo_app.services.messaging.outbox import enqueue_message

    enqueue_message(session, kind="bench_echo", chat_id=chat_id, text="ok")
    session.commit()


def trivial_router():
    from aiogram import F, Router

    router = Router(name="bench")

    async def handler(query, calls) -> None:
        (await calls(echo, chat_id=query.from_user.id)).unwrap()

    router.callback_query.register(handler, F.data == "bench:echo")
    return router


async def timed(dp, bot, update) -> float:
    t0 = time.perf_counter()
    await dp.feed_raw_update(bot, update=update)
    return time.perf_counter() - t0


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def main() -> int:
    from smo_app import composition
    from tests import db_support

    composition.start()
    composition.share_the_interpreter()  # as the sidecar's main does
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--db-url", help="one database only (default: a temporary SQLite file, then a fresh "
                                          "PostgreSQL database when one is reachable)")
    args = parser.parse_args()
    if args.db_url:
        return 0 if measure(args.db_url, args.customers, judge_start=True) else 1
    tmp = tempfile.TemporaryDirectory()
    ok = measure(f"sqlite:///{Path(tmp.name) / 'bench.db'}", args.customers, judge_start=False)
    reason = db_support.pg_unavailable_reason()
    if reason:
        print(f"PostgreSQL: {reason} — /start's bar is judged on SQLite instead")
        return 0 if ok and measure(f"sqlite:///{Path(tmp.name) / 'again.db'}", args.customers, judge_start=True) else 1
    pg_url = db_support.create_pg_database("smo_support_bench")
    try:
        ok = measure(pg_url, args.customers, judge_start=True) and ok
    finally:
        db_support.drop_pg_database(pg_url)
    return 0 if ok else 1


def measure(url: str, n: int, *, judge_start: bool) -> bool:
    """One run on the database at ``url``; True when its bars hold (/start's only if ``judge_start``:
    on SQLite one writer at a time makes a /start that registers a customer wait for the support
    answer being written, so its figure is printed there, and judged on PostgreSQL)."""
    from smo_app import migrations
    from smo_app.db import make_engine
    from smo_app.settings import Settings
    from tests.fakes.telegram_api import FakeTelegram

    migrations.upgrade(url)
    engine = make_engine(url, pool_size=40, max_overflow=260)
    seed(engine)
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    settings = Settings(_env_file=None, database_url=url, bot_token="123456:BENCH", telegram_api_base=fake.base_url,
                        public_url="https://shop.example", bot_username="bench_bot", demo=True)
    factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731

    async def run() -> dict[str, list[float]]:
        bot = make_reply_bot(settings)
        dp = create_dispatcher(settings, session_factory=factory)
        dp.include_router(trivial_router())
        out: dict[str, list[float]] = {}
        try:
            # warm-up: pydantic models, statement caches, the first registration
            await timed(dp, bot, message(BASE_ID - 1, "Есть свеча?"))
            await timed(dp, bot, message(BASE_ID - 2, "/start"))
            await timed(dp, bot, trivial(BASE_ID - 3))
            # /start alone
            out["start_alone"] = [await timed(dp, bot, message(BASE_ID + 900_000 + i, "/start")) for i in range(START_SAMPLES)]
            # the trivial handler, 200 at once
            out["trivial"] = list(await asyncio.gather(*(timed(dp, bot, trivial(BASE_ID + i)) for i in range(n))))
            # 200 customers' questions at once, /start meanwhile
            burst = asyncio.gather(*(timed(dp, bot, message(BASE_ID + 100_000 + i, QUESTIONS[i % len(QUESTIONS)]))
                                     for i in range(n)))
            starts = []
            await asyncio.sleep(0.05)  # the burst's updates are in
            while not burst.done() and len(starts) < START_SAMPLES:
                starts.append(await timed(dp, bot, message(BASE_ID + 800_000 + len(starts), "/start")))
            out["support"] = list(await burst)
            out["start_during"] = starts
        finally:
            await bot.session.close()
        return out

    try:
        got = asyncio.run(run())
    finally:
        fake.stop()
    with Session(engine) as s:
        answers = s.exec(select(func.count()).select_from(Outbox).where(Outbox.kind == "support_reply",
                                                                        Outbox.chat_id >= BASE_ID + 100_000,
                                                                        Outbox.chat_id < BASE_ID + 100_000 + n)).one()
    engine.dispose()
    support, floor = p95(got["support"]) * 1000, p95(got["trivial"]) * 1000
    start_alone, start_during = statistics.median(got["start_alone"]) * 1000, statistics.median(got["start_during"]) * 1000
    start_tail = p95(got["start_during"]) * 1000
    ratio, slowed = support / floor, start_during / start_alone
    print(f"support bench: {n} customers writing at once, offline answerer, "
          f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}")
    print(f"  answers in the outbox:        {answers} of {n}")
    print(f"  update → answer queued p95:   {support:.1f} ms; trivial handler p95 {floor:.1f} ms "
          f"→ ratio {ratio:.2f} (bar ≤ {BAR_RATIO:g})")
    print(f"  /start median alone / during: {start_alone:.1f} ms / {start_during:.1f} ms "
          f"({len(got['start_during'])} during; slowest {start_tail:.0f} ms) → slowed {slowed:.2f}× "
          + (f"(bar ≤ {BAR_START:g}×)" if judge_start else "(for information: one writer at a time)"))
    ok = answers == n and ratio <= BAR_RATIO and (slowed <= BAR_START or not judge_start)
    print("  PASS" if ok else "  FAIL")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
