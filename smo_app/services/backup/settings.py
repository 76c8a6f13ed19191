"""The owner's backup settings: the daily time (shop time, or off), how many days archives are kept,
whether admins get the archive too, and the passphrase archives are sealed with (stored encrypted
with the app's key, never shown back)."""
from __future__ import annotations

import re

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.models.shop import ShopSetting
from smo_app.services.core import audit, secrets
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic

KEYS = {"daily_at": "backup_daily_at", "keep_days": "backup_keep_days", "send_admins": "backup_send_admins",
        "passphrase": "backup_passphrase"}
DEFAULTS = {"daily_at": "03:30", "keep_days": 14, "send_admins": False, "passphrase": None}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MIN_PASSPHRASE = 8


class BackupSettings(BaseModel):
    daily_at: str  # "HH:MM" shop time, "" = no daily backup
    keep_days: int
    send_admins: bool
    has_passphrase: bool


def _stored(session: Session) -> dict:
    out = dict(DEFAULTS)
    for name, key in KEYS.items():
        row = session.get(ShopSetting, key)
        if row is not None:
            out[name] = row.value
    return out


def passphrase(session: Session) -> str | None:
    """The passphrase in clear, for sealing an archive (services only)."""
    return secrets.decrypt(_stored(session)["passphrase"])


def current(session: Session) -> BackupSettings:
    s = _stored(session)
    return BackupSettings(daily_at=s["daily_at"] or "", keep_days=int(s["keep_days"]), send_admins=bool(s["send_admins"]),
                          has_passphrase=bool(s["passphrase"]))


def read_settings(session: Session, *, actor: Actor) -> BackupSettings:
    require(actor, Perm.settings_manage)
    return current(session)


@atomic
def save_settings(session: Session, *, actor: Actor, daily_at: str, keep_days: int | str, send_admins: bool,
                  new_passphrase: str | None = None, remove_passphrase: bool = False) -> BackupSettings:
    """Save what the owner set; ``new_passphrase`` None or "" keeps the current one. Audited
    without the passphrase."""
    require(actor, Perm.settings_manage)
    daily_at = (daily_at or "").strip()
    errors = []
    if daily_at and not _TIME.match(daily_at):
        errors.append({"field": "daily_at", "code": "backup.time_invalid"})
    try:
        days = int(str(keep_days).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= 365:
        errors.append({"field": "keep_days", "code": "backup.keep_days_invalid"})
    if new_passphrase and len(new_passphrase) < MIN_PASSPHRASE:
        errors.append({"field": "passphrase", "code": "backup.passphrase_short", "params": {"min": MIN_PASSPHRASE}})
    if new_passphrase and len(new_passphrase) > 200:
        errors.append({"field": "passphrase", "code": "backup.passphrase_long"})
    if errors:
        first = errors[0]
        raise ValidationFailed(first["code"], "bad backup settings", errors=errors, **first.get("params", {}))
    before = current(session)
    values = {"daily_at": daily_at, "keep_days": days, "send_admins": bool(send_admins)}
    if new_passphrase:
        values["passphrase"] = secrets.encrypt(new_passphrase)
    elif remove_passphrase:
        values["passphrase"] = None
    for name, value in values.items():
        row = session.get(ShopSetting, KEYS[name])
        if row is None:
            session.add(ShopSetting(key=KEYS[name], value=value))
        else:
            row.value = value
    session.flush()
    after = current(session)
    audit.record(session, actor=actor, action="backup.settings_changed", entity="backup_settings",
                 before=before.model_dump(), after=after.model_dump(),
                 note="passphrase changed" if new_passphrase else ("passphrase removed" if remove_passphrase else None))
    session.commit()
    return after
