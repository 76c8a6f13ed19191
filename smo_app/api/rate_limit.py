"""A small in-process token bucket per key (the webhook routes: per provider and sender address),
so one flooding sender is answered 429 while the others go on."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

MAX_KEYS = 10_000  # forget the idlest senders beyond this


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key → (tokens, last refill)
        self._lock = threading.Lock()

    def allow(self, key: Hashable, rate_per_second: float, burst: float | None = None) -> bool:
        """Take one token from ``key``'s bucket (``burst`` deep, twice the rate unless given)."""
        if rate_per_second <= 0:
            return True
        depth = burst if burst is not None else 2 * rate_per_second
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (depth, now))
            tokens = min(depth, tokens + (now - last) * rate_per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > MAX_KEYS:
                for stale in sorted(self._buckets, key=lambda k: self._buckets[k][1])[: MAX_KEYS // 10]:
                    del self._buckets[stale]
            return allowed

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
