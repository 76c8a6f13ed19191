"""The AI endpoint's keys as this process has found them: a key answered 401/403 is invalid (until
the owner saves the keys again), a key answered 429 rests for the ``Retry-After`` it was given; the
next usable key is tried. Kept in memory — only the bot's process talks to the endpoint — and known
by a fingerprint, never the key itself."""
from __future__ import annotations

import hashlib
import threading
import time

DEFAULT_COOL_DOWN = 60.0  # seconds, when a 429 names no Retry-After


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class KeyRing:
    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._invalid: set[str] = set()
        self._resting: dict[str, float] = {}  # fingerprint -> monotonic time it may be used again
        self._lock = threading.Lock()

    def usable(self, keys: list[str]) -> list[str]:
        now = self.clock()
        with self._lock:
            return [k for k in keys if fingerprint(k) not in self._invalid and self._resting.get(fingerprint(k), 0) <= now]

    def invalid(self, key: str) -> None:
        with self._lock:
            self._invalid.add(fingerprint(key))

    def rest(self, key: str, seconds: float | None) -> None:
        with self._lock:
            self._resting[fingerprint(key)] = self.clock() + (seconds if seconds and seconds > 0 else DEFAULT_COOL_DOWN)

    def forget(self) -> None:
        """The owner saved new keys (and tests): every key is worth trying again."""
        with self._lock:
            self._invalid.clear()
            self._resting.clear()


RING = KeyRing()
