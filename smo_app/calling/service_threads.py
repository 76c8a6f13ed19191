"""The worker threads service calls run in, one at a time unless the one running is slow.

A service call is mostly Python (ORM, pricing, rendering rows) and holds the interpreter lock while
it works. Beside it the event loop (Reflex's, FastAPI's, aiogram's) needs the lock several times per
event — a frame in, each Redis or database reply, a frame out — and waits its turn behind every
runnable thread. With asyncio's default pool (six threads on two cores) a web worker under load ran
six calls at once and a trivial tap waited behind all of them: its p95 rose 70–90× over the tap
alone (bench/load.py, 2 workers); with the turns below 6–40×, and orders went through faster. More
parallel work comes from more worker processes, not threads.

One at a time would let a slow call — a delivery quote or a payment provider answering late, a big
import — hold up every other call of the worker, and a worker sent more calls than one thread gets
through would queue them without end (one worker at full load held its tabs' locks past Reflex's
10 s). So a call starts at once when no call is running, when the youngest running call has run
longer than ``patience`` (it is probably waiting on the network or a long job, not on the
interpreter), or when the call itself has waited ``queue_patience`` (the calls come faster than one
thread serves them: throughput first then), up to ``threads`` at once; otherwise it waits for a
call to finish or for that moment, whichever comes first.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")
THREADS = 6  # at most this many calls at once (asyncio's own default on two cores)
PATIENCE = 0.05  # seconds a running call has the interpreter to itself before another may start
QUEUE_PATIENCE = 0.5  # seconds a call waits for its turn at most (a waited bound of 0.05 s brought the convoy back)


class ServiceThreads:
    """Runs blocking calls off the event loop, admitting a second one only beside a slow first."""

    def __init__(self, threads: int = THREADS, patience: float = PATIENCE, queue_patience: float = QUEUE_PATIENCE, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threads, self.patience, self.queue_patience, self._clock = threads, patience, queue_patience, clock
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="service")
        self._lock = threading.Lock()
        self._started: dict[object, float] = {}  # running calls → when they started
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    @property
    def running(self) -> int:
        return len(self._started)

    def _admit(self, asked: float) -> tuple[object | None, float | None]:
        """(a ticket when the call that first asked at ``asked`` may start now, else None; how long
        to wait at most before asking again — None: until a call finishes)."""
        now = self._clock()
        if len(self._started) >= self.threads:
            return None, None
        youngest = max(self._started.values(), default=now - self.patience)
        if now - youngest >= self.patience or now - asked >= self.queue_patience:
            ticket = object()
            self._started[ticket] = now
            return ticket, None
        return None, min(self.patience - (now - youngest), self.queue_patience - (now - asked))

    async def run(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
        """``fn(*args, **kwargs)`` in a worker thread (with the caller's context variables)."""
        loop = asyncio.get_running_loop()
        asked = self._clock()
        while True:
            with self._lock:
                ticket, wait = self._admit(asked)
                if ticket is None:
                    woken = loop.create_future()
                    self._waiters.append((loop, woken))
            if ticket is not None:
                break
            try:
                await asyncio.wait_for(woken, wait)
            except asyncio.TimeoutError:
                pass
            finally:
                with self._lock:
                    if (loop, woken) in self._waiters:
                        self._waiters.remove((loop, woken))
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        try:
            return await loop.run_in_executor(self._pool, call)
        finally:
            self._finished(ticket)

    def _finished(self, ticket: object) -> None:
        with self._lock:
            self._started.pop(ticket, None)
            if not self._waiters:
                return
            loop, woken = self._waiters.pop(0)
        if not loop.is_closed():
            loop.call_soon_threadsafe(_wake, woken)


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
