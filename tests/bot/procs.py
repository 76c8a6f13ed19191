"""Running the fake Bot API and the sidecar as real processes (kill -9 test, benchmark)."""
from __future__ import annotations

import atexit
import json
import os
import signal
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


def start_sidecar(env: dict[str, str], log_path: Path | None = None) -> Forked:
    """A running sidecar with ``env``, its output appended to ``log_path``: forked from a process that
    has imported it already (tests/bot/zygote.py), which spares each start about 5 s of CPU."""
    zygote = _zygote()
    zygote.stdin.write(json.dumps({"env": env, "log": str(log_path) if log_path else None}) + "\n")
    zygote.stdin.flush()
    return Forked(json.loads(zygote.stdout.readline())["pid"])


_ZYGOTES: list[subprocess.Popen] = []


def _zygote() -> subprocess.Popen:
    if not _ZYGOTES:
        proc = subprocess.Popen([sys.executable, "-m", "tests.bot.zygote"], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        ready = proc.stdout.readline()
        if ready != "READY\n":
            proc.kill()
            raise RuntimeError(f"the sidecar starter did not start: {ready!r}")
        _ZYGOTES.append(proc)
        atexit.register(_stop_zygote, proc)
    return _ZYGOTES[0]


def _stop_zygote(proc: subprocess.Popen) -> None:
    proc.stdin.close()  # its loop ends; sidecars it forked and the tests left running end with the tests' own stop
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


class Forked:
    """A sidecar the zygote forked: the part of :class:`subprocess.Popen` the tests use. It is the
    zygote's child, not ours, so its exit status is read from ``/proc`` (an ended child stays a zombie
    while the zygote lives, with its status in ``/proc/PID/stat``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # reaped: the zygote has exited
                self.returncode = -1
                return self.returncode
            if fields[0] in ("Z", "X"):
                status = int(fields[49])  # field 52, exit_code: as waitpid(2) reports it
                self.returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"sidecar {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


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
