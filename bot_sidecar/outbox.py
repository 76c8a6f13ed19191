"""The paced outbox sender: delivers every outbox row at Telegram's limits.

Guarantees (see docs/BOT.md):
* One sender at a time: it holds the ``outbox-sender`` lease (renewed every ttl/3). A second
  sidecar waits; if the holder dies its lease expires and the other takes over.
* A sliding window of calls in flight: ≤ FREE_IN_FLIGHT free messages, ≤ PAID_IN_FLIGHT of a paid
  broadcast, one per chat (its first waiting row, none while a call to that chat is out). Rows are
  claimed with one conditional UPDATE (pending/failed → sending) in the commit that marks the
  messages answered since the last claim sent, each claimed row's call then runs on its own, and
  its answer frees its slot for the next claim (a paid broadcast's rows are claimed PAID_CLAIM_MIN
  at a time, free ones in pairs). Text messages and copies are posted directly
  (bot_sidecar.direct_send), the rest through aiogram. A row holds its slot from its claim until
  its outcome is committed, so the rows ``sending`` never exceed the window and a kill -9 can
  repeat at most that (2 free / 16 paid messages): the next lease holder puts them back to pending.
  That is the only duplicate window.
  Nothing is ever lost.
* Pacing: ≤ ``rate`` messages per second overall (sliding window), ≤ 1 per second per private chat,
  ≤ 20 per minute per group. A paid broadcast's rows (sent with ``allow_paid_broadcast``, 0.1 Star
  each) have a window of their own, ≤ ``paid_rate`` (1,000) per second, beside the free one. A 429 stops *all* sending for the full ``retry_after``. A 403 marks
  the customer unreachable and skips everything waiting for that chat. Other errors retry with
  backoff (smo_app.services.messaging.outbox_delivery.BACKOFF_SECONDS) and become ``dead`` after
  MAX_ATTEMPTS. Rows past their ``expires_at`` are marked ``expired`` and never sent.
* Uploads (``enqueue_document``/``enqueue_photo``) go out as multipart sendDocument/sendPhoto with
  the bytes kept in ``outbox_blob``; the blob is dropped once sent.

The :class:`TaskWorker` runs the outbox's task lane (provider calls, after-commit subscribers)
under its own lease, unpaced by Telegram's limits and also when no bot token is configured.

No database work runs on the event loop (aiogram's handlers share it): each lane owns one session
on one dedicated worker thread (:class:`LaneDB`), and every claim, mark, refill and lease renewal
is awaited there; the loop only paces and talks HTTP.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, Message
from sqlmodel import Session

from bot_sidecar.direct_send import can_send_direct, send_direct
from bot_sidecar.keyboards import markup
from bot_sidecar.telegram import send_payload
from smo_app.services.catalog import images
from smo_app.models.base import utcnow
from smo_app.models.outbox import OutboxLane
from smo_app.services.core import leases
from smo_app.services.messaging import broadcasts as broadcast_service
from smo_app.services.messaging import outbox_delivery as outbox_service
from smo_app.services.messaging import outbox_tasks
from smo_app.services.messaging.broadcasts import PAID_RATE
from smo_app.services.messaging.outbox_delivery import Claimed, Sent
from smo_app.services.support import relay as support_relay

log = logging.getLogger("bot_sidecar.outbox")
LEASE_NAME = "outbox-sender"
TASK_LEASE_NAME = "outbox-tasks"
EXPIRE_EVERY = 10.0  # seconds between passes marking rows past their expiry
FREE_IN_FLIGHT = 2  # free messages sent at once: a backlog goes in pairs (half the commits and wake-ups)
PAID_IN_FLIGHT = 16  # a paid broadcast's messages sent at once (1,000/s needs several): the kill -9 window
FULL_REFILL_EVERY = EXPIRE_EVERY  # seconds: with rows still buffered, a full refill at least this often
FLUSH_BEFORE_WAIT = 0.1  # seconds: a longer wait marks the message last sent at once, not with the next claim
ANSWER_WAIT_MAX = 0.2  # seconds: a wait this short, with calls in flight, ends early when one is answered
PAID_CLAIM_MIN = 4  # a paid broadcast's rows are claimed once this many of its slots are free (fewer commits)
R = TypeVar("R")


class MissingUpload(Exception):
    """The bytes of a queued upload are gone: the row cannot be sent."""


class LaneDB:
    """One lane's database access: one session, used only by one dedicated worker thread.

    ``await db(fn, **kwargs)`` runs ``fn(session, **kwargs)`` on that thread, so the event loop never
    waits on the database and the session never changes threads (calls are awaited one at a time).
    """

    def __init__(self, session_factory: Callable[[], Session], name: str) -> None:
        self._factory = session_factory
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._session: Session | None = None

    def _run(self, fn: Callable[..., R], args: tuple, kwargs: dict[str, Any]) -> R:
        if self._session is None:
            self._session = self._factory()
        return fn(self._session, *args, **kwargs)

    async def __call__(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(self._run, fn, args, kwargs))

    async def rollback(self) -> None:
        await self(lambda session: session.rollback())

    async def close(self) -> None:
        def close(session: Session) -> None:
            session.close()
            self._session = None

        try:
            await self(close)
        finally:
            self._executor.shutdown(wait=False)


class TopicNotReady(Exception):
    """A message for a customer's forum topic whose topic is not created yet: retried later."""


async def _forum_thread(bot: Bot, db: LaneDB, row: Claimed) -> int:
    """The thread of the customer's topic a row goes to, creating the topic when the row says so."""
    forum = row.payload["forum"]
    thread = await db(support_relay.thread_of, chat_id=row.chat_id, customer_id=forum["customer_id"])
    if thread is None:
        if not forum.get("create"):
            raise TopicNotReady(f"outbox {row.id}: the customer's topic is not created yet")
        topic = await bot.create_forum_topic(row.chat_id, forum["create"])
        thread = topic.message_thread_id
        await db(support_relay.topic_created, chat_id=row.chat_id, customer_id=forum["customer_id"], thread_id=thread)
    return thread


async def send_row(bot: Bot, db: LaneDB, row: Claimed) -> Message:
    """Send one claimed Telegram row: a text/photo payload (into a customer's forum topic with
    ``forum``), a copy of a message, or an upload from ``outbox_blob``."""
    if row.payload.get("forum"):
        return await send_payload(bot, row.chat_id, {**row.payload, "thread_id": await _forum_thread(bot, db, row)})
    upload = row.payload.get("upload")
    photo = row.payload.get("photo")
    if not upload and photo:
        found = await db(images.telegram_photo, url=photo)
        if found is not None:  # a photo of our image store: its file id, or its bytes the first time
            kind, value = found
            payload = {**row.payload, "photo": value if kind == "file_id" else BufferedInputFile(value[0], filename=value[1])}
            message = await send_payload(bot, row.chat_id, payload)
            if kind == "bytes" and message.photo:
                await db(images.remember_file_id, url=photo, file_id=message.photo[-1].file_id)
            return message
    if not upload:
        return await send_payload(bot, row.chat_id, row.payload)
    found = await db(outbox_service.upload_of, outbox_id=row.id)
    if found is None:
        raise MissingUpload(f"outbox {row.id}: the file to upload is missing")
    filename, content = found
    parse_mode = row.payload.get("parse_mode") or "HTML"
    kwargs = dict(caption=row.payload.get("text"), parse_mode=None if parse_mode == "plain" else parse_mode,
                  reply_markup=markup(row.payload.get("buttons")))
    file = BufferedInputFile(content, filename=filename)
    if upload == "photo":
        return await bot.send_photo(row.chat_id, file, **kwargs)
    return await bot.send_document(row.chat_id, file, **kwargs)


async def deliver_row(bot: Bot, db: LaneDB, row: Claimed) -> int | None:
    """Send one claimed row; its Telegram message id. Text messages and copies go out directly
    (:mod:`bot_sidecar.direct_send`), the rest through aiogram (:func:`send_row`)."""
    if can_send_direct(row.payload):
        return await send_direct(bot, row.chat_id, row.payload)
    return (await send_row(bot, db, row)).message_id


async def run_steps(lane, stop: asyncio.Event, what: str) -> None:
    """Call ``lane.step(db)`` until ``stop``, sleeping what it returns; a failing step (a DB
    hiccup) is logged and the loop goes on; the lane's lease is released at the end. ``db`` is the
    lane's :class:`LaneDB` (its session on its own thread)."""
    db = LaneDB(lane.session_factory, what.replace(" ", "-"))
    stopped = asyncio.ensure_future(stop.wait())  # one waiter for the lane's life, not one per pause
    try:
        while not stop.is_set():
            try:
                delay = await lane.step(db)
            except Exception:  # noqa: BLE001 - the loop must survive a DB hiccup; logged
                log.exception("%s step failed", what)
                try:
                    await db.rollback()
                except Exception:  # noqa: BLE001
                    log.warning("%s: rollback failed", what, exc_info=True)
                delay = lane.poll_interval
            if delay > 0:
                await asyncio.wait((stopped,), timeout=delay)
    finally:
        stopped.cancel()
        try:
            if hasattr(lane, "drain"):  # the calls in flight answered, what was sent marked, before the lease goes
                await lane.drain(db)
        except Exception:  # noqa: BLE001 - left `sending`: the next holder requeues it
            log.warning("%s: could not mark the last message sent", what, exc_info=True)
        try:
            await db(lane.lease.release)
        finally:
            await db.close()


class LaneLease:
    """The named lease one process holds to work a lane of the outbox (renewed every ttl/3)."""

    def __init__(self, name: str, holder: str, ttl: float) -> None:
        self.name, self.holder, self.ttl = name, holder, ttl
        self.holding = False
        self._until = 0.0

    def fresh_enough(self) -> bool:
        """Held, and not yet due for renewal (renewed every ttl/3): no database call needed."""
        return self.holding and time.monotonic() < self._until - self.ttl * 2 / 3

    def ensure(self, session: Session) -> tuple[bool, bool]:
        """(held now, newly acquired)."""
        if self.fresh_enough():
            return True, False
        mono = time.monotonic()
        got = leases.acquire(session, name=self.name, holder=self.holder, ttl_seconds=self.ttl)
        fresh = got and not self.holding
        if not got and self.holding:
            log.warning("lost the %s lease; another sidecar works it now", self.name)
        self.holding = got
        self._until = mono + self.ttl if got else 0.0
        return got, fresh

    def release(self, session: Session) -> None:
        if not self.holding:
            return
        try:
            leases.release(session, name=self.name, holder=self.holder)
        except Exception:  # noqa: BLE001
            log.warning("could not release the %s lease", self.name, exc_info=True)


class Pacer:
    """Sliding-window limits mirrored from Telegram's, plus a global pause after a 429."""

    def __init__(self, rate: float, *, chat_per_second: float = 1.0, group_per_minute: int = 20,
                 margin: float = 0.003, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = max(1, math.floor(rate))
        self.window = self.capacity / rate  # rate 30 → 30 per 1 s; rate 0.5 → 1 per 2 s
        self.chat_gap = 1.0 / chat_per_second
        self.group_per_minute = group_per_minute
        self.margin = margin
        self.clock = clock
        self.paused_until = 0.0
        self._global: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = defaultdict(deque)

    def global_wait(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        wait = self.paused_until - now
        g = self._global
        while g and g[0] <= now - self.window - self.margin:
            g.popleft()
        if len(g) >= self.capacity:
            wait = max(wait, g[-self.capacity] + self.window + self.margin - now)
        return max(0.0, wait)

    def room(self, now: float | None = None) -> int:
        """How many messages the overall window takes now (0 while paused)."""
        now = self.clock() if now is None else now
        if self.paused_until > now:
            return 0
        g = self._global
        while g and g[0] <= now - self.window - self.margin:
            g.popleft()
        return max(0, self.capacity - len(g))

    def room_wait(self, n: int, now: float | None = None) -> float:
        """How long until the overall window takes ``n`` messages at once (0: now)."""
        now = self.clock() if now is None else now
        g = self._global
        wait = self.paused_until - now
        if len(g) > self.capacity - n:
            wait = max(wait, g[len(g) - (self.capacity - n) - 1] + self.window + self.margin - now)
        return max(0.0, wait)

    def chat_wait(self, chat_id: int, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        if chat_id < 0:
            q = self._groups[chat_id]
            while q and q[0] <= now - 60.0 - self.margin:
                q.popleft()
            if len(q) >= self.group_per_minute:
                return max(0.0, q[-self.group_per_minute] + 60.0 + self.margin - now)
            last = self._chat_last.get(chat_id)
        else:
            last = self._chat_last.get(chat_id)
        if last is None:
            return 0.0
        return max(0.0, last + self.chat_gap + self.margin - now)

    def record(self, chat_id: int | None, now: float | None = None, *, overall: bool = True) -> None:
        """A message sent to ``chat_id`` now: counted in the overall window (unless ``overall`` is
        False: a paid message, counted in the paid pacer's) and in the chat's (unless ``chat_id`` is None)."""
        now = self.clock() if now is None else now
        if overall:
            self._global.append(now)
        if chat_id is None:
            return
        self._chat_last[chat_id] = now
        if chat_id < 0:
            self._groups[chat_id].append(now)
        if len(self._chat_last) > 50_000:  # forget chats whose gap has long passed
            cutoff = now - 2 * self.chat_gap
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)


class OutboxSender:
    """Sends the Telegram lane through a sliding window of calls in flight: at most
    ``free_in_flight`` free messages and ``paid_in_flight`` messages of a paid broadcast at once
    (``in_flight_bound`` in all), one per chat. As answers come back, the rows they free are claimed
    again at once — the messages just answered marked sent in the same commit — so the window stays
    full instead of waiting for a whole batch."""

    def __init__(self, bot: Bot, session_factory: Callable[[], Session], *, rate: float, holder: str,
                 lease_ttl: float = 15.0, poll_interval: float = 0.5, refill_every: float = 1.0,
                 paid_rate: float = PAID_RATE, free_in_flight: int = FREE_IN_FLIGHT,
                 paid_in_flight: int = PAID_IN_FLIGHT) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.pacer = Pacer(rate)  # free messages' window, every chat's limits, the 429 pause
        self.paid_pacer = Pacer(paid_rate)  # paid broadcasts' window (allow_paid_broadcast)
        self.free_in_flight = max(1, free_in_flight)
        self.paid_in_flight = max(1, paid_in_flight)
        self.holder = holder
        self.lease_ttl = lease_ttl
        self.poll_interval = poll_interval
        self.refill_every = refill_every
        self.stats = {"sent": 0, "retry_after": 0, "blocked": 0, "failed": 0, "lost_claims": 0}
        self._buffer: list[tuple[int, int, bool]] = []  # (outbox id, chat id, paid)
        self._unmarked: list[Sent] = []  # sent, marked with the next claim
        self._refilled_at = self._fully_refilled_at = 0.0
        self._paid_buffered = False
        self._expired_at = -EXPIRE_EVERY
        self.lease = LaneLease(LEASE_NAME, holder, lease_ttl)
        # claimed and not answered yet (their Telegram call on its way, or waiting out a 429 pause)
        self._flying: set[asyncio.Task] = set()
        self._flying_chats: set[int | None] = set()
        self._flying_free = self._flying_paid = 0
        self._answered: asyncio.Future | None = None  # the step waiting for an answer, if any
        self._answers = 0  # answers (or failures) so far
        self._pausing: set[asyncio.Task] = set()  # claimed calls waiting out a 429 pause before they leave
        self._wake_at = 0  # a wait for answers ends once this few calls are in flight

    @property
    def in_flight_bound(self) -> int:
        """The most rows ``sending`` at once: what a kill -9 may repeat."""
        return max(self.free_in_flight, self.paid_in_flight)

    async def run(self, stop: asyncio.Event) -> None:
        log.info("outbox sender %s started (rate %.1f/s)", self.holder, self.pacer.capacity / self.pacer.window)
        await run_steps(self, stop, "outbox sender")

    async def _ensure_lease(self, db: LaneDB) -> bool:
        if self.lease.fresh_enough():  # no database call while the lease is well within its ttl
            return True
        got, fresh = await db(self.lease.ensure)
        if fresh:
            # our own calls still in flight (a lease lost and taken back) are marked before the requeue
            await self.drain(db)
            # the previous holder may have sent during the last window: start after it
            self._pause(self.pacer.window + self.pacer.margin)
            stale = await db(outbox_service.requeue_stale_sending, lane=OutboxLane.telegram.value)
            if stale:
                log.warning("requeued %d message(s) left in flight by a stopped sender (may repeat once)", stale)
            self._buffer = []
        return got

    def _pause(self, seconds: float) -> None:
        """Stop all sending, free and paid, for ``seconds``."""
        self.pacer.pause(seconds)
        self.paid_pacer.pause(seconds)

    @staticmethod
    def _refill(session: Session, *, expire: bool) -> list[tuple[int, int, bool]]:
        """One refill pass (on the lane's thread): skip unreachable chats, mark expired rows (every
        EXPIRE_EVERY s; claim refuses expired rows meanwhile), finish broadcasts, read what is due."""
        outbox_service.skip_unreachable(session)
        if expire:
            outbox_service.expire_due(session)
        broadcast_service.finish_completed(session)
        return outbox_service.due_candidates(session, limit=500)

    async def step(self, db: LaneDB) -> float:
        """Claim and launch what may go now; return how long to wait before the next step. While
        calls are in flight a short wait ends early when an answer comes back (its slot is free).
        Messages sent and not marked yet are marked before a wait of FLUSH_BEFORE_WAIT or more, or
        when nothing else is due."""
        delay = await self._step(db)
        answers = self._answers
        if self._unmarked and ((delay >= FLUSH_BEFORE_WAIT and not self._flying) or not self._buffer):
            await self.flush(db)  # a pacing gap of a few ms is not worth a commit of its own
            if (not self._buffer and not self._flying) or self._answers != answers:
                return 0.0  # the last ones (a refill now finishes their broadcast), or answers came meanwhile
        if delay > 0 and self._flying:
            await self._until_answer(min(delay, ANSWER_WAIT_MAX))
            return 0.0
        return delay

    async def _until_answer(self, timeout: float) -> None:
        """Wait ``timeout`` seconds or until one of the calls in flight is answered (its slot free)."""
        loop = asyncio.get_running_loop()
        answered = self._answered = loop.create_future()
        timer = loop.call_later(timeout, _settle, answered)
        try:
            await answered
        finally:
            timer.cancel()
            self._answered = None

    async def flush(self, db: LaneDB) -> None:
        """Mark the messages last sent, if they wait for the next claim."""
        if self._unmarked:
            sent, self._unmarked = self._unmarked, []
            try:
                await db(outbox_service.mark_sent, sent=sent)
            except BaseException:
                self._unmarked = sent + self._unmarked  # rolled back: marked on the next try
                raise

    async def drain(self, db: LaneDB) -> None:
        """Let every call in flight get its answer, then mark what was sent (before the lease goes).
        A claimed row still waiting out a 429 pause is not sent: it stays ``sending`` and the next
        lease holder puts it back to pending (sent once, then)."""
        for task in list(self._pausing):
            task.cancel()
        while self._flying:
            await asyncio.wait(set(self._flying))
        await self.flush(db)

    async def _step(self, db: LaneDB) -> float:
        if not await self._ensure_lease(db):
            return min(self.lease_ttl / 3, 5.0)
        now = self.pacer.clock()
        self._wake_at = self._flying_free + self._flying_paid - 1  # a wait ends at the next answer, unless…
        free_wait = _window_wait(self.pacer, 1 + self._flying_free, now)
        if self._pairs_waiting():  # (a pair: see below)
            if self._flying_free and not self._flying_paid:
                self._wake_at = 0  # a wait ends when both free answers are back
            elif free_wait > 0 and not self._flying_free:
                free_wait = _window_wait(self.pacer, self.free_in_flight, now)  # room for the pair: one wake-up
        if self._buffer and not self._paid_buffered and not self._flying_paid:
            paid_wait = math.inf  # nothing paid to send: the free window alone decides the wait
        else:
            paid_wait = _window_wait(self.paid_pacer, 1 + self._flying_paid, now)
        if free_wait > 0 and paid_wait > 0:  # (a long 429 pause still wakes up to renew the lease)
            return min(free_wait, paid_wait, self.lease_ttl / 3)
        mono = time.monotonic()
        if not self._buffer or mono - self._fully_refilled_at >= FULL_REFILL_EVERY:
            expire = mono - self._expired_at >= EXPIRE_EVERY
            await self.flush(db)  # the refill finishes broadcasts: the messages last sent count as sent
            self._buffer = await db(self._refill, expire=expire)
            self._paid_buffered = any(item[2] for item in self._buffer)  # (a light refresh adds only free rows)
            if expire:
                self._expired_at = mono
            self._refilled_at = self._fully_refilled_at = mono
            if not self._buffer:
                return self.poll_interval
        elif mono - self._refilled_at >= self.refill_every:
            # a broadcast in the buffer: only transactional messages queued since go before it
            self._refilled_at = mono
            fresh = await db(outbox_service.due_candidates, limit=100, transactional_only=True)
            known = {item[0] for item in self._buffer}
            fresh = [item for item in fresh if item[0] not in known]
            if fresh:
                self._buffer[:0] = fresh
        now = self.pacer.clock()
        wake_at = []
        if free_wait == 0 and self._pairs_waiting():
            # a backlog of free messages goes a pair at a time: one commit and one wake-up for both,
            # the same rate (the pair waits for both answers, and for the window's second free slot)
            if self._flying_free:
                free_wait = ANSWER_WAIT_MAX
                wake_at.append(self._flying_paid)  # …when both free answers are back
            else:
                free_wait = _window_wait(self.pacer, self.free_in_flight, now)
        if paid_wait == 0 and self._flying_paid and self.paid_in_flight - self._flying_paid < PAID_CLAIM_MIN:
            # a paid broadcast's rows are claimed a few at a time (one commit for PAID_CLAIM_MIN), the
            # rest of the window still in flight meanwhile
            paid_wait = ANSWER_WAIT_MAX
            wake_at.append(self._flying_free + self.paid_in_flight - PAID_CLAIM_MIN)  # …when that many are free
        if wake_at:
            self._wake_at = max(wake_at)
        if free_wait > 0 and paid_wait > 0:
            return min(free_wait, paid_wait)
        batch, best_wait = self._pick(now, free_wait, paid_wait)
        if not batch:
            return min(best_wait or self.poll_interval, self.poll_interval)
        await self._claim_and_launch(db, batch)
        return 0.0

    def _pairs_waiting(self) -> bool:
        """A backlog of free messages, sent ``free_in_flight`` at a time."""
        return 1 < self.free_in_flight <= self.pacer.capacity and len(self._buffer) >= self.free_in_flight

    def _pick(self, now: float, free_wait: float, paid_wait: float) -> tuple[list[tuple[int, int, bool]], float | None]:
        """Take from the buffer what may go now: each window's room (counting the calls in flight),
        at most ``free_in_flight`` free and ``paid_in_flight`` paid messages in flight
        (``in_flight_bound`` in all), and one message per chat — a chat's first waiting row only,
        and none to a chat with a call in flight, so a later one never overtakes it. Returns the
        batch and, when it is empty, the shortest wait seen."""
        flying = self._flying_free + self._flying_paid
        free_room = (min(self.free_in_flight - self._flying_free, self.pacer.room(now) - self._flying_free)
                     if free_wait == 0 else 0)
        paid_room = (min(self.paid_in_flight - self._flying_paid, self.paid_pacer.room(now) - self._flying_paid)
                     if paid_wait == 0 and self._paid_buffered else 0)
        free_room, paid_room = max(0, free_room), max(0, paid_room)
        total = self.in_flight_bound - flying
        batch: list[tuple[int, int, bool]] = []
        keep: list[tuple[int, int, bool]] = []
        seen: set[int | None] = set(self._flying_chats)
        best_wait: float | None = None
        buffer = self._buffer
        for index, item in enumerate(buffer):
            if total <= 0 or (free_room == 0 and paid_room == 0):
                keep.extend(buffer[index:])
                break
            chat_id, paid = item[1], item[2]
            if chat_id in seen:
                keep.append(item)
                continue
            seen.add(chat_id)
            if (paid_room if paid else free_room) == 0:
                keep.append(item)
                continue
            wait = self.pacer.chat_wait(chat_id, now)
            if wait > 0:
                keep.append(item)
                best_wait = wait if best_wait is None else min(best_wait, wait)
                continue
            batch.append(item)
            total -= 1
            if paid:
                paid_room -= 1
            else:
                free_room -= 1
        self._buffer = keep
        if not batch:
            for kind_wait in (free_wait, paid_wait):
                if kind_wait > 0:
                    best_wait = kind_wait if best_wait is None else min(best_wait, kind_wait)
        return batch, best_wait

    async def _claim_and_launch(self, db: LaneDB, batch: list[tuple[int, int, bool]]) -> None:
        """Mark what was sent and claim ``batch`` in one commit, then start a call for each row won
        (each answer frees its slot for the next claim)."""
        sent, self._unmarked = self._unmarked, []
        try:
            rows = await db(outbox_service.mark_sent_and_claim, sent=sent, outbox_ids=[item[0] for item in batch])
        except BaseException:
            self._unmarked = sent + self._unmarked  # rolled back: marked on the next try
            raise
        self.stats["lost_claims"] += len(batch) - len(rows)
        if not rows:
            return
        paid_of = {item[0]: item[2] for item in batch}
        for row in rows:
            paid = paid_of[row.id]
            if paid:
                self._flying_paid += 1
            else:
                self._flying_free += 1
            self._flying_chats.add(row.chat_id)
            task = asyncio.create_task(self._send_claimed(db, row, paid))
            self._flying.add(task)
            task.add_done_callback(self._flying.discard)

    async def _send_claimed(self, db: LaneDB, row: Claimed, paid: bool) -> None:
        try:
            await self._deliver_claimed(db, row, paid)
        except Exception:  # noqa: BLE001 - marking the outcome failed (a DB hiccup): left `sending`
            log.exception("outbox %s: could not record the outcome; left for the next lease holder", row.id)
            try:
                await db.rollback()
            except Exception:  # noqa: BLE001
                log.warning("outbox sender: rollback failed", exc_info=True)
        finally:
            if paid:
                self._flying_paid -= 1
            else:
                self._flying_free -= 1
            self._flying_chats.discard(row.chat_id)
            self._answers += 1
            if self._answered is not None and self._flying_free + self._flying_paid <= self._wake_at:
                _settle(self._answered)

    async def _deliver_claimed(self, db: LaneDB, row: Claimed, paid: bool) -> None:
        pacer = self.paid_pacer if paid else self.pacer
        if pacer.paused_until > pacer.clock():  # a 429 came back after the claim: its call waits
            me = asyncio.current_task()
            self._pausing.add(me)
            try:
                while (pause := pacer.paused_until - pacer.clock()) > 0:
                    await asyncio.sleep(pause)
            finally:
                self._pausing.discard(me)
        try:
            try:
                message_id = await deliver_row(self.bot, db, row)
            finally:
                # stamped when the answer is back: Telegram received it no later than that, so the
                # windows hold whatever the network latency (stamping before the call does not)
                self.pacer.record(row.chat_id, overall=not paid)
                if paid:
                    self.paid_pacer.record(None)
        except TelegramRetryAfter as exc:
            self.stats["retry_after"] += 1
            log.warning("429 from Telegram: pausing all sending for %s s", exc.retry_after)
            until = utcnow() + timedelta(seconds=exc.retry_after)  # (due again by the time the pause ends)
            self._pause(exc.retry_after)
            await db(outbox_service.release_for_retry_after, outbox_id=row.id, until=until, error=str(exc))
            self._buffer.insert(0, (row.id, row.chat_id, paid))
            self._paid_buffered = self._paid_buffered or paid
            return
        except TelegramForbiddenError as exc:
            self.stats["blocked"] += 1
            await db(outbox_service.mark_chat_unreachable, outbox_id=row.id, chat_id=row.chat_id, error=str(exc))
            return
        except MissingUpload as exc:
            self.stats["failed"] += 1
            await db(outbox_service.mark_failed, outbox_id=row.id, error=str(exc), permanent=True)
            return
        except TelegramBadRequest as exc:
            self.stats["failed"] += 1
            if "chat not found" in str(exc).lower():
                await db(outbox_service.mark_chat_unreachable, outbox_id=row.id, chat_id=row.chat_id, error=str(exc))
            else:
                await db(outbox_service.mark_failed, outbox_id=row.id, error=f"400: {exc}", permanent=True)
            return
        except Exception as exc:  # noqa: BLE001 - network, 5xx, anything: retry with backoff
            self.stats["failed"] += 1
            status = await db(outbox_service.mark_failed, outbox_id=row.id, error=f"{type(exc).__name__}: {exc}")
            log.warning("outbox %s to %s failed (%s): %s", row.id, row.chat_id, status, exc)
            return
        self._unmarked.append((row.id, message_id, bool(row.payload.get("upload"))))
        self.stats["sent"] += 1


def _settle(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _window_wait(pacer: Pacer, n: int, now: float) -> float:
    """How long until ``pacer``'s window takes ``n`` more messages (the calls in flight among them:
    each is counted when its answer comes). More than the window holds: until answers come back."""
    if n > pacer.capacity:
        return max(pacer.paused_until - now, ANSWER_WAIT_MAX)
    return pacer.room_wait(n, now)


class TaskWorker:
    """Runs the outbox's task lane: one task at a time, each in a worker thread (database work and
    provider calls stay off the event loop), under the ``outbox-tasks`` lease. Restart-safe like the
    sender: a task left ``sending`` by a killed worker is re-queued by the next lease holder."""

    def __init__(self, session_factory: Callable[[], Session], *, holder: str, lease_ttl: float = 15.0,
                 poll_interval: float = 0.5, batch: int = 20) -> None:
        self.session_factory = session_factory
        self.lease = LaneLease(TASK_LEASE_NAME, holder, lease_ttl)
        self.poll_interval = poll_interval
        self.batch = batch
        self.stats = {"done": 0, "failed": 0, "dead": 0, "lost_claims": 0}
        self._expired_at = -EXPIRE_EVERY

    async def run(self, stop: asyncio.Event) -> None:
        await run_steps(self, stop, "outbox task worker")

    async def step(self, db: LaneDB) -> float:
        got, fresh = await db(self.lease.ensure)
        if not got:
            return min(self.lease.ttl / 3, 5.0)
        if fresh:
            stale = await db(outbox_service.requeue_stale_sending, lane=OutboxLane.task.value)
            if stale:
                log.warning("requeued %d task(s) left running by a stopped worker (may run once more)", stale)
        mono = time.monotonic()
        if mono - self._expired_at >= EXPIRE_EVERY:
            await db(outbox_service.expire_due)
            self._expired_at = mono
        ids = await db(outbox_service.due_tasks, limit=self.batch)
        if not ids:
            return self.poll_interval
        for outbox_id in ids:
            claimed = await db(outbox_service.claim, outbox_id=outbox_id)
            if claimed is None:
                self.stats["lost_claims"] += 1
                continue
            status = await asyncio.to_thread(outbox_tasks.run_claimed, self.session_factory, claimed)
            self.stats["done" if status == "sent" else status if status in self.stats else "failed"] += 1
            held, _ = await db(self.lease.ensure)
            if not held:
                break
        return 0.0
