"""Is the bot sidecar running, and is it online? Its heartbeat rows answer.

The sidecar calls ``beat`` every ``BEAT_SECONDS``; a row older than ``STALE_SECONDS`` means that
instance stopped (crashed, killed or shut down). ``sidecar_status`` is what /api/health and the
broadcasts page show.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, delete, select

from smo_app.models.base import utcnow
from smo_app.models.presence import SidecarHeartbeat, SidecarMode

BEAT_SECONDS = 5.0
STALE_SECONDS = 20.0


class SidecarStatus(BaseModel):
    running: bool  # some instance beat within STALE_SECONDS
    online: bool  # ... and it has a bot token (polls Telegram, sends the outbox)
    last_beat: datetime | None
    instances: int


def beat(session: Session, *, instance: str, mode: SidecarMode | str, now: datetime | None = None) -> None:
    """Record that ``instance`` is alive in ``mode``. Commits."""
    now = now or utcnow()
    mode = SidecarMode(mode)
    updated = session.execute(
        update(SidecarHeartbeat).where(SidecarHeartbeat.instance == instance)
        .values(mode=mode, beat_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        session.add(SidecarHeartbeat(instance=instance, mode=mode, started_at=now, beat_at=now))
    # rows of long-gone instances (restarts get a new id) are dropped
    session.execute(delete(SidecarHeartbeat).where(SidecarHeartbeat.beat_at < now - timedelta(days=1)))
    session.commit()


def stopped(session: Session, *, instance: str) -> None:
    """A clean shutdown removes the instance's row at once. Commits."""
    session.execute(delete(SidecarHeartbeat).where(SidecarHeartbeat.instance == instance))
    session.commit()


def sidecar_status(session: Session, *, now: datetime | None = None) -> SidecarStatus:
    now = now or utcnow()
    rows = session.exec(select(SidecarHeartbeat).where(
        SidecarHeartbeat.beat_at >= now - timedelta(seconds=STALE_SECONDS))).all()
    last = session.exec(select(SidecarHeartbeat.beat_at).order_by(SidecarHeartbeat.beat_at.desc()).limit(1)).first()
    out = SidecarStatus(running=bool(rows), online=any(r.mode == SidecarMode.online for r in rows),
                        last_beat=last, instances=len(rows))
    session.rollback()  # end the read
    return out
