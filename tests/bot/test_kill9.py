"""kill -9 in the middle of a broadcast (free, or paid at up to 1,000 msg/s), restart: every recipient
gets it exactly once, except at most the messages that were in flight — one for a free broadcast,
PAID_IN_FLIGHT for a paid one (docs/BOT.md, "The kill -9 window")."""
from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter

import pytest
from sqlmodel import Session, func, select

from bot_sidecar.outbox import FREE_IN_FLIGHT, PAID_IN_FLIGHT
from smo_app import migrations
from smo_app.db import make_engine
from smo_app.models.broadcast import Broadcast
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox
from smo_app.settings import reset_settings_cache
from tests.bot.procs import get_json, sidecar_env, start_fake, start_sidecar, wait_until

RECIPIENTS = 90  # three seconds at 30 msg/s: the kill lands mid-way whatever the sidecar's start-up takes


@pytest.mark.slow
def test_broadcast_survives_kill_9_and_restart(tmp_path, monkeypatch, capsys):
    # given 90 customers and a fake Telegram limited to 30 msg/s, and a broadcast created and
    # started by the command line's `broadcast` (its own process: tests/bot/test_broadcasts.py)
    def start(env) -> int:
        from smo_app import cli
        from smo_app.db import dispose_engines

        monkeypatch.setenv("SMO_DATABASE_URL", env["SMO_DATABASE_URL"])
        reset_settings_cache()
        capsys.readouterr()
        try:
            assert cli.main(["broadcast", "--segment", "all", "--text", "Hello <b>everyone</b>"]) == 0
        finally:
            dispose_engines()
        return int(capsys.readouterr().out.strip())

    # when the sidecar is killed after about a third, and restarted / then everyone got it once
    _kill_9_mid_broadcast(tmp_path, recipients=RECIPIENTS, start=start, kill_after=30, in_flight=FREE_IN_FLIGHT)


@pytest.mark.slow
def test_paid_broadcast_survives_kill_9_and_restart(tmp_path):
    # given 600 customers and a paid broadcast (allow_paid_broadcast: the fake's 1,000 msg/s limit)
    from integrations.telegram_stars.client import TelegramStarsClient
    from smo_app import composition
    from smo_app.services.core.actor import Actor
    from smo_app.services.messaging import broadcasts

    def start(env) -> int:
        composition.use(telegram_stars=TelegramStarsClient(token=env["SMO_BOT_TOKEN"],
                                                           base_url=env["SMO_TELEGRAM_API_BASE"]))
        engine = make_engine(env["SMO_DATABASE_URL"])
        try:
            with Session(engine) as s:
                b = broadcasts.create_broadcast(s, actor=Actor.system("test"), text="Flash <b>sale</b>", paid=True)
                broadcasts.start_broadcast(s, actor=Actor.system("test"), broadcast_id=b.id)
                return b.id
        finally:
            engine.dispose()

    # when the sidecar is killed mid-way and restarted / then everyone got it once, every one as paid
    calls = _kill_9_mid_broadcast(tmp_path, recipients=600, start=start, kill_after=200, in_flight=PAID_IN_FLIGHT)
    assert all(c["paid"] for c in calls if c["status"] == 200)


def _kill_9_mid_broadcast(tmp_path, *, recipients: int, start, kill_after: int, in_flight: int) -> list[dict]:
    url = f"sqlite:///{tmp_path / 'kill9.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.add_all([Customer(telegram_id=700_000 + i, full_name=f"C{i}") for i in range(recipients)])
        s.commit()
    fake, base = start_fake(rate=30)
    sidecars: list = []  # tests.bot.procs.Forked
    try:
        env = sidecar_env(url, base, SMO_BROADCAST_RATE="30")
        bid = start(env)
        # when the sidecar is killed with SIGKILL after ``kill_after`` messages went out
        sidecars.append(start_sidecar(env, tmp_path / "sidecar1.log"))
        assert wait_until(lambda: get_json(f"{base}/_control/stats")["ok"] >= kill_after, 60, 0.02)
        os.kill(sidecars[0].pid, signal.SIGKILL)
        sidecars[0].wait(10)
        sent_before = get_json(f"{base}/_control/stats")["ok"]
        assert sent_before < recipients, "killed too late to test anything"
        # and started again
        sidecars.append(start_sidecar(env, tmp_path / "sidecar2.log"))

        def finished() -> bool:
            with Session(engine) as s:
                return s.get(Broadcast, bid).status == "finished"

        assert wait_until(finished, 90, 0.2), (tmp_path / "sidecar2.log").read_text()[-3000:]
        # then every recipient got the message, at most the in-flight ones twice
        calls = get_json(f"{base}/_control/calls?sends=1")
        got = Counter(c["chat_id"] for c in calls if c["status"] == 200)
        assert set(got) == {700_000 + i for i in range(recipients)}
        duplicates = sum(n - 1 for n in got.values())
        print(f"kill9: sent before kill {sent_before}, duplicates {duplicates}")
        assert duplicates <= in_flight
        # and Telegram never had to refuse anything, and the database agrees
        assert sum(c["status"] == 429 for c in calls) == 0
        with Session(engine) as s:
            assert s.exec(select(func.count()).where(Outbox.broadcast_id == bid, Outbox.status == "sent")).one() == recipients
        return calls
    finally:
        for p in sidecars:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        fake.kill()
        fake.wait(5)
        engine.dispose()
