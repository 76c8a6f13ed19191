"""Backups as the owner sees them: "back up now", the daily backup, the history, downloads.

A run is a row first (committed, so two clicks or two sidecars make one: a partial unique index
allows one running backup, and the daily one is unique per shop-time date), then the archive under
``var/backups``, then the row's result. A finished archive is queued to the owners' (and, if the
owner chose, the admins') Telegram as a document through the outbox; one over the Bot API's 50 MB
limit is not sent, and they are told to download it from the backoffice. Archives older than the
kept days are deleted from disk (their rows stay, without a file). When the owner set up an off-site
bucket (``offsite``), the archive is uploaded too and the run records where, or why not — a failed
upload never fails the backup; remote copies are pruned by the same kept days.
"""
from __future__ import annotations

import io
import logging
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smo_app.i18n import t
from smo_app.models.backup import BackupRun
from smo_app.models.base import utcnow
from smo_app.models.staff import Role, Staff
from smo_app.services.backup import offsite, settings as backup_settings
from smo_app.services.backup.create import make_backup
from smo_app.services.core import audit, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.messaging.outbox import MAX_UPLOAD_BYTES, enqueue_document, enqueue_message
from smo_app.settings import PROJECT_ROOT
from smo_app.settings import uploads_dir as settings_uploads_dir

log = logging.getLogger(__name__)
HISTORY = 30


def backups_dir() -> Path:
    return PROJECT_ROOT / "var" / "backups"


def uploads_dir() -> Path:
    return settings_uploads_dir()


def logs_dir() -> Path:
    return PROJECT_ROOT / "var"


class BackupRunOut(BaseModel):
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    requested_by: str
    size_bytes: int
    duration_ms: int
    tables: int
    rows: int
    files: int
    encrypted: bool
    sent_to: int
    downloadable: bool
    error: str | None
    uploaded_to: str | None = None
    upload_error: str | None = None


def _out(run: BackupRun) -> BackupRunOut:
    data = run.model_dump()
    data["downloadable"] = bool(run.file_name and run.status == "ok" and (backups_dir() / run.file_name).exists())
    return BackupRunOut.model_validate({k: v for k, v in data.items() if k in BackupRunOut.model_fields})


def _database_url(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=False)


def _claim(session: Session, *, kind: str, requested_by: str, daily_key: str | None, now: datetime) -> BackupRun | None:
    run = BackupRun(kind=kind, requested_by=requested_by, daily_key=daily_key, started_at=now)
    session.add(run)
    try:
        session.commit()
    except IntegrityError:  # one is running, or today's daily one exists
        session.rollback()
        return None
    return run


def _recipients(session: Session, send_admins: bool) -> list[Staff]:
    roles = [Role.owner.value] + ([Role.admin.value] if send_admins else [])
    return list(session.exec(select(Staff).where(col(Staff.role).in_(roles), Staff.is_active.is_(True),
                                                 Staff.telegram_id.is_not(None)).order_by(Staff.id)).all())


def _send(session: Session, run: BackupRun, path: Path, send_admins: bool) -> int:
    sent = 0
    for staff in _recipients(session, send_admins):
        lang = staff.language
        if run.size_bytes > MAX_UPLOAD_BYTES:
            enqueue_message(session, kind="backup", chat_id=staff.telegram_id, staff_id=staff.id,
                            text=t("backup.too_big_for_telegram", lang, mb=run.size_bytes // (1024 * 1024)),
                            dedupe_key=f"backup:{run.id}:{staff.id}")
        else:
            enqueue_document(session, chat_id=staff.telegram_id, kind="backup", staff_id=staff.id,
                             filename=path.name, content=path.read_bytes(),
                             caption=t("backup.caption", lang, rows=run.rows, files=run.files),
                             dedupe_key=f"backup:{run.id}:{staff.id}")
        sent += 1
    return sent


def prune(session: Session, *, keep_days: int, now: datetime) -> int:
    """Delete archives older than ``keep_days`` (never the newest good one); returns how many."""
    newest_ok = session.exec(select(BackupRun.id).where(BackupRun.status == "ok", BackupRun.file_name.is_not(None))
                             .order_by(col(BackupRun.id).desc())).first()
    old = session.exec(select(BackupRun).where(BackupRun.file_name.is_not(None),
                                               BackupRun.started_at < now - timedelta(days=keep_days))).all()
    pruned = 0
    for run in old:
        if run.id == newest_ok:
            continue
        (backups_dir() / run.file_name).unlink(missing_ok=True)
        run.file_name = None
        pruned += 1
    session.commit()
    return pruned


def run_backup(session: Session, *, actor: Actor, kind: str = "manual", daily_key: str | None = None,
               now: datetime | None = None) -> BackupRunOut | None:
    """Make a backup now. Refused while another runs; the daily job's second call of a day makes
    nothing (returns None)."""
    require(actor, Perm.settings_manage)
    now = now or utcnow()
    prefs = backup_settings.current(session)
    passphrase = backup_settings.passphrase(session)
    store = offsite.store_for(session)
    session.rollback()  # nothing of ours is open while the archive is made
    run = _claim(session, kind=kind, requested_by=actor.name or actor.kind, daily_key=daily_key, now=now)
    if run is None:
        if kind == "daily":
            return None
        raise DomainError("backup.already_running", "a backup is already running")
    name = f"smo-backup-{now:%Y%m%d-%H%M%S}-{run.id}.zip"
    try:
        result = make_backup(_database_url(session), uploads_dir(), backups_dir() / name, passphrase=passphrase)
    except Exception as exc:  # noqa: BLE001 - the run records why; the owner sees it in the history
        log.exception("backup %s failed", run.id)
        run.status, run.finished_at = "failed", utcnow()
        run.error = (getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")[:500]
        audit.record(session, actor=actor, action="backup.failed", entity="backup", entity_id=run.id, note=run.error)
        session.commit()
        return _out(run)
    run.status, run.finished_at, run.file_name = "ok", utcnow(), name
    run.size_bytes, run.duration_ms = result.size_bytes, int(result.seconds * 1000)
    run.tables, run.rows, run.files, run.encrypted = result.tables, result.rows, result.files, result.encrypted
    run.sent_to = _send(session, run, result.path, prefs.send_admins)
    if store is not None:
        run.uploaded_to, run.upload_error = offsite.upload(store, result.path)
    audit.record(session, actor=actor, action="backup.made", entity="backup", entity_id=run.id,
                 after={"kind": kind, "size_bytes": run.size_bytes, "rows": run.rows, "files": run.files,
                        "encrypted": run.encrypted, "sent_to": run.sent_to, "uploaded_to": run.uploaded_to,
                        "upload_error": run.upload_error})
    session.commit()
    prune(session, keep_days=prefs.keep_days, now=now)
    if store is not None and run.uploaded_to:
        offsite.prune_remote(store, keep_days=prefs.keep_days, now=now)
    return _out(run)


def daily_backup(session: Session, *, now: datetime | None = None) -> BackupRunOut | None:
    """The sidecar's job (every few minutes, under a lease): once a shop-time day, at or after the
    owner's time. Returns the run made, or None."""
    now = now or utcnow()
    prefs = backup_settings.current(session)
    if not prefs.daily_at:
        session.rollback()
        return None
    local = now.astimezone(shop_locale.shop_tz(session))
    if local.strftime("%H:%M") < prefs.daily_at:
        session.rollback()
        return None
    day = local.strftime("%Y-%m-%d")
    if session.exec(select(BackupRun.id).where(BackupRun.daily_key == day)).first() is not None:
        session.rollback()
        return None
    return run_backup(session, actor=Actor.system("daily-backup"), kind="daily", daily_key=day, now=now)


def list_runs(session: Session, *, actor: Actor) -> list[BackupRunOut]:
    require(actor, Perm.settings_manage)
    runs = session.exec(select(BackupRun).order_by(col(BackupRun.id).desc()).limit(HISTORY)).all()
    return [_out(r) for r in runs]


def archive_path(session: Session, *, actor: Actor, run_id: int) -> Path:
    """The archive of a finished backup, for the owner's download (audited)."""
    require(actor, Perm.settings_manage)
    run = session.get(BackupRun, run_id)
    if run is None or not _out(run).downloadable:
        raise NotFound("backup", run_id)
    audit.record(session, actor=actor, action="backup.downloaded", entity="backup", entity_id=run_id)
    session.commit()
    return backups_dir() / run.file_name


def logs_archive(session: Session, *, actor: Actor) -> tuple[str, bytes]:
    """The app's and the sidecar's logs (``var/*.log``) as one zip, for the owner's download."""
    require(actor, Perm.settings_manage)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(logs_dir().glob("*.log")):
            zf.write(path, path.name)
    audit.record(session, actor=actor, action="backup.logs_downloaded", entity="backup")
    session.commit()
    return f"smo-logs-{utcnow():%Y%m%d-%H%M%S}.zip", buf.getvalue()
