"""MoySklad's request limits, kept on our side: one limiter per token in the process, shared by every
caller (the scheduler's pulls, order pushes, webhook fetches, the settings screen).

* **Weighted sliding window** — MoySklad counts weight units per 3-second window: 45 units per
  token; a request weighs 1 unit on a solution token, 2/3/4 on a user token (from 12 May / 1 Sep /
  1 Dec 2026), and the stock reports always weigh 5. A token bucket of 45 refilled at 15/s would let
  90 units through in some 3 seconds; this limiter keeps the start time and weight of every request
  of the last window and admits a request only if *any* 3-second window stays within the budget.
* **At most 5 requests in flight** (MoySklad answers 429 with code 1073 beyond that).
* **First come, first served** — requests start in the order they asked for a slot: pages asked for
  in order arrive in order (a reader taking them in order never waits on one that was overtaken),
  and a heavier request (the stock report) is never starved by lighter ones.
* **Hold** — a 429's ``X-Lognex-Retry-After``/``X-Lognex-Reset``, or a 5xx's backoff, stops every
  caller of the token until it has passed: nobody hammers a throttled or failing API.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

WINDOW_SECONDS = 3.0
BUDGET_UNITS = 45
MAX_IN_FLIGHT = 5
MARGIN_SECONDS = 0.25  # our start time is before MoySklad's arrival time (a busy thread, a slow socket): keep clear
STOCK_REPORT_WEIGHT = 5
# a user token's (or login's) weight per request, from these dates (MoySklad's published schedule)
USER_TOKEN_WEIGHTS: tuple[tuple[date, int], ...] = (
    (date(2026, 5, 12), 2), (date(2026, 9, 1), 3), (date(2026, 12, 1), 4),
)


def request_weight(path: str, *, token_kind: str = "user", today: date | None = None) -> int:
    """Units one request to ``path`` costs."""
    if path.rstrip("/").split("?", 1)[0].endswith(("/report/stock/all", "/report/stock/bystore",
                                                    "/report/stock/all/current", "/report/stock/bystore/current")):
        return STOCK_REPORT_WEIGHT
    if token_kind == "solution":
        return 1
    today = today or date.today()
    weight = 1
    for since, w in USER_TOKEN_WEIGHTS:
        if today >= since:
            weight = w
    return weight


class WeightedLimiter:
    def __init__(self, *, budget: int = BUDGET_UNITS, window: float = WINDOW_SECONDS,
                 max_in_flight: int = MAX_IN_FLIGHT, margin: float = MARGIN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self.window = window
        self.max_in_flight = max_in_flight
        self.margin = margin
        self._clock = clock
        self._cond = threading.Condition()
        self._sent: list[list] = []  # [time, weight, running] of the requests that may still be in a window
        self._hold_until = 0.0
        self._queue: deque[object] = deque()  # the callers waiting for a slot, in the order they came

    def _expire(self, now: float) -> None:
        horizon = now - self.window - self.margin
        self._sent = [e for e in self._sent if e[2] or e[0] > horizon]

    def _wait_for(self, weight: int, now: float) -> float | None:
        """Seconds until ``weight`` may start (0: now), or None: wait for a request to finish.

        A request counts from its start until ``window`` after it *finished*: MoySklad counts it from
        its arrival, which lies somewhere in between (a busy thread may send it late), so the window
        is kept by the latest moment it can have arrived."""
        if now < self._hold_until:
            return self._hold_until - now
        if sum(1 for e in self._sent if e[2]) >= self.max_in_flight:
            return None
        used = sum(e[1] for e in self._sent)
        excess = used + weight - self.budget
        if excess <= 0:
            return 0.0
        freed = 0
        for finished, w, running in sorted(self._sent, key=lambda e: (e[2], e[0])):
            if running:
                return None  # what is left to free is still running: wait for it to finish
            freed += w
            if freed >= excess:
                return max(0.0, finished + self.window + self.margin - now)
        return None

    @contextmanager
    def slot(self, weight: int) -> Iterator[float]:
        """Hold a place for one request of ``weight`` units while it runs; yields its start time."""
        if weight > self.budget:
            raise ValueError(f"a request of {weight} units never fits a budget of {self.budget}")
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while True:
                    now = self._clock()
                    self._expire(now)
                    if self._queue[0] is not ticket:
                        self._cond.wait()  # an earlier caller goes first; it wakes us when it starts
                        continue
                    wait = self._wait_for(weight, now)
                    if wait == 0.0:
                        break
                    self._cond.wait(timeout=wait)
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()
            entry = [now, weight, True]  # [start, then finish time; weight; running]
            self._sent.append(entry)
        try:
            yield now
        finally:
            with self._cond:
                entry[0], entry[2] = self._clock(), False
                self._cond.notify_all()

    def hold(self, seconds: float) -> None:
        """Nobody starts a request for ``seconds`` (a 429's retry header, a 5xx's backoff)."""
        with self._cond:
            self._hold_until = max(self._hold_until, self._clock() + max(0.0, seconds))
            self._cond.notify_all()

    @property
    def in_flight(self) -> int:
        return sum(1 for e in self._sent if e[2])


_LIMITERS: dict[str, WeightedLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def limiter_for(token: str, base_url: str) -> WeightedLimiter:
    """The process's one limiter for this token (the same object for every client built with it)."""
    key = hashlib.sha256(f"{base_url}\0{token}".encode()).hexdigest()
    with _REGISTRY_LOCK:
        found = _LIMITERS.get(key)
        if found is None:
            found = _LIMITERS[key] = WeightedLimiter()
        return found


def max_window_units(sent: list[tuple[float, int]], window: float = WINDOW_SECONDS) -> int:
    """The largest sum of weights started within any ``window`` seconds (sorted or not)."""
    sent = sorted(sent)
    best = total = left = 0
    for right in range(len(sent)):
        total += sent[right][1]
        while sent[right][0] - sent[left][0] >= window:
            total -= sent[left][1]
            left += 1
        best = max(best, total)
    return best
