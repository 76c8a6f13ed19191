"""The sender's batches: text messages posted directly in aiogram's wire format, a paid broadcast sent
several at a time (bounded: the kill -9 window), never two messages to one chat at once, a chat's
messages in order."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot_sidecar.direct_send import send_direct
from bot_sidecar.outbox import FREE_IN_FLIGHT, PAID_IN_FLIGHT
from bot_sidecar.telegram import make_bot, send_payload
from smo_app.models.outbox import Outbox
from smo_app.services.messaging import broadcasts as svc
from smo_app.services.messaging import outbox as outbox_service
from tests.bot.sender_support import nothing_waiting, run_senders
from tests.factories import actor_of, make_customer, make_staff
from smo_app.models.staff import Role

PAYLOADS = [
    {"text": "<b>Sale</b>", "buttons": [[{"text": "Shop", "url": "https://shop.example"},
                                         {"text": "App", "web_app": "https://shop.example/app"}],
                                        [{"text": "More", "callback_data": "m:more"}]],
     "allow_paid_broadcast": True},
    {"text": "Tom & <Jerry>", "parse_mode": "plain"},
    {"text": "in a topic", "thread_id": 7},
    {"copy": {"from_chat_id": -100, "message_id": 5}, "allow_paid_broadcast": True},
]


def test_direct_send_posts_what_aiogram_posts(settings, fake_tg):
    # given payloads of every kind the direct path takes
    async def go() -> list[int]:
        bot = make_bot(settings)
        try:
            ids = []
            for n, payload in enumerate(PAYLOADS):
                await send_payload(bot, 1000 + n, payload)  # through aiogram
                ids.append(await send_direct(bot, 2000 + n, payload))  # posted directly
            return ids
        finally:
            await bot.session.close()

    # when each is sent once through aiogram and once directly
    ids = asyncio.run(go())
    # then the Bot API got the same method and the same fields, and the message id came back
    for n in range(len(PAYLOADS)):
        [by_aiogram], [direct] = fake_tg.sent(1000 + n), fake_tg.sent(2000 + n)
        assert direct["method"] == by_aiogram["method"]
        assert {**direct["params"], "chat_id": 0} == {**by_aiogram["params"], "chat_id": 0}
    assert all(isinstance(i, int) and i > 0 for i in ids)


def test_direct_send_raises_what_aiogram_raises(settings, fake_tg):
    from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter

    # given a chat that blocked the bot and a server allowing one message a second
    fake_tg.blocked.add(31)
    fake_tg.rate = 1

    async def go():
        bot = make_bot(settings)
        try:
            with pytest.raises(TelegramForbiddenError):
                await send_direct(bot, 31, {"text": "hi"})
            await send_direct(bot, 32, {"text": "hi"})
            with pytest.raises(TelegramRetryAfter) as err:
                await send_direct(bot, 33, {"text": "hi"})
            return err.value.retry_after
        finally:
            await bot.session.close()

    # when the sender's direct path meets them / then they surface as aiogram's own errors
    assert asyncio.run(go()) >= 1


@pytest.mark.slow  # real time: about a second of sending
def test_paid_broadcast_goes_several_at_a_time_one_per_chat_in_order(settings, session_factory, session, engine,
                                                                      fake_tg):
    # given a server answering each call after 50 ms, a paid broadcast to 48 customers, and two
    # notifications queued for the first customer (which must keep their order)
    fake_tg.latency, fake_tg.chat_rate = 0.05, 1
    owner = actor_of(make_staff(session, Role.owner))
    customers = [make_customer(session) for _ in range(48)]
    first = customers[0].telegram_id
    for text in ("order placed", "order paid"):
        outbox_service.enqueue_message(session, kind="test", chat_id=first, text=text)
    session.commit()
    _start_paid_broadcast(session, fake_tg, owner)
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine), rate=30)
    sent = fake_tg.sent()
    # then everyone got the broadcast once, and the two notifications arrived in order, 1 s apart
    assert Counter(c["chat_id"] for c in sent if c["params"].get("allow_paid_broadcast")) == Counter(
        c.telegram_id for c in customers)
    notes = [c for c in sent if c["chat_id"] == first and not c["params"].get("allow_paid_broadcast")]
    assert [c["params"]["text"] for c in notes] == ["order placed", "order paid"]
    # and no chat ever had two calls open at once (each call is open for the server's 50 ms)
    by_chat: dict[int, list[float]] = {}
    for c in sent:
        by_chat.setdefault(c["chat_id"], []).append(c["mono"])
    assert all(b - a >= 0.05 for times in by_chat.values() for a, b in zip(times, times[1:]))
    # and the paid messages went several at a time, never more than PAID_IN_FLIGHT open at once
    # (the first customer's copy waits for that chat's two notifications, a second apart: left out)
    paid = sorted(c["mono"] for c in sent if c["params"].get("allow_paid_broadcast") and c["chat_id"] != first)
    most_open = max(sum(1 for t in paid if s <= t < s + 0.045) for s in paid)
    assert 1 < most_open <= PAID_IN_FLIGHT
    assert paid[-1] - paid[0] < 47 * 0.05 / 2, "one at a time would take 2.35 s"
    assert session.exec(Outbox.__table__.select().where(Outbox.status != "sent")).all() == []
    assert FREE_IN_FLIGHT <= 2


@pytest.mark.slow  # real time: about a second of sending
def test_paid_broadcast_keeps_its_window_full_while_one_answer_is_slow(settings, session_factory, session, engine,
                                                                        fake_tg):
    # given a server answering each call in 20 ms, but one customer's in 800 ms, and a paid
    # broadcast to 120 customers (the slow one first, so it leaves with the first calls)
    fake_tg.latency = 0.02
    owner = actor_of(make_staff(session, Role.owner))
    customers = [make_customer(session) for _ in range(120)]
    slow = customers[0].telegram_id
    fake_tg.chat_latency[slow] = 0.8
    _start_paid_broadcast(session, fake_tg, owner)
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine), rate=30)
    # then everyone got it once, and every row is marked sent
    sent = fake_tg.sent()
    assert Counter(c["chat_id"] for c in sent) == Counter(c.telegram_id for c in customers)
    assert session.exec(Outbox.__table__.select().where(Outbox.status != "sent")).all() == []
    # and the server never had more than PAID_IN_FLIGHT calls open at once
    assert 1 < fake_tg.peak_open_sends <= PAID_IN_FLIGHT
    # and the slow answer held nobody up: while it was out, more calls than one window's worth
    # started (a batch waiting for all its answers would have started none after its own 15)
    [slow_call] = fake_tg.sent(slow)
    meanwhile = [c for c in sent if slow_call["mono"] < c["mono"] < slow_call["done"]]
    assert len(meanwhile) > PAID_IN_FLIGHT, len(meanwhile)


def _start_paid_broadcast(session, fake_tg, owner) -> None:
    """A paid broadcast "Flash sale" to every customer, started (the Stars balance asked from the fake)."""
    from integrations.telegram_stars.client import TelegramStarsClient
    from smo_app import composition
    from tests.bot.conftest import TOKEN
    composition.use(telegram_stars=TelegramStarsClient(token=TOKEN, base_url=fake_tg.base_url))
    b = svc.create_broadcast(session, actor=owner, text="Flash sale", segment="all", paid=True)
    svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    session.rollback()
