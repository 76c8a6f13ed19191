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
from tests.bot.sender_support import broadcast_finished, nothing_waiting, run_senders
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
    run_senders(settings, session_factory, until=broadcast_finished(engine, b.id))
    # then every recipient got it exactly once and the final stats say so
    got = Counter(c["chat_id"] for c in fake_tg.sent() if c["chat_id"] != 777)
    assert got == Counter({c.telegram_id: 1 for c in customers})
    final = svc.broadcast_progress(session, actor=manager, broadcast_id=b.id)
    assert (final.status, final.sent, final.failed, final.blocked, final.left) == ("finished", 12, 0, 0, 0)
    assert [x.id for x in svc.list_broadcasts(session, actor=manager)] == [b.id]


def test_cancel_counts_what_is_left_as_not_sent_not_as_blocked(session):
    from smo_app.services.messaging import outbox_delivery

    manager = actor_of(make_staff(session, Role.manager))
    customers = [make_customer(session) for _ in range(4)]
    b = svc.create_broadcast(session, actor=manager, text="hi", segment="all")
    svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
    rows = {r.customer_id: r for r in session.exec(select(Outbox).where(Outbox.broadcast_id == b.id)).all()}
    # given one recipient got it and one had blocked the bot
    sent_row, blocked_row = rows[customers[0].id], rows[customers[1].id]
    sent_row.status = "sent"
    session.add(sent_row)
    session.commit()
    outbox_delivery.mark_chat_unreachable(session, outbox_id=blocked_row.id, chat_id=customers[1].telegram_id,
                                          error="Forbidden: bot was blocked by the user")
    # when it is cancelled with two recipients still waiting
    p = svc.cancel_broadcast(session, actor=manager, broadcast_id=b.id)
    # then the owner sees 1 sent, 1 blocked, 2 not sent because of the cancel, nothing left
    assert (p.status, p.sent, p.blocked, p.cancelled, p.left, p.eta_seconds) == ("cancelled", 1, 1, 2, 0, None)
    # and the bot's progress text says the same in words
    from bot_sidecar.handlers.staff import progress_text
    assert "не отправлено (отменена): 2" in progress_text(p, "ru") and "заблокировали: 1" in progress_text(p, "ru")
    # and it cannot be resumed
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


def test_a_broadcast_with_an_uploaded_photo_reaches_telegram_as_sendPhoto(settings, session_factory, session, engine,
                                                                          fake_tg, tmp_path):
    import io

    from PIL import Image

    from integrations.images import LocalImageStore
    from smo_app import composition
    from smo_app.services.catalog import images

    composition.use(images=LocalImageStore(tmp_path / "uploads"))
    try:
        # given a manager who uploads a JPEG from the broadcasts page and two customers
        manager = actor_of(make_staff(session, Role.manager))
        customers = [make_customer(session) for _ in range(2)]
        jpeg = io.BytesIO()
        Image.new("RGB", (640, 480), (10, 120, 200)).save(jpeg, "JPEG")
        url = images.store_broadcast_photo(session, actor=manager, data=jpeg.getvalue())
        assert url.startswith("/api/uploads/")
        # a file that is not an image is refused with a message, not stored
        with pytest.raises(ValidationFailed) as refused:
            images.store_broadcast_photo(session, actor=manager, data=b"GIF89a not ours")
        assert refused.value.code == "images.not_image"
        # when the broadcast with that photo and a caption is created and started
        b = svc.create_broadcast(session, actor=manager, text="<b>New</b> arrivals", photo=url, segment="all",
                                 button_text="Shop", button_url="https://shop.example")
        svc.start_broadcast(session, actor=manager, broadcast_id=b.id)
        run_senders(settings, session_factory, until=nothing_waiting(engine))
        # then each customer got one sendPhoto carrying the uploaded bytes (the first) or Telegram's
        # file id (after it), with the caption and the button
        calls = fake_tg.calls_of("sendPhoto")
        assert sorted(c["chat_id"] for c in calls) == sorted(c.telegram_id for c in customers)
        assert calls[0]["files"]["photo"]["content"] == jpeg.getvalue()
        assert all(c["params"]["caption"] == "<b>New</b> arrivals" for c in calls)
        assert "Shop" in str(calls[0]["params"]["reply_markup"])
        assert fake_tg.calls_of("sendMessage") == []
        # a seller may not upload broadcast photos
        seller = actor_of(make_staff(session, Role.seller))
        with pytest.raises(PermissionDenied):
            images.store_broadcast_photo(session, actor=seller, data=jpeg.getvalue())
    finally:
        composition.reset()
