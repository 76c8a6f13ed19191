"""The backoffice's sync panel (IN3): the last full and incremental pulls, what they changed, the
requests and 429s they cost, the last error in words, "sync now", and the conflicts to resolve
(stock conflicts and failed pushes are dead letters of provider ``moysklad``)."""
from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session

from smo_app.models.erp import ErpItemLink, ErpOrderPush, ErpSyncRun, SyncKind
from smo_app.models.integrations import DeadLetter
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.erp import orders_push, runs
from smo_app.services.erp.connection import PROVIDER, effective
from smo_app.services.integrations.dead_letters import DeadLetterOut


class SyncStatusOut(BaseModel):
    enabled: bool
    has_token: bool
    can_push: bool
    can_configure: bool
    last_full: runs.SyncRunOut | None
    last_incremental: runs.SyncRunOut | None
    last_error: runs.SyncRunOut | None  # the latest run, when it failed
    recent: list[runs.SyncRunOut]
    linked_items: int
    pushed_orders: int
    conflicts: list[DeadLetterOut]


def _latest(session: Session, kind: str) -> ErpSyncRun | None:
    return session.execute(select(ErpSyncRun).where(ErpSyncRun.provider == PROVIDER, ErpSyncRun.kind == kind)
                           .order_by(ErpSyncRun.id.desc()).limit(1)).scalars().first()


def sync_status(session: Session, *, actor: Actor) -> SyncStatusOut:
    require(actor, Perm.erp_sync)
    conn = effective(session)
    recent = session.execute(select(ErpSyncRun).where(ErpSyncRun.provider == PROVIDER)
                             .order_by(ErpSyncRun.id.desc()).limit(10)).scalars().all()
    full, incremental = _latest(session, SyncKind.full), _latest(session, SyncKind.incremental)
    conflicts = session.execute(select(DeadLetter).where(DeadLetter.provider == PROVIDER, DeadLetter.resolved_at.is_(None))
                                .order_by(DeadLetter.id.desc()).limit(50)).scalars().all()
    linked = session.execute(select(func.count()).select_from(ErpItemLink).where(ErpItemLink.provider == PROVIDER,
                                                                                 ErpItemLink.gone.is_(False))).scalar()
    pushed = session.execute(select(func.count()).select_from(ErpOrderPush).where(
        ErpOrderPush.provider == PROVIDER, ErpOrderPush.external_id.is_not(None))).scalar()
    return SyncStatusOut(
        enabled=conn.enabled, has_token=bool(conn.token), can_push=conn.can_push,
        can_configure=can(actor, Perm.settings_manage),
        last_full=runs.to_out(full) if full else None,
        last_incremental=runs.to_out(incremental) if incremental else None,
        last_error=runs.to_out(recent[0]) if recent and recent[0].status == "failed" else None,
        recent=[runs.to_out(r) for r in recent], linked_items=linked or 0, pushed_orders=pushed or 0,
        conflicts=[DeadLetterOut.of(d) for d in conflicts])


def sync_now(session: Session, *, actor: Actor) -> runs.SyncRunOut:
    """"Sync now": a full pull, then the orders MoySklad does not show as they are here."""
    run = runs.pull(session, actor=actor, kind=SyncKind.full, holder=f"screen:{actor.id}")
    if run.status == "ok" and effective(session).can_push:
        orders_push.push_pending(session, actor=Actor.system("moysklad"))
    return run
