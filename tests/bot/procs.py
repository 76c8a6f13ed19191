"""Running the fake Bot API and the sidecar as real processes (kill -9 test, benchmark)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_fake(*, rate: float, chat_rate: float = 1, group_per_minute: int = 20, paid_rate: float = 1000,
               stars: int = 1000) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0", "--rate", str(rate),
         "--chat-rate", str(chat_rate), "--group-per-minute", str(group_per_minute), "--paid-rate", str(paid_rate),
         "--stars", str(stars)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"fake server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def sidecar_env(database_url: str, api_base: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SMO_DATABASE_URL": database_url, "SMO_TELEGRAM_API_BASE": api_base,
           "SMO_BOT_TOKEN": "123456:TEST-token", "SMO_SECRET_KEY": "test-secret-key-0123456789abcdef",
           "SMO_DEMO": "0", "SMO_LOG_LEVEL": "WARNING", "SMO_OUTBOX_LEASE_SECONDS": "2"}
    env.update(extra)
    return env


def start_sidecar(env: dict[str, str], log_path: Path | None = None) -> subprocess.Popen:
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "bot_sidecar"], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
