"""The off-site copy of each backup (OP1, IN6): an S3-compatible bucket the owner sets on the backups
screen — endpoint, bucket, region, access key and secret key (stored encrypted with the app's key,
never shown back). A value set in the environment (``SMO_BACKUP_S3_*``) wins and is shown as such.
"Check connection" lists the bucket and puts a tiny object with what was typed (nothing saved).

:func:`upload` is called by ``runs.run_backup`` after the archive is made: key ``backups/<file name>``;
it never raises (a failed upload is the run's ``upload_error``, the backup itself stays good).
:func:`prune_remote` deletes copies older than the kept days, never the newest.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel, SecretStr
from sqlmodel import Session

from integrations.http import IntegrationError
from integrations.ports.backup_store import PREFIX
from smo_app.models.shop import ShopSetting
from smo_app.services.core import audit, ports, secrets
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.settings import get_settings

log = logging.getLogger(__name__)
KEY = "backup_offsite"
FIELDS = (("endpoint", False), ("bucket", False), ("region", False), ("access_key", False), ("secret_key", True))
_SECRET = dict(FIELDS)
_SHAPES = {
    "endpoint": re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[^\s]*)?"),
    "bucket": re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]"),
    "region": re.compile(r"[A-Za-z0-9\-]{1,64}"),
    "access_key": re.compile(r"[^\s]{3,200}"),
    "secret_key": re.compile(r"[^\s]{3,200}"),
}
_ARCHIVE_DATE = re.compile(r"smo-backup-(\d{8}-\d{6})-\d+\.zip$")


class OffsiteField(BaseModel):
    name: str
    value: str  # "" for the secret key: never shown back
    set: bool
    from_env: bool


class OffsiteOut(BaseModel):
    fields: list[OffsiteField]
    configured: bool  # every required value is there: archives are uploaded


class OffsiteCheck(BaseModel):
    where: str
    archives: int  # backup archives already in the bucket


def _stored(session: Session) -> dict:
    row = session.get(ShopSetting, KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _env(settings, name: str) -> str | None:
    raw = getattr(settings, f"backup_s3_{name}")
    if raw is None or f"backup_s3_{name}" not in settings.model_fields_set:
        return None
    return raw.get_secret_value() if isinstance(raw, SecretStr) else raw


def configured(session: Session, settings=None) -> dict[str, str]:
    """The set-up the store is built from: what the owner saved, the environment on top where set."""
    settings = settings or get_settings()
    stored = _stored(session)
    out = {}
    for name, secret in FIELDS:
        env = _env(settings, name)
        value = env if env is not None else (secrets.decrypt(stored.get(name)) if secret else stored.get(name))
        if value:
            out[name] = value
    return out


def _view(session: Session, settings) -> OffsiteOut:
    settings = settings or get_settings()
    eff = configured(session, settings)
    fields = [OffsiteField(name=name, value="" if secret else eff.get(name, ""), set=bool(eff.get(name)),
                           from_env=_env(settings, name) is not None) for name, secret in FIELDS]
    return OffsiteOut(fields=fields, configured=ports.backup_store()(eff) is not None)


def get_offsite(session: Session, *, actor: Actor, settings=None) -> OffsiteOut:
    require(actor, Perm.settings_manage)
    out = _view(session, settings)
    session.rollback()
    return out


def _checked(values: dict[str, str]) -> dict[str, str]:
    typed = {k: (v or "").strip() for k, v in values.items() if k in _SECRET and (v or "").strip()}
    for name, value in typed.items():
        if not _SHAPES[name].fullmatch(value):
            raise ValidationFailed(f"backup.offsite.{name}_invalid", f"{name} has the wrong shape", field=name)
    return typed


@atomic
def save_offsite(session: Session, *, actor: Actor, values: dict[str, str], clear: list[str] | None = None,
                 settings=None) -> OffsiteOut:
    """Save the bucket's set-up; an empty field keeps what is stored, ``clear`` forgets fields.
    Audited with the names of what changed, never the values of the keys."""
    require(actor, Perm.settings_manage)
    typed = _checked(values)
    row = session.get(ShopSetting, KEY, with_for_update=True) or ShopSetting(key=KEY, value={})
    stored = dict(row.value or {})
    changed = [name for name in (clear or []) if name in _SECRET and stored.pop(name, None) is not None]
    for name, value in typed.items():
        stored[name] = secrets.encrypt(value) if _SECRET[name] else value
        changed.append(name)
    row.value = stored
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="backup.offsite_changed", entity="shop_setting", entity_id=KEY,
                 after={"fields_changed": sorted(set(changed)),
                        **{k: stored.get(k) for k, secret in FIELDS if not secret and k != "access_key"}})
    session.commit()
    return _view(session, settings)


def check_offsite(session: Session, *, actor: Actor, values: dict[str, str] | None = None,
                  settings=None) -> OffsiteCheck:
    """"Check connection" with what is typed (a field left empty: the stored or environment value);
    nothing is saved. Raises ``backup.offsite.incomplete`` or ``backup.offsite.check_failed``."""
    require(actor, Perm.settings_manage)
    typed = _checked(values or {})
    settings = settings or get_settings()
    eff = configured(session, settings)
    session.rollback()
    eff.update({k: v for k, v in typed.items() if _env(settings, k) is None})
    store = ports.backup_store()(eff)
    if store is None:
        raise DomainError("backup.offsite.incomplete", "endpoint, bucket and keys are needed")
    try:
        return OffsiteCheck(where=store.where, archives=store.check())
    except IntegrationError as exc:
        raise DomainError("backup.offsite.check_failed", str(exc), error=exc.message) from exc


def store_for(session: Session):
    """The off-site store of the owner's set-up, or None when there is none."""
    return ports.backup_store()(configured(session))


def upload(store, path: Path) -> tuple[str | None, str | None]:
    """Upload ``path`` as ``backups/<name>``: (where it went, None) or (None, why not). Never raises."""
    key = PREFIX + path.name
    try:
        store.put(key, path)
    except Exception as exc:  # noqa: BLE001 - a failed upload never fails the local backup
        log.warning("backup upload of %s failed", path.name, exc_info=True)
        return None, (getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")[:500]
    return store.where + path.name, None


def prune_remote(store, *, keep_days: int, now: datetime) -> int:
    """Delete off-site archives older than ``keep_days`` (by the date in their name; never the newest);
    returns how many. Errors are logged, not raised."""
    try:
        dated = []
        for key in store.keys(PREFIX):
            m = _ARCHIVE_DATE.search(key)
            if m:
                dated.append((datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc), key))
        dated.sort()
        old = [key for when, key in dated[:-1] if when < now - timedelta(days=keep_days)]
        for key in old:
            store.delete(key)
        return len(old)
    except Exception:  # noqa: BLE001 - pruning is housekeeping: the next backup tries again
        log.warning("pruning off-site backups failed", exc_info=True)
        return 0
