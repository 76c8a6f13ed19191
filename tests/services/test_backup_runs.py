"""The owner's backups: back up now, the daily backup once a day, the archive to Telegram, the
history and its pruning, the settings — and one backup at a time, whoever asks."""
from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.backup import BackupRun
from smo_app.models.outbox import Outbox
from smo_app.models.shop import ShopSetting
from smo_app.models.staff import Staff
from smo_app.services.backup import archive, runs, settings as backup_settings
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from tests.db_support import run_at_once
from tests.factories import make_customer, make_staff

NOON_MSK = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)  # 12:00 in Moscow


@pytest.fixture(autouse=True)
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "backups_dir", lambda: tmp_path / "backups")
    monkeypatch.setattr(runs, "uploads_dir", lambda: tmp_path / "uploads")
    monkeypatch.setattr(runs, "logs_dir", lambda: tmp_path / "logs")
    return tmp_path


def _owner(session, telegram_id: int | None = 9_100_000_001):
    owner = make_staff(session, "owner")
    row = session.get(Staff, owner.id)
    row.telegram_id = telegram_id
    session.commit()
    return owner.actor()


def _documents(session) -> list[Outbox]:
    return list(session.exec(select(Outbox).where(Outbox.kind == "backup")).all())


def test_the_owner_backs_up_now_and_the_archive_reaches_their_telegram(session, folders):
    # given an owner with Telegram linked, a customer and an uploaded photo
    owner = _owner(session)
    make_customer(session, full_name="Анна")
    (folders / "uploads").mkdir()
    (folders / "uploads" / "p.jpg").write_bytes(b"\xff\xd8\xff")
    # when they press "back up now"
    run = runs.run_backup(session, actor=owner)
    # then the history shows a finished backup they can download, holding the database and the photo
    assert run.status == "ok" and run.downloadable and run.files == 1 and run.rows > 0 and run.sent_to == 1
    path = runs.archive_path(session, actor=owner, run_id=run.id)
    with zipfile.ZipFile(path) as zf:
        assert "files/p.jpg" in zf.namelist() and archive.MANIFEST in zf.namelist()
    # and it is queued to their Telegram as a document, and audited
    [doc] = _documents(session)
    assert doc.chat_id == 9_100_000_001
    actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"backup.made", "backup.downloaded"} <= actions
    assert [r.id for r in runs.list_runs(session, actor=owner)] == [run.id]


def test_only_the_owner_backs_up(session):
    manager = make_staff(session, "manager").actor()
    admin = make_staff(session, "admin").actor()
    for who in (manager, admin):
        with pytest.raises(PermissionDenied):
            runs.run_backup(session, actor=who)
        with pytest.raises(PermissionDenied):
            runs.list_runs(session, actor=who)
    assert session.exec(select(BackupRun)).all() == []


def test_an_archive_over_telegrams_limit_is_not_sent_and_the_owner_is_told(session, monkeypatch):
    owner = _owner(session)
    monkeypatch.setattr(runs, "MAX_UPLOAD_BYTES", 10)
    run = runs.run_backup(session, actor=owner)
    [note] = _documents(session)
    assert run.status == "ok" and "50 МБ" in note.payload.get("text", "") and "document" not in str(note.payload)


def test_a_second_backup_while_one_runs_is_refused(session):
    owner = _owner(session)
    session.add(BackupRun(kind="manual", status="running", requested_by="someone"))
    session.commit()
    with pytest.raises(DomainError) as refused:
        runs.run_backup(session, actor=owner)
    assert refused.value.code == "backup.already_running"


def test_the_daily_backup_runs_once_a_shop_day_at_the_owners_time(session):
    owner = _owner(session)
    backup_settings.save_settings(session, actor=owner, daily_at="11:30", keep_days=7, send_admins=False)
    # before the time (11:00 in Moscow): nothing
    assert runs.daily_backup(session, now=NOON_MSK - timedelta(hours=1)) is None
    # at noon: one; a later call the same day: none
    first = runs.daily_backup(session, now=NOON_MSK)
    assert first is not None and first.kind == "daily" and first.status == "ok"
    assert runs.daily_backup(session, now=NOON_MSK + timedelta(hours=5)) is None
    # the next day: another
    assert runs.daily_backup(session, now=NOON_MSK + timedelta(days=1)) is not None
    # switched off: none
    backup_settings.save_settings(session, actor=owner, daily_at="", keep_days=7, send_admins=False)
    assert runs.daily_backup(session, now=NOON_MSK + timedelta(days=2)) is None


def test_archives_older_than_the_kept_days_are_removed_but_the_newest_stays(session, folders):
    owner = _owner(session, telegram_id=None)
    backup_settings.save_settings(session, actor=owner, daily_at="", keep_days=3, send_admins=False)
    old = runs.run_backup(session, actor=owner, now=NOON_MSK - timedelta(days=10))
    older_file = session.get(BackupRun, old.id).file_name
    new = runs.run_backup(session, actor=owner, now=NOON_MSK)
    lines = {r.id: r for r in runs.list_runs(session, actor=owner)}
    assert not lines[old.id].downloadable and lines[new.id].downloadable
    assert not (folders / "backups" / older_file).exists()


def test_settings_are_validated_and_the_passphrase_is_stored_encrypted_and_used(session, folders):
    owner = _owner(session, telegram_id=None)
    before = backup_settings.read_settings(session, actor=owner)
    for kwargs, code in (({"daily_at": "25:00"}, "backup.time_invalid"), ({"keep_days": "abc"}, "backup.keep_days_invalid"),
                         ({"keep_days": 0}, "backup.keep_days_invalid"), ({"new_passphrase": "short"}, "backup.passphrase_short")):
        values = {"daily_at": "03:30", "keep_days": 14, "send_admins": False, **kwargs}
        with pytest.raises(ValidationFailed) as refused:
            backup_settings.save_settings(session, actor=owner, **values)
        assert refused.value.code == code
    assert backup_settings.read_settings(session, actor=owner) == before
    saved = backup_settings.save_settings(session, actor=owner, daily_at="02:15", keep_days="30", send_admins=True,
                                          new_passphrase="correct horse battery")
    assert saved.has_passphrase and saved.daily_at == "02:15" and saved.keep_days == 30
    stored = " ".join(str(r.value) for r in session.exec(select(ShopSetting)).all())
    audit_text = " ".join(str(e.before) + str(e.after) + str(e.note) for e in session.exec(select(AuditEntry)).all())
    assert "correct horse" not in stored and "correct horse" not in audit_text
    run = runs.run_backup(session, actor=owner)
    path = folders / "backups" / session.get(BackupRun, run.id).file_name
    assert run.encrypted and archive.is_sealed(path.read_bytes())
    with pytest.raises(ValidationFailed):
        archive.open_checked(path, "wrong passphrase")
    archive.open_checked(path, "correct horse battery")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_backups_asked_at_once_make_one(engine, session):
    # given the owner pressing "back up now" on two tablets while the daily job fires
    owner = _owner(session, telegram_id=None)
    backup_settings.save_settings(session, actor=owner, daily_at="00:00", keep_days=7, send_admins=False)
    outcomes = run_at_once(engine, [
        lambda s: runs.run_backup(s, actor=owner),
        lambda s: runs.run_backup(s, actor=owner),
        lambda s: runs.daily_backup(s, now=NOON_MSK),
        lambda s: runs.daily_backup(s, now=NOON_MSK),
    ])
    # then no two ran at once: every run that was made finished, and a refused one says why
    session.expire_all()
    made = session.exec(select(BackupRun)).all()
    assert all(r.status == "ok" for r in made) and len(made) >= 1
    assert set(outcomes) <= {"ok", "backup.already_running"}, outcomes
    assert len([r for r in made if r.kind == "daily"]) <= 1
