"""Helpers for the benches that start a server: a free local port, whether a URL answers 200, and
stopping a server started in its own process group.
(Not a benchmark itself: the leading underscore keeps ``make bench`` from running it.)"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str, timeout: float = 3) -> bool:
    """The URL answers 200 (anything else, or no answer yet, is False: the caller polls)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except Exception:  # noqa: BLE001 - polling until ready
        return False


def stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process group ``proc`` leads (started with ``start_new_session=True``), SIGKILL
    after ``timeout``."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
