"""Two sidecar processes at once on PostgreSQL, as a deployment with a spare runs them: a broadcast
and order notifications go out exactly once while both run (one holds the sender's lease, the other
waits); and when the holder is killed with SIGKILL mid-way the other takes over and finishes, with
at most the free messages in flight (FREE_IN_FLIGHT, a pair) repeated (docs/BOT.md, "The kill -9 window")."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from sqlmodel import Session, func, select

from bot_sidecar.outbox import FREE_IN_FLIGHT, LEASE_NAME
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxLane, OutboxStatus
from smo_app.models.presence import SidecarHeartbeat
from smo_app.services.core import leases
from smo_app.services.core.actor import Actor
from smo_app.services.messaging import broadcasts, outbox
from tests.bot.procs import get_json, sidecar_env, start_fake, start_sidecar, wait_until

RECIPIENTS = 120  # with the notifications, about five seconds of sending at 30 msg/s: two lease terms and more
NOTIFIED = 20  # of them also have an order notification queued
RATE = "30"  # Telegram's limit: the sidecar's highest broadcast rate
BROADCAST = "Весенняя <b>распродажа</b>"
STARTUP_S = 120  # importing a sidecar takes seconds, and much longer on a loaded 2-core machine


def _queue(engine) -> set[tuple[int, str]]:
    """The customers, a started broadcast to all of them and the order notifications; every
    (chat, text) that must arrive once."""
    chats = [710_000 + i for i in range(RECIPIENTS)]
    with Session(engine) as s:
        s.add_all([Customer(telegram_id=chat, full_name=f"C{chat}") for chat in chats])
        s.commit()
        b = broadcasts.create_broadcast(s, actor=Actor.system("test"), text=BROADCAST)
        broadcasts.start_broadcast(s, actor=Actor.system("test"), broadcast_id=b.id)
        notes = {chat: f"Заказ №{n}: оплачен" for n, chat in enumerate(chats[:NOTIFIED], start=1)}
        for n, (chat, text) in enumerate(notes.items(), start=1):
            outbox.enqueue_message(s, kind="order_status", chat_id=chat, text=text, dedupe_key=f"order_status:{n}:paid")
        s.commit()
    return {(chat, BROADCAST) for chat in chats} | set(notes.items())


def _holder_pid(engine) -> int | None:
    """The pid of the sidecar holding the sender's lease (its holder name is host:pid:random)."""
    with Session(engine) as s:
        holder = leases.holder_of(s, name=LEASE_NAME)
    return int(holder.split(":")[1]) if holder else None


def _beating(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(SidecarHeartbeat)).one()


def _delivered(base: str) -> Counter:
    return Counter((c["chat_id"], c["text"]) for c in get_json(f"{base}/_control/calls?sends=1") if c["status"] == 200)


def _not_sent(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Outbox)
                      .where(Outbox.lane == OutboxLane.telegram.value, Outbox.status != OutboxStatus.sent)).one()


class Sidecars:
    """The fake Bot API and two sidecars on ``engine``'s database, stopped at the end."""

    def __init__(self, engine, tmp_path) -> None:
        self.fake, self.base = start_fake(rate=float(RATE))
        url = engine.url.render_as_string(hide_password=False)
        env = sidecar_env(url, self.base, SMO_BROADCAST_RATE=RATE)
        self.logs = [tmp_path / "sidecar1.log", tmp_path / "sidecar2.log"]
        self.procs = [start_sidecar(env, log) for log in self.logs]
        # both up (each beats as soon as it runs; a loaded machine takes a while to import them),
        # one holding the sender's lease: only then is anything queued
        ready = lambda: _beating(engine) == 2 and _holder_pid(engine) is not None  # noqa: E731
        if not wait_until(ready, STARTUP_S, 0.2):
            self.stop()
            pytest.fail(f"the sidecars did not start within {STARTUP_S} s: {self.tail()}")

    def tail(self) -> str:
        """What went wrong, for a failed wait: the fake's counts and the end of each sidecar's log."""
        logs = "\n".join(log.read_text()[-1500:] for log in self.logs if log.exists())
        return f"{get_json(f'{self.base}/_control/stats')}; exit codes {[p.poll() for p in self.procs]}\n{logs}"

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.fake.kill()
        self.fake.wait(5)


@pytest.mark.slow
def test_two_sidecars_running_at_once_send_every_message_exactly_once(pg_engine, tmp_path):
    # given two sidecars running side by side on PostgreSQL
    sidecars = Sidecars(pg_engine, tmp_path)
    try:
        # when a broadcast to 120 customers and 20 order notifications are queued, until all are sent
        expected = _queue(pg_engine)
        queued = time.monotonic()
        holders: set[int | None] = set()

        def done() -> bool:
            holders.add(_holder_pid(pg_engine))
            return _not_sent(pg_engine) == 0

        assert wait_until(done, 40, 0.2), sidecars.tail()
        print(f"two sidecars: {len(expected)} messages sent in {time.monotonic() - queued:.1f} s")
        # then both were running all along, and one of them held the sender's lease throughout
        assert all(p.poll() is None for p in sidecars.procs), sidecars.tail()
        assert len(holders - {None}) == 1 and holders - {None} <= {p.pid for p in sidecars.procs}, holders
        # and every message arrived exactly once, none refused for going too fast
        got = _delivered(sidecars.base)
        assert set(got) == expected
        assert [k for k, n in got.items() if n > 1] == []
        assert get_json(f"{sidecars.base}/_control/stats")["429"] == 0
    finally:
        sidecars.stop()


@pytest.mark.slow
def test_the_other_sidecar_takes_over_when_the_lease_holder_is_killed(pg_engine, tmp_path):
    # given two sidecars running and the same messages queued
    sidecars = Sidecars(pg_engine, tmp_path)
    try:
        expected = _queue(pg_engine)
        # when the one holding the sender's lease is killed with SIGKILL about a third of the way
        assert wait_until(lambda: sum(_delivered(sidecars.base).values()) >= 60, 30, 0.05), sidecars.tail()
        holder = _holder_pid(pg_engine)
        (survivor,) = [p for p in sidecars.procs if p.pid != holder]
        os.kill(holder, signal.SIGKILL)
        sent_before = sum(_delivered(sidecars.base).values())
        assert sent_before < len(expected), "killed too late to test anything"
        # then the other takes the lease over and sends the rest
        assert wait_until(lambda: _not_sent(pg_engine) == 0, 40, 0.2), sidecars.tail()
        assert _holder_pid(pg_engine) == survivor.pid and survivor.poll() is None
        # every message arrived, at most those in flight at the kill (a pair of free ones) twice; none refused
        got = _delivered(sidecars.base)
        assert set(got) == expected
        duplicates = sum(n - 1 for n in got.values())
        print(f"two sidecars: sent before the kill {sent_before}, duplicates {duplicates}")
        assert duplicates <= FREE_IN_FLIGHT
        assert get_json(f"{sidecars.base}/_control/stats")["429"] == 0
    finally:
        sidecars.stop()
