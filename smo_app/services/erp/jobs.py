"""The sidecar's MoySklad jobs (bot_sidecar/scheduler.py runs them under a lease): nothing happens
while the owner has not turned sync on."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.erp import orders_push, runs, webhooks
from smo_app.services.erp.connection import effective

log = logging.getLogger(__name__)
ACTOR = Actor.system("moysklad")


def incremental(session: Session, *, now: datetime, holder: str) -> str | None:
    """Every 5 minutes: notifications left unapplied, what changed since the last pull, order pushes."""
    if not effective(session).ready:
        session.rollback()
        return None
    webhooks.process_pending(session)
    try:
        run = runs.pull(session, actor=ACTOR, kind="incremental", holder=holder, now=now)
    except DomainError as exc:  # another pull runs (a "sync now"): the next run catches up
        log.info("moysklad incremental pull skipped: %s", exc.code)
        return exc.code
    orders_push.push_pending(session, actor=ACTOR, now=now)
    return run.status


def full(session: Session, *, now: datetime, holder: str) -> str | None:
    if not effective(session).ready:
        session.rollback()
        return None
    try:
        return runs.pull(session, actor=ACTOR, kind="full", holder=holder, now=now).status
    except DomainError as exc:
        log.info("moysklad full pull skipped: %s", exc.code)
        return exc.code
