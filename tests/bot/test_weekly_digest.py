"""The weekly owner digest: Monday morning, last week against the week before, in each owner's
language, once per week and owner even with two sidecars; the P&L file goes along once the outbox
sends documents."""
from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot_sidecar.scheduler import Jobs
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.services.analytics import digest
from smo_app.services.messaging import outbox
from smo_app.services.sales import orders
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


def test_monday_digest_reaches_each_owner_once_in_their_language(settings, session_factory, session, monkeypatch):
    # given two owners (Russian, English) and sales: 3 000 ₽ last week, 1 000 ₽ the week before
    ru, en = _owner(session, 7001, "ru"), _owner(session, 7002, "en")
    vid = variant_id(make_product(session, price_minor=100000, qty=10))
    _sold(session, vid, 1, datetime(2026, 11, 4, 9, 0, tzinfo=timezone.utc))
    _sold(session, vid, 3, datetime(2026, 11, 15, 20, 30, tzinfo=timezone.utc))  # Sunday 23:30 in the shop
    _sold(session, vid, 5, datetime(2026, 11, 15, 21, 30, tzinfo=timezone.utc))  # Monday 00:30: this week
    sent_files = []
    monkeypatch.setattr(outbox, "enqueue_document", lambda s, **kw: sent_files.append(kw), raising=False)
    session.rollback()
    clock = [datetime(2026, 11, 16, 9, 0, tzinfo=MSK)]
    # when the job runs on Monday morning, and again in the other sidecar
    assert Jobs(settings, session_factory, holder="a", clock=lambda: clock[0]).weekly_digest() == [ru.id, en.id]
    clock[0] = datetime(2026, 11, 16, 10, 30, tzinfo=MSK)
    assert Jobs(settings, session_factory, holder="b", clock=lambda: clock[0]).weekly_digest() == []
    # then each owner has one message, in their language, with last week against the week before
    rows = {r.chat_id: r.payload["text"] for r in session.exec(select(Outbox).where(Outbox.kind == "weekly_digest"))}
    assert set(rows) == {7001, 7002}
    assert "2026-11-09 — 2026-11-15" in rows[7001] and "Выручка: <b>3\u00a0000\u00a0₽</b>" in rows[7001]
    assert "(неделей раньше 1\u00a0000\u00a0₽, +200.0 %)" in rows[7001]
    assert rows[7002].startswith("📈 <b>Week") and "Orders: 1 (was 1, +0.0 %)" in rows[7002]
    # and last week's P&L file went with each, once
    assert [(f["chat_id"], f["filename"]) for f in sent_files] == [(7001, "pnl_2026-11-09_2026-11-15.xlsx"),
                                                                  (7002, "pnl_2026-11-09_2026-11-15.xlsx")]
    sheet = load_workbook(BytesIO(sent_files[1]["content"]))["Summary"]
    assert {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}["Revenue"] == 3000.0


def test_without_document_support_the_digest_still_goes_as_text(session, monkeypatch):
    _owner(session, 7003, "ru")
    monkeypatch.delattr(outbox, "enqueue_document", raising=False)
    assert digest.weekly_digest(session, today=date(2026, 11, 16), tz=MSK) != []
    assert session.exec(select(Outbox).where(Outbox.kind == "weekly_digest")).one().chat_id == 7003
