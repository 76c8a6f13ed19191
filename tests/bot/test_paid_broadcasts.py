"""Paid broadcasts (Bot API allow_paid_broadcast): the cost in Stars, the bot's balance asked from
the fake Bot API, a start refused while the balance is short, the choice audited; the sender sends
a paid broadcast with allow_paid_broadcast, faster than the free pace, and still honours a 429."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import Session, select

from bot_sidecar.outbox import PAID_IN_FLIGHT
from integrations.telegram_stars.client import TelegramStarsClient
from smo_app import composition
from smo_app.models.audit import AuditEntry
from smo_app.models.broadcast import Broadcast
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.core.errors import DomainError
from smo_app.services.messaging import broadcasts as svc
from tests.bot.conftest import TOKEN
from tests.bot.sender_support import broadcast_finished, nothing_waiting, run_senders
from tests.factories import actor_of, make_customer, make_staff

STAR = 1_000_000_000


@pytest.fixture
def stars(fake_tg):
    """The web app asks the fake Bot API for the bot's Stars balance (getMyStarBalance over HTTP)."""
    composition.use(telegram_stars=TelegramStarsClient(token=TOKEN, base_url=fake_tg.base_url))
    return fake_tg


def _audit(session, action):
    rows = session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
    session.rollback()
    return rows


def test_cost_is_a_tenth_of_a_star_per_recipient_rounded_up():
    # given audiences of a few sizes / then the cost is recipients × 0.1 Star, rounded up to whole Stars
    assert [svc.stars_for(n) for n in (0, 1, 10, 11, 25, 1000)] == [0, 1, 1, 2, 3, 100]
    # and a balance reads as a number of Stars
    assert svc.format_stars(12 * STAR) == "12" and svc.format_stars(12 * STAR + STAR // 2) == "12.5"


def test_paid_broadcast_shows_cost_and_balance_and_starts_with_allow_paid_broadcast(session, stars):
    # given 25 reachable customers, a bot with 3 Stars and an owner choosing a paid broadcast
    owner = actor_of(make_staff(session, Role.owner))
    for _ in range(25):
        make_customer(session)
    stars.star_nanostars = 3 * STAR
    b = svc.create_broadcast(session, actor=owner, text="<b>Sale</b>", segment="all", paid=True)
    # when the owner looks at it before starting
    quote = svc.paid_quote(session, actor=owner, broadcast_id=b.id)
    # then it costs 3 Stars (25 × 0.1, rounded up) and the bot has 3 Stars: enough
    assert (quote.recipients, quote.stars, quote.balance_nanostars, quote.enough) == (25, 3, 3 * STAR, True)
    assert stars.calls_of("getMyStarBalance")
    # and the page shows the same cost on its line and the balance
    page = svc.broadcasts_page(session, actor=owner)
    assert page.lines[0].quote.stars == 3 and page.stars_asked and page.stars_balance_nanostars == 3 * STAR
    # when started
    progress = svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    # then every recipient's message is queued as a paid one, the cost is kept on the broadcast
    assert progress.status == "running" and progress.total == 25
    payloads = session.exec(select(Outbox.payload).where(Outbox.broadcast_id == b.id)).all()
    assert len(payloads) == 25 and all(p["allow_paid_broadcast"] is True for p in payloads)
    assert session.get(Broadcast, b.id).stars_cost == 3
    session.rollback()
    # and the start is audited with the cost and the balance it was checked against
    [start] = _audit(session, "broadcast.start")
    assert start.after["paid"] is True and start.after["stars_cost"] == 3 and start.after["stars_balance"] == "3"
    [created] = _audit(session, "broadcast.create")
    assert created.after["paid"] is True


def test_start_is_refused_when_the_balance_is_short_and_nothing_changes(session, stars):
    # given 25 customers (3 Stars) and a bot with 2.5 Stars
    owner = actor_of(make_staff(session, Role.owner))
    for _ in range(25):
        make_customer(session)
    stars.star_nanostars = 2 * STAR + STAR // 2
    b = svc.create_broadcast(session, actor=owner, text="Sale", segment="all", paid=True)
    # when the owner starts it
    with pytest.raises(DomainError) as err:
        svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    # then it is refused with the cost and the balance in the message's words
    assert err.value.code == "broadcast.stars_short"
    assert err.value.params["cost"] == 3 and err.value.params["balance"] == "2.5"
    from smo_app.i18n import t
    assert "3" in t(err.value.code, "en", **err.value.params) and "2.5" in t(err.value.code, "ru", **err.value.params)
    # and the broadcast is still a draft with nothing queued, no start audited
    session.rollback()
    assert session.get(Broadcast, b.id).status == "draft"
    assert session.exec(select(Outbox).where(Outbox.broadcast_id == b.id)).all() == []
    session.rollback()
    assert _audit(session, "broadcast.start") == []
    # when the owner makes it a free broadcast instead / then that choice is audited and it starts
    svc.set_broadcast_paid(session, actor=owner, broadcast_id=b.id, paid=False)
    [choice] = _audit(session, "broadcast.paid")
    assert (choice.before, choice.after) == ({"paid": True}, {"paid": False})
    assert svc.start_broadcast(session, actor=owner, broadcast_id=b.id).status == "running"
    payloads = session.exec(select(Outbox.payload).where(Outbox.broadcast_id == b.id)).all()
    assert payloads and not any(p.get("allow_paid_broadcast") for p in payloads)


def test_without_a_bot_the_balance_is_unavailable_and_a_paid_start_refused(session):
    # given no bot connected (no token: no Stars port) and a paid draft
    composition.use(telegram_stars=None)
    owner = actor_of(make_staff(session, Role.owner))
    make_customer(session)
    b = svc.create_broadcast(session, actor=owner, text="Sale", segment="all", paid=True)
    # when the owner looks at it / then the cost is known and the balance is not
    quote = svc.paid_quote(session, actor=owner, broadcast_id=b.id)
    assert (quote.stars, quote.balance_nanostars, quote.enough) == (1, None, False)
    # and starting it is refused, the draft kept
    with pytest.raises(DomainError) as err:
        svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    assert err.value.code == "broadcast.stars_unavailable"
    session.rollback()
    assert session.get(Broadcast, b.id).status == "draft"


def test_only_a_draft_changes_its_way_of_sending(session):
    owner = actor_of(make_staff(session, Role.owner))
    make_customer(session)
    b = svc.create_broadcast(session, actor=owner, text="Sale", segment="all")
    svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    with pytest.raises(DomainError) as err:
        svc.set_broadcast_paid(session, actor=owner, broadcast_id=b.id, paid=True)
    assert err.value.code == "broadcast.not_draft"
    session.rollback()
    assert session.get(Broadcast, b.id).paid is False


@pytest.mark.slow  # real time: a second or two of sending
def test_sender_sends_a_paid_broadcast_with_allow_paid_broadcast_faster_than_the_free_pace(
        settings, session_factory, session, engine, stars):
    # given the fake's real limits (30 msg/s free, 1,000 msg/s paid) and a paid broadcast to 150 customers
    stars.rate, stars.chat_rate, stars.paid_rate = 30, 1, 1000
    owner = actor_of(make_staff(session, Role.owner))
    customers = [make_customer(session) for _ in range(150)]
    stars.star_nanostars = 100 * STAR
    b = svc.create_broadcast(session, actor=owner, text="Flash sale", segment="all", paid=True)
    svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    # when the sender runs until the broadcast is done
    run_senders(settings, session_factory, until=broadcast_finished(engine, b.id), rate=30)
    # then everyone got it exactly once, with allow_paid_broadcast, and no 429 came back
    sent = stars.sent()
    assert Counter(c["chat_id"] for c in sent) == Counter(c.telegram_id for c in customers)
    assert all(c["params"].get("allow_paid_broadcast") is True for c in sent)
    assert stars.count_status(429) == 0
    # and it was not held to the free 30 msg/s: paid messages go several at once, so most come in
    # right after the one before (the free pace would space every one by 1/30 s); judged by the gaps,
    # not by the rate, which a loaded machine caps whatever the sender does
    gaps = sorted(b["mono"] - a["mono"] for a, b in zip(sent, sent[1:]))
    span = sent[-1]["mono"] - sent[0]["mono"]
    assert gaps[len(gaps) // 2] < 1 / 60, f"median gap {gaps[len(gaps) // 2] * 1000:.1f} ms, {149 / span:.0f} msg/s"
    # and the bot paid 0.1 Star per message (15 Stars of 100)
    assert stars.star_nanostars == 85 * STAR
    assert session.exec(select(Broadcast.status).where(Broadcast.id == b.id)).one() == "finished"


@pytest.mark.slow  # real time: waits out retry_after
def test_sender_honours_a_429_during_a_paid_broadcast(settings, session_factory, session, engine, stars):
    # given a server allowing only 5 paid messages a second (below what the sender believes)
    stars.rate, stars.paid_rate = None, 5
    owner = actor_of(make_staff(session, Role.owner))
    customers = [make_customer(session) for _ in range(40)]
    b = svc.create_broadcast(session, actor=owner, text="Sale", segment="all", paid=True)
    svc.start_broadcast(session, actor=owner, broadcast_id=b.id)
    # when the sender sends it (up to PAID_IN_FLIGHT calls in flight)
    [sender] = run_senders(settings, session_factory, until=nothing_waiting(engine), rate=30)
    # then it got 429s, and once a 429 was answered nothing new left until retry_after (1 s) had
    # passed: only calls already on their way (fewer than PAID_IN_FLIGHT), and any the sender started
    # before it read that answer, reached the server meanwhile — never a second window's worth (without
    # the pause, the 24 rows not yet tried would follow at once)
    refused = [c for c in stars.calls if c["status"] == 429]
    assert refused and sender.stats["retry_after"] == len(refused)
    sends = [c for c in stars.calls if c["method"] == "sendMessage"]
    for no in refused:
        during_pause = [c for c in sends if no["done"] < c["mono"] < no["done"] + 1]
        assert len(during_pause) < 2 * PAID_IN_FLIGHT, (no["done"], [round(c["mono"] - no["done"], 3) for c in during_pause])
    assert stars.peak_open_sends <= PAID_IN_FLIGHT
    # and every customer got it exactly once
    assert Counter(c["chat_id"] for c in stars.sent()) == Counter(c.telegram_id for c in customers)
