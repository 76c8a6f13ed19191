"""kill -9 in the middle of a broadcast, restart: every recipient gets it exactly once, except at
most the one message that was in flight (docs/BOT.md, "The kill -9 window")."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from sqlmodel import Session, func, select

from smo_app import migrations
from smo_app.db import make_engine
from smo_app.models.broadcast import Broadcast
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox
from tests.bot.procs import ROOT, get_json, sidecar_env, start_fake, start_sidecar, wait_until

RECIPIENTS = 150


@pytest.mark.slow
def test_broadcast_survives_kill_9_and_restart(tmp_path):
    # given a database with 150 customers and a fake Telegram limited to 30 msg/s
    url = f"sqlite:///{tmp_path / 'kill9.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.add_all([Customer(telegram_id=700_000 + i, full_name=f"C{i}") for i in range(RECIPIENTS)])
        s.commit()
    fake, base = start_fake(rate=30)
    sidecars: list[subprocess.Popen] = []
    try:
        env = sidecar_env(url, base, SMO_BROADCAST_RATE="30")
        # and a broadcast created and started from the command line
        out = subprocess.run([sys.executable, "-m", "smo_app.cli", "broadcast", "--segment", "all",
                              "--text", "Hello <b>everyone</b>"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60, check=True)
        bid = int(out.stdout.strip())
        # when the sidecar is killed with SIGKILL after about a third has gone out
        sidecars.append(start_sidecar(env, tmp_path / "sidecar1.log"))
        assert wait_until(lambda: get_json(f"{base}/_control/stats")["ok"] >= 50, 60, 0.02)
        os.kill(sidecars[0].pid, signal.SIGKILL)
        sidecars[0].wait(10)
        sent_before = get_json(f"{base}/_control/stats")["ok"]
        assert sent_before < RECIPIENTS, "killed too late to test anything"
        # and started again
        sidecars.append(start_sidecar(env, tmp_path / "sidecar2.log"))

        def finished() -> bool:
            with Session(engine) as s:
                return s.get(Broadcast, bid).status == "finished"

        assert wait_until(finished, 90, 0.2), (tmp_path / "sidecar2.log").read_text()[-3000:]
        # then every recipient got the message, at most one of them twice (the in-flight one)
        calls = get_json(f"{base}/_control/calls?sends=1")
        got = Counter(c["chat_id"] for c in calls if c["status"] == 200)
        assert set(got) == {700_000 + i for i in range(RECIPIENTS)}
        duplicates = sum(n - 1 for n in got.values())
        print(f"kill9: sent before kill {sent_before}, duplicates {duplicates}")
        assert duplicates <= 1
        # and Telegram never had to refuse anything, and the database agrees
        assert sum(c["status"] == 429 for c in calls) == 0
        with Session(engine) as s:
            assert s.exec(select(func.count()).where(Outbox.broadcast_id == bid, Outbox.status == "sent")).one() == RECIPIENTS
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
