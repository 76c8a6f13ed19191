"""What ``GET /api/health`` reports: the database reachable, its migrations current, the outbox's
backlog and whether the bot sidecar runs and is online. A report, never a refusal: whatever fails
is named in ``error`` (and logged), and the rest says as much as it could read."""
from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session

from smo_app import migrations
from smo_app.services.messaging.outbox import backlog
from smo_app.services.messaging.presence import sidecar_status

log = logging.getLogger(__name__)


class BotHealth(BaseModel):
    running: bool = False
    online: bool = False
    last_beat: datetime | None = None


class HealthOut(BaseModel):
    database: bool = False
    migrations_current: bool = False
    outbox: dict[str, int] = {}
    bot: BotHealth = BotHealth()
    error: str | None = None  # the kind of failure, when something could not be read

    @property
    def healthy(self) -> bool:
        """The web app can serve: the database answers and its schema is current (the bot may be down)."""
        return self.database and self.migrations_current


def health_report(session: Session) -> HealthOut:
    out = HealthOut()
    try:
        session.execute(text("select 1"))
        out.database = True
        out.migrations_current = migrations.is_current(session.get_bind())
        out.outbox = backlog(session)
        bot = sidecar_status(session)
        out.bot = BotHealth(running=bot.running, online=bot.online, last_beat=bot.last_beat)
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        log.exception("health check failed")
        out.error = type(exc).__name__
    return out
