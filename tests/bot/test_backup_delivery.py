"""A backup's archive reaches the owner's (and the chosen admins') Telegram: the outbox sender sends
it to the fake Bot API as a multipart sendDocument with the file name and caption; one over the Bot
API's 50 MB limit is not uploaded — they get a note to download it from the backoffice instead."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.outbox import OutboxBlob
from smo_app.models.staff import Role, Staff
from smo_app.services.backup import runs, settings as backup_settings
from tests.bot.sender_support import nothing_waiting, run_senders
from tests.factories import make_customer, make_staff


@pytest.fixture(autouse=True)
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "backups_dir", lambda: tmp_path / "backups")
    monkeypatch.setattr(runs, "uploads_dir", lambda: tmp_path / "uploads")
    return tmp_path


def _staff(session, role: Role, telegram_id: int, language: str = "ru"):
    made = make_staff(session, role)
    staff = session.get(Staff, made.id)
    staff.telegram_id, staff.language = telegram_id, language
    session.add(staff)
    session.commit()
    return made.actor()


def test_the_archive_reaches_the_owner_and_the_chosen_admin_as_a_document(settings, session_factory, session,
                                                                          engine, fake_tg, folders):
    # given an owner (Russian) and an admin (English) with Telegram linked, admins chosen to get it
    owner = _staff(session, Role.owner, 7101)
    _staff(session, Role.admin, 7102, "en")
    backup_settings.save_settings(session, actor=owner, daily_at="03:30", keep_days=14,
                                  send_admins=True)
    make_customer(session, full_name="Анна")
    # when a backup is made and the outbox sender runs
    run = runs.run_backup(session, actor=owner)
    [archive] = (folders / "backups").glob("smo-backup-*.zip")
    session.rollback()
    run_senders(settings, session_factory, until=nothing_waiting(engine), chat_gap=0.05)
    # then the fake Bot API got one multipart sendDocument per chat: the archive's name and bytes, a caption
    docs = {c["chat_id"]: c for c in fake_tg.calls_of("sendDocument")}
    assert set(docs) == {7101, 7102} and all(c["status"] == 200 for c in docs.values())
    for chat in (7101, 7102):
        assert docs[chat]["files"]["document"]["filename"] == archive.name
        assert docs[chat]["files"]["document"]["content"] == archive.read_bytes()
    assert docs[7101]["params"]["caption"] == f"Резервная копия магазина: {run.rows} записей, файлов 0."
    assert docs[7102]["params"]["caption"].startswith("Shop backup") and str(run.rows) in docs[7102]["params"]["caption"]
    # and the bytes are no longer kept in the database once sent
    assert session.exec(select(OutboxBlob)).all() == []


def test_an_archive_over_the_bot_api_limit_sends_the_note_instead(settings, session_factory, session, engine,
                                                                  fake_tg, monkeypatch):
    # given an owner with Telegram, and an archive bigger than what the Bot API takes (the limit made tiny)
    owner = _staff(session, Role.owner, 7201)
    monkeypatch.setattr(runs, "MAX_UPLOAD_BYTES", 100)
    # when a backup is made and the outbox sender runs
    run = runs.run_backup(session, actor=owner)
    session.rollback()
    run_senders(settings, session_factory, until=nothing_waiting(engine), chat_gap=0.05)
    # then no document is uploaded; the owner reads where to download it
    assert run.status == "ok" and run.sent_to == 1
    assert fake_tg.calls_of("sendDocument") == []
    [note] = [c for c in fake_tg.calls_of("sendMessage") if c["chat_id"] == 7201]
    assert note["status"] == 200 and "больше 50 МБ" in note["params"]["text"]
    assert "Резервные копии" in note["params"]["text"]

