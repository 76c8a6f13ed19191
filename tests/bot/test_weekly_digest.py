"""The weekly owner digest: Monday morning, last week against the week before, in each owner's
language, once per week and owner even with two sidecars; last week's P&L file goes along as a
document upload through the outbox and reaches Telegram."""
from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot_sidecar.scheduler import Jobs
from smo_app.models.outbox import Outbox, OutboxBlob, OutboxLane
from smo_app.models.staff import Role, Staff
from smo_app.services.analytics import digest
from smo_app.services.sales import orders
from tests.bot.sender_support import nothing_waiting, run_senders
from tests.commerce_factories import SYSTEM, make_product, place, variant_id
from tests.factories import make_customer, make_staff

MSK = ZoneInfo("Europe/Moscow")


def _owner(session, telegram_id: int, language: str = "ru") -> Staff:
    owner = session.get(Staff, make_staff(session, Role.owner).id)
    owner.telegram_id, owner.language = telegram_id, language
    session.add(owner)
    session.commit()
    return owner


def _sold(session, vid, qty, at):
    out = place(session, make_customer(session).id, {vid: qty}, now=at)
    orders.mark_paid(session, actor=SYSTEM, order_id=out.id)


def test_digest_weeks_are_monday_to_sunday():
    last, before = digest.digest_weeks(date(2026, 11, 16))  # a Monday
    assert (last.date_from, last.date_to) == (date(2026, 11, 9), date(2026, 11, 15))
    assert (before.date_from, before.date_to) == (date(2026, 11, 2), date(2026, 11, 8))


def test_monday_digest_reaches_each_owner_once_in_their_language(settings, session_factory, session, engine, fake_tg):
    # given two owners (Russian, English) and sales: 3 000 ₽ last week, 1 000 ₽ the week before
    ru, en = _owner(session, 7001, "ru"), _owner(session, 7002, "en")
    vid = variant_id(make_product(session, price_minor=100000, qty=10))
    _sold(session, vid, 1, datetime(2026, 11, 4, 9, 0, tzinfo=timezone.utc))
    _sold(session, vid, 3, datetime(2026, 11, 15, 20, 30, tzinfo=timezone.utc))  # Sunday 23:30 in the shop
    _sold(session, vid, 5, datetime(2026, 11, 15, 21, 30, tzinfo=timezone.utc))  # Monday 00:30: this week
    session.rollback()
    clock = [datetime(2026, 11, 16, 9, 0, tzinfo=MSK)]
    # when the job runs on Monday morning, and again in the other sidecar
    assert Jobs(settings, session_factory, holder="a", clock=lambda: clock[0]).weekly_digest() == [ru.id, en.id]
    clock[0] = datetime(2026, 11, 16, 10, 30, tzinfo=MSK)
    assert Jobs(settings, session_factory, holder="b", clock=lambda: clock[0]).weekly_digest() == []
    # then each owner has one message, in their language, with last week against the week before
    rows = {r.chat_id: r.payload["text"] for r in session.exec(select(Outbox).where(Outbox.kind == "weekly_digest"))}
    assert set(rows) == {7001, 7002}
    assert "09.11.2026 — 15.11.2026" in rows[7001] and "Выручка: <b>3\u00a0000\u00a0₽</b>" in rows[7001]
    assert "(неделей раньше 1\u00a0000\u00a0₽, +200\u00a0%)" in rows[7001]
    assert rows[7002].startswith("📈 <b>Week") and "Orders: 1 (was 1, 0%)" in rows[7002]
    assert "Nov 9, 2026 — Nov 15, 2026" in rows[7002]  # days as each owner's language writes them
    # and last week's P&L file is queued for each, once, with its bytes kept for the upload
    files = session.exec(select(Outbox.chat_id, OutboxBlob.filename, OutboxBlob.content)
                         .join(OutboxBlob, OutboxBlob.outbox_id == Outbox.id)
                         .where(Outbox.kind == "weekly_pnl").order_by(Outbox.chat_id)).all()
    assert [(chat, name) for chat, name, _ in files] == [(7001, "pnl_2026-11-09_2026-11-15.xlsx"),
                                                         (7002, "pnl_2026-11-09_2026-11-15.xlsx")]
    session.rollback()
    # when the outbox sender runs (without the one-second gap per chat: pacing is tested elsewhere)
    # (until the Telegram lane is empty: the orders above also queued tasks no sender runs)
    run_senders(settings, session_factory, until=nothing_waiting(engine, OutboxLane.telegram), chat_gap=0.05)
    # then Telegram got both texts and both files, the English one in English
    digests = [c["chat_id"] for c in fake_tg.calls_of("sendMessage")
               if c["status"] == 200 and ("09.11.2026 — 15.11.2026" in c["params"].get("text", "")
                                          or "Nov 9, 2026 — Nov 15, 2026" in c["params"].get("text", ""))]
    assert sorted(digests) == [7001, 7002]
    docs = {c["chat_id"]: c for c in fake_tg.calls_of("sendDocument")}
    assert set(docs) == {7001, 7002} and all(c["status"] == 200 for c in docs.values())
    assert docs[7002]["files"]["document"]["filename"] == "pnl_2026-11-09_2026-11-15.xlsx"
    assert docs[7002]["params"]["caption"] == "Profit and loss for last week"
    sheet = load_workbook(BytesIO(docs[7002]["files"]["document"]["content"]))["Summary"]
    assert {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}["Revenue"] == 3000.0
    assert "Итоги" in load_workbook(BytesIO(docs[7001]["files"]["document"]["content"])).sheetnames
    # and the bytes are no longer stored once sent
    assert session.exec(select(OutboxBlob)).all() == []
