"""The paced outbox sender against the fake Bot API: delivery, pacing, 429, 403, retries, leases."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlmodel import Session, select

from bot_sidecar import outbox as outbox_module
from bot_sidecar.outbox import LEASE_NAME, OutboxSender, Pacer
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.services.core import leases
from smo_app.services.messaging import outbox as outbox_service
from smo_app.services.messaging import outbox_delivery
from tests.bot.sender_support import count, nothing_waiting, run_senders
from tests.factories import make_customer


def _queue(session, chat_ids, **kw):
    for n, chat in enumerate(chat_ids):
        outbox_service.enqueue_message(session, kind="test", chat_id=chat, text=f"msg {n} to {chat}", **kw)
    session.commit()
    session.rollback()


def test_delivers_text_photo_and_buttons_and_marks_sent(settings, session_factory, session, engine, fake_tg):
    # given a text message with buttons and a photo with a caption in the outbox
    outbox_service.enqueue_message(session, kind="t", chat_id=11, text="<b>Hi</b>",
                                   buttons=[[{"text": "Site", "url": "https://x.example"},
                                             {"text": "App", "web_app": "https://shop.example"}],
                                            [{"text": "Cb", "callback_data": "m:about"}]])
    outbox_service.enqueue_message(session, kind="t", chat_id=12, text="caption", photo="https://img.example/1.jpg")
    session.commit()
    session.rollback()
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then both went out in the real shape and are marked sent with the Telegram message id
    msg = fake_tg.sent(11)[0]
    assert msg["method"] == "sendMessage" and msg["params"]["parse_mode"] == "HTML"
    rows = msg["params"]["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["url"] == "https://x.example" and rows[0][1]["web_app"]["url"] == "https://shop.example"
    assert rows[1][0]["callback_data"] == "m:about"
    photo = fake_tg.sent(12)[0]
    assert photo["method"] == "sendPhoto" and photo["params"]["caption"] == "caption"
    sent = session.exec(select(Outbox).order_by(Outbox.id)).all()
    assert [r.status for r in sent] == ["sent", "sent"] and all(r.telegram_message_id for r in sent)


def test_text_that_is_not_telegram_html_goes_out_as_plain_text(settings, session_factory, session, engine,
                                                               fake_tg):
    # given a notification whose text carries an unescaped "&" and "<" (a name slipped in raw)
    outbox_service.enqueue_message(session, kind="t", chat_id=13, text="Tom & <Jerry> ordered")
    session.commit()
    session.rollback()
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then it is delivered as plain text (no parse mode) instead of being refused by Telegram
    msg = fake_tg.sent(13)[0]
    assert msg["params"]["text"] == "Tom & <Jerry> ordered" and "parse_mode" not in msg["params"]
    assert session.exec(select(Outbox.status).where(Outbox.chat_id == 13)).one() == "sent"


@pytest.mark.slow  # real time: one second per message to a chat
def test_one_message_per_second_per_chat(settings, session_factory, engine, fake_tg):
    # given a server enforcing 1 msg/s per chat and three messages to one chat
    fake_tg.chat_rate = 1
    with Session(engine) as s:
        _queue(s, [21, 21, 21, 22])
    # when the sender delivers them
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then they are ≥ 1 s apart, none was refused, and the other chat was not held up
    times = [c["mono"] for c in fake_tg.sent(21)]
    assert len(times) == 3 and all(b - a >= 1.0 for a, b in zip(times, times[1:]))
    assert fake_tg.count_status(429) == 0
    assert fake_tg.sent(22)[0]["mono"] < times[1]


@pytest.mark.slow  # real time: seconds of paced sending
def test_global_rate_is_respected(settings, session_factory, engine, fake_tg):
    # given a server allowing 10 msg/s overall and a sender set to the same rate
    fake_tg.rate = 10
    with Session(engine) as s:
        _queue(s, range(1000, 1025))
    # when 25 messages go out
    run_senders(settings, session_factory, until=nothing_waiting(engine), rate=10)
    # then no 429 happened and no 1-second window holds more than 10
    times = sorted(c["mono"] for c in fake_tg.sent())
    assert len(times) == 25 and fake_tg.count_status(429) == 0
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 10


@pytest.mark.slow  # real time: waits out retry_after
def test_429_pauses_all_sending_for_full_retry_after(settings, session_factory, engine, fake_tg, monkeypatch):
    # given a server limited to 3 msg/s and a sender that believes it may send 30; we note when the
    # sender starts each call and when it reads a 429 (calls already on their way then may still reach
    # the server just after the 429 and even succeed, since the fake's window may free meanwhile)
    fake_tg.rate = 3
    started, paused = [], []
    deliver = outbox_module.deliver_row

    async def noted_deliver(*args, **kwargs):
        started.append(time.monotonic())
        return await deliver(*args, **kwargs)

    pause = OutboxSender._pause

    def noted_pause(self, seconds):
        paused.append((time.monotonic(), seconds))
        pause(self, seconds)

    monkeypatch.setattr(outbox_module, "deliver_row", noted_deliver)
    monkeypatch.setattr(OutboxSender, "_pause", noted_pause)
    with Session(engine) as s:
        _queue(s, range(2000, 2008))
    # when it sends
    [sender] = run_senders(settings, session_factory, until=nothing_waiting(engine), rate=30)
    # then it got 429s and paused for retry_after after each (the fake answers ceil(seconds until the
    # window frees) = 1 here; the other pause is the one-window wait when it took the lease) …
    refused = [c for c in fake_tg.calls if c["status"] == 429]
    assert refused and sender.stats["retry_after"] == len(refused) == len([p for p in paused if p[1] == 1])
    # … and started no call until each pause had fully passed
    for at, seconds in paused:
        assert not [t - at for t in started if at <= t < at + seconds]
    # and the server saw each call the sender started, so the notes above cover every call
    assert len(started) == len([c for c in fake_tg.calls if c["method"] == "sendMessage"])
    # and every message arrived exactly once
    assert sorted(Counter(c["chat_id"] for c in fake_tg.sent()).values()) == [1] * 8


def test_403_marks_customer_unreachable_and_stops_sending(settings, session_factory, session, engine, fake_tg):
    # given a customer who blocked the bot, with two messages waiting, and another customer
    blocked = make_customer(session)
    other = make_customer(session)
    fake_tg.blocked.add(blocked.telegram_id)
    for c in (blocked, blocked, other):
        outbox_service.enqueue_to_customer(session, customer=c, kind="t", text="hello")
    session.commit()
    session.rollback()
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then one attempt hit the 403, the customer is unreachable, both rows are skipped
    assert len([c for c in fake_tg.calls if c["chat_id"] == blocked.telegram_id]) == 1
    session.expire_all()
    assert session.get(Customer, blocked.id).unreachable is True
    statuses = Counter((r.customer_id, r.status) for r in session.exec(select(Outbox)).all())
    assert statuses == {(blocked.id, "skipped"): 2, (other.id, "sent"): 1}
    session.rollback()
    # and later messages to them are not even queued
    assert outbox_service.enqueue_to_customer(session, customer=session.get(Customer, blocked.id),
                                              kind="t", text="again") is None


def test_other_failures_retry_with_backoff_then_dead_letter(settings, session_factory, engine, fake_tg,
                                                           monkeypatch):
    # given quick backoff (and no one-second gap per chat to wait for between the attempts),
    # a chat that fails twice then works, and a chat that always fails
    monkeypatch.setattr(outbox_delivery, "BACKOFF_SECONDS", (0.2, 0.2, 0.2, 0.2, 0.2))
    fake_tg.fail_chats.update({31: 2, 32: 100})
    with Session(engine) as s:
        _queue(s, [31, 32])
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine), timeout=30, chat_gap=0.05)
    # then the first is sent on its third attempt, the second is dead with the reason
    with Session(engine) as s:
        ok, dead = s.exec(select(Outbox).order_by(Outbox.id)).all()
    assert (ok.status, ok.attempts) == ("sent", 3)
    assert (dead.status, dead.attempts) == ("dead", outbox_service.MAX_ATTEMPTS)
    assert "Internal Server Error" in dead.last_error


def test_two_senders_share_nothing_twice(settings, session_factory, session, engine, fake_tg):
    # given 30 messages and two sidecars' senders started together
    _queue(session, range(3000, 3030))
    # when both run
    senders = run_senders(settings, session_factory, until=nothing_waiting(engine), holders=("a", "b"))
    # then each message went out once, all from the lease holder
    assert sorted(Counter(c["chat_id"] for c in fake_tg.sent()).values()) == [1] * 30
    assert sorted(s.stats["sent"] for s in senders) == [0, 30]


def test_takeover_requeues_the_in_flight_message(settings, session_factory, session, engine, fake_tg):
    # given a sender that died mid-send: its row is `sending` and its lease has expired
    _queue(session, [41, 42])
    row = session.exec(select(Outbox).where(Outbox.chat_id == 41)).one()
    row.status = OutboxStatus.sending
    session.add(row)
    session.commit()
    assert leases.acquire(session, name=LEASE_NAME, holder="dead", ttl_seconds=-1)
    # when a new sender starts
    run_senders(settings, session_factory, until=nothing_waiting(engine), holders=("new",))
    # then the in-flight row is sent again (the documented at-most-one duplicate) and nothing is lost
    assert len(fake_tg.sent(41)) == 1 and len(fake_tg.sent(42)) == 1
    assert count(engine, Outbox.status == "sent") == 2


def test_live_lease_holder_blocks_a_second_sender(settings, session_factory, session, engine, fake_tg):
    # given another live sidecar holding the lease
    _queue(session, [51])
    assert leases.acquire(session, name=LEASE_NAME, holder="other", ttl_seconds=60)
    # when this sidecar's sender runs for a while
    [sender] = run_senders(settings, session_factory, until=lambda: False, timeout=0.5, holders=("me",))
    # then it sends nothing
    assert sender.stats["sent"] == 0 and fake_tg.sent() == []


def test_pacer_limits_with_a_fake_clock():
    # given a pacer at 30/s with a controllable clock
    now = [100.0]
    p = Pacer(30, margin=0.0, clock=lambda: now[0])
    # when 30 messages go to distinct chats at the same instant
    for chat in range(30):
        assert p.global_wait() == 0
        p.record(chat)
    # then the 31st waits for the window, and a chat waits 1 s after its last message
    assert p.global_wait() == pytest.approx(1.0)
    assert p.chat_wait(5) == pytest.approx(1.0) and p.chat_wait(99) == 0
    # and a group gets 20 per minute
    now[0] = 200.0
    for i in range(20):
        assert p.chat_wait(-100) == 0
        p.record(-100)
        now[0] += 1.0
    assert p.chat_wait(-100) == pytest.approx(40.0)
    # and a 429 pauses everything
    p.pause(7)
    assert p.global_wait() == pytest.approx(7.0)


def test_offline_keeps_outbox_pending_then_sends_with_a_token(session_factory, session, engine, fake_tg):
    import asyncio

    from bot_sidecar.__main__ import run
    from smo_app.services.core.actor import Actor
    from smo_app.services.messaging import presence
    from tests.bot.conftest import make_settings

    # given a waiting message and no bot token
    _queue(session, [61])
    url = engine.url.render_as_string(hide_password=False)
    offline = make_settings(None, url)

    def status():
        with Session(engine) as s:
            return presence.sidecar_status(s)

    async def run_until(settings, done, timeout=30.0):
        # no fixed sleep: a loaded machine may take seconds to start the sidecar, and a fresh lease
        # holder waits one pacing window before its first message
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop, session_factory=session_factory, with_scheduler=False,
                                       lease_ttl=2))
        deadline = asyncio.get_running_loop().time() + timeout
        while not task.done() and asyncio.get_running_loop().time() < deadline:
            if await asyncio.to_thread(done):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task

    # when the sidecar runs offline (until its heartbeat says so, and half a second more)
    offline_seen = []

    def offline_for_a_while():
        st = status()
        if st.running and not st.online:
            offline_seen.append(time.monotonic())
        return bool(offline_seen) and time.monotonic() - offline_seen[0] >= 0.5

    asyncio.run(run_until(offline, offline_for_a_while))
    # then it did run, and the message is still pending and visible to the backoffice
    assert offline_seen
    [waiting] = outbox_service.list_waiting(session, actor=Actor.system())
    assert waiting.status == "pending" and waiting.chat_id == 61
    assert fake_tg.sent() == []
    session.rollback()
    # when it runs again with a token
    asyncio.run(run_until(make_settings(fake_tg, url), lambda: count(engine, Outbox.status == "sent") == 1))
    # then it went out, once
    assert len(fake_tg.sent(61)) == 1 and count(engine, Outbox.status == "sent") == 1


def test_the_sender_and_task_worker_never_touch_the_database_on_the_event_loop(settings, session, engine, fake_tg):
    import asyncio
    import threading

    import sqlalchemy as sa

    from bot_sidecar.outbox import OutboxSender, TaskWorker
    from bot_sidecar.telegram import make_bot
    from smo_app.db import make_engine

    # given waiting messages and lanes whose every SQL statement is noted with its thread
    _queue(session, [71, 72, 73])
    lanes_engine = make_engine(engine.url.render_as_string(hide_password=False))
    threads: set[int] = set()
    sa.event.listen(lanes_engine, "before_cursor_execute", lambda *a: threads.add(threading.get_ident()))
    factory = lambda: Session(lanes_engine, expire_on_commit=False)  # noqa: E731

    async def go() -> int:
        loop_thread = threading.get_ident()
        bot = make_bot(settings)
        stop = asyncio.Event()
        lanes = [OutboxSender(bot, factory, rate=30, holder="s", lease_ttl=3, poll_interval=0.05, refill_every=0.2),
                 TaskWorker(factory, holder="w", lease_ttl=3, poll_interval=0.05)]
        tasks = [asyncio.create_task(lane.run(stop)) for lane in lanes]
        for _ in range(400):
            if await asyncio.to_thread(nothing_waiting(engine)):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*tasks)
        await bot.session.close()
        return loop_thread

    # when they deliver the messages (and release their leases on the way out)
    loop_thread = asyncio.run(go())
    lanes_engine.dispose()
    # then everything went out, and not one statement ran on the event loop's thread
    assert count(engine, Outbox.status == "sent") == 3
    assert threads and loop_thread not in threads
