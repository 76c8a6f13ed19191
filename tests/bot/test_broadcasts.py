"""Broadcast use cases (CO4): segments, permissions, preview, start/pause/resume/cancel, progress, CLI."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.broadcast import Broadcast
from smo_app.models.customer import CustomerKind
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.messaging import broadcasts as svc
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from tests.bot.sender_support import nothing_waiting, run_senders
from tests.factories import actor_of, make_customer, make_staff

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_segments_pick_the_right_reachable_customers(session):
    # given old, new, wholesale, unreachable and chat-less customers
    manager = actor_of(make_staff(session, Role.manager))
    old = make_customer(session, first_seen_at=utcnow() - timedelta(days=30))
    new = make_customer(session)
    wholesale = make_customer(session, kind=CustomerKind.wholesale, first_seen_at=utcnow() - timedelta(days=30))
    make_customer(session, unreachable=True)
    make_customer(session, telegram_id=None)

    def recipients(segment, days=None):
        b = svc.create_broadcast(session, actor=manager, text="hi", segment=segment, segment_days=days)
        svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
        ids = {r.customer_id for r in session.exec(select(Outbox).where(Outbox.broadcast_id == b.id)).all()}
        session.rollback()
        return ids

    # when broadcasts are started per segment / then each materialises its audience, unreachable excluded
    assert recipients("all") == {old.id, new.id, wholesale.id}
    assert recipients("new", 7) == {new.id}
    assert recipients("wholesale") == {wholesale.id}


def test_validation_and_permissions(session):
    seller = actor_of(make_staff(session, Role.seller))
    manager = actor_of(make_staff(session, Role.manager))
    # a seller may not broadcast
    with pytest.raises(PermissionDenied):
        svc.create_broadcast(session, actor=seller, text="hi", segment="all")
    # empty text, half a button, unknown segment, "new" without days are refused with codes
    for kwargs, code in [({}, "broadcast.empty"), ({"text": "x", "button_text": "Go"}, "broadcast.button_incomplete"),
                         ({"text": "x", "segment": "vip"}, "broadcast.segment_invalid"),
                         ({"text": "x", "segment": "new"}, "broadcast.days_required"),
                         ({"text": "<b>Sale -15% < today"}, "broadcast.html_invalid")]:
        kwargs.setdefault("segment", "all")
        with pytest.raises(ValidationFailed) as err:
            svc.create_broadcast(session, actor=manager, **kwargs)
        assert err.value.code == code
    # and none of the refused ones left a broadcast behind
    session.rollback()
    assert svc.list_broadcasts(session, actor=manager) == []


@pytest.mark.slow  # real time: a paced broadcast
def test_lifecycle_progress_and_exactly_once(settings, session_factory, session, engine, fake_tg):
    # given 12 customers and a broadcast with a photo and a button
    manager = actor_of(make_staff(session, Role.manager))
    customers = [make_customer(session) for _ in range(12)]
    b = svc.create_broadcast(session, actor=manager, text="<b>Sale</b>", photo="https://img.example/s.jpg",
                             button_text="Shop", button_url="https://shop.example", segment="all")
    # when it is previewed to the staff member, then started and paused at once
    svc.send_preview(session, actor=manager, broadcast_id=b.id, chat_id=777)
    started = svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
    assert (started.status, started.total, started.left) == ("running", 12, 12)
    with pytest.raises(DomainError):
        svc.start_broadcast(session, actor=manager, broadcast_id=b.id)  # never materialised twice
    svc.pause_broadcast(session, actor=manager, broadcast_id=b.id)
    run_senders(settings, session_factory, until=lambda: len(fake_tg.sent()) >= 1, timeout=3.0)
    # then only the preview went out while paused
    assert [c["chat_id"] for c in fake_tg.sent()] == [777]
    assert fake_tg.sent(777)[0]["method"] == "sendPhoto"
    # when resumed
    svc.resume_broadcast(session, actor=manager, broadcast_id=b.id)
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then every recipient got it exactly once and the final stats say so
    got = Counter(c["chat_id"] for c in fake_tg.sent() if c["chat_id"] != 777)
    assert got == Counter({c.telegram_id: 1 for c in customers})
    final = svc.broadcast_progress(session, actor=manager, broadcast_id=b.id)
    assert (final.status, final.sent, final.failed, final.blocked, final.left) == ("finished", 12, 0, 0, 0)
    assert [x.id for x in svc.list_broadcasts(session, actor=manager)] == [b.id]


def test_cancel_skips_what_is_left_and_counts_blocked(session):
    manager = actor_of(make_staff(session, Role.manager))
    for _ in range(3):
        make_customer(session)
    b = svc.create_broadcast(session, actor=manager, text="hi", segment="all")
    svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
    # when cancelled before anything went out
    p = svc.cancel_broadcast(session, actor=manager, broadcast_id=b.id)
    # then nothing is left to send, and it cannot be resumed
    assert (p.status, p.left, p.blocked, p.eta_seconds) == ("cancelled", 0, 3, None)
    with pytest.raises(DomainError):
        svc.resume_broadcast(session, actor=manager, broadcast_id=b.id)


def test_eta_uses_the_rate_while_the_bot_is_online(session):
    from smo_app.services.messaging import presence

    # given an online bot sidecar and a running broadcast to six customers
    presence.beat(session, instance="sidecar-1", mode="online")
    manager = actor_of(make_staff(session, Role.manager))
    for _ in range(6):
        make_customer(session)
    b = svc.create_broadcast(session, actor=manager, text="hi", segment="all")
    svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
    # then the estimate is six messages at two per second
    p = svc.broadcast_progress(session, actor=manager, broadcast_id=b.id, rate=2)
    assert (p.eta_seconds, p.waiting_for_bot) == (3, False)


def test_cli_creates_and_starts_and_prints_id(sqlite_engine):
    # given a database with two customers
    with Session(sqlite_engine) as s:
        make_customer(s)
        make_customer(s)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    # when the command line creates a broadcast
    out = subprocess.run([sys.executable, "-m", "smo_app.cli", "broadcast", "--segment", "all", "--text", "Hello <b>all</b>"],
                         cwd=ROOT, env={**__import__("os").environ, "SMO_DATABASE_URL": url},
                         capture_output=True, text=True, timeout=60)
    # then it printed the id of a running broadcast with both recipients queued
    assert out.returncode == 0, out.stderr
    bid = int(out.stdout.strip())
    with Session(sqlite_engine) as s:
        b = s.get(Broadcast, bid)
        assert (b.status, b.total) == ("running", 2)
        assert len(s.exec(select(Outbox).where(Outbox.broadcast_id == bid)).all()) == 2


def test_with_orders_segment_and_tracking_conversion(session):
    from smo_app.services.customers import registration as customers
    from smo_app.services.customers import tracking
    from smo_app.services.core.actor import Actor
    from tests.commerce_factories import make_product, place, variant_id

    # given a tracking link clicked by two new users, one of whom then orders
    system = Actor.system("test")
    tracking.create_link(session, actor=system, title="Promo", code="promo")
    buyer = customers.register_telegram_user(session, telegram_id=555001, username="b", full_name="Buyer",
                                             language="ru", start_param="link_promo").customer
    customers.register_telegram_user(session, telegram_id=555002, username="v", full_name="Visitor",
                                     language="ru", start_param="link_promo")
    vid = variant_id(make_product(session, qty=5, cross_sell=[]))
    place(session, buyer.id, {vid: 1})
    session.commit()
    # when the link's stats are read and a "with orders" broadcast is started
    [stats] = tracking.list_links(session, actor=system)
    b = svc.create_broadcast(session, actor=system, text="thanks", segment="with_orders")
    progress = svc.start_broadcast(session, actor=system, broadcast_id=b.id)
    # then half the visitors converted, and only the buyer is in the segment
    assert (stats.unique_users, stats.buyers, stats.conversion_pct) == (2, 1, 50.0)
    rows = session.exec(select(Outbox).where(Outbox.broadcast_id == b.id)).all()
    assert progress.total == 1 and [r.customer_id for r in rows] == [buyer.id]
