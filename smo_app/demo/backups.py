"""Demo: the owner's backups are on — daily at 03:30 shop time, kept 14 days, sent to the admins too.
The sidecar makes the day's first backup within seconds of `make run` (after 03:30), so the
history at /admin/backups is never empty for long; "Резервная копия сейчас" makes one at once."""
from __future__ import annotations

from sqlmodel import Session

from smo_app.services.backup import settings as backup_settings
from smo_app.services.core.actor import Actor


def seed(session: Session) -> None:
    backup_settings.save_settings(session, actor=Actor.system("demo"), daily_at="03:30", keep_days=14, send_admins=True)
