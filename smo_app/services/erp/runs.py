"""Pulling from MoySklad (IN3): the full pull (assortment + stock report, daily and on "sync now"),
the incremental pull (what changed since the last pull, with overlapping windows, every 5 minutes)
and the objects a webhook named. One pull at a time per shop (a lease row); every run is recorded
(``erp_sync_run``: counts, requests, 429s, the largest 3-second load, the error in words).

A pull asks for the stock report beside its first page (while the other pages are fetched) and
commits page by page, each page with its stock (the pages already fetched when the last commit is
done go together, up to five: a big catalog is never one long transaction); a failure leaves the
pages already applied and the run marked failed with the provider's error code.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from integrations.http import IntegrationError
from smo_app.models.base import utcnow
from smo_app.models.erp import ErpSyncRun, SyncKind, SyncRunStatus
from smo_app.services.core import leases
from smo_app.services.core.actor import Actor
from smo_app.services.core.bulk import quiet_collector
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, require
from smo_app.services.erp.catalog_sync import CatalogApplier
from smo_app.services.erp.connection import PROVIDER, effective, port_for

log = logging.getLogger(__name__)

LEASE = "job:moysklad_pull"
LEASE_SECONDS = 1800
OVERLAP = timedelta(minutes=2)  # MoySklad's own advice: overlap the windows
PAGES_TOGETHER = 5  # the pages already fetched are written in one transaction, up to 5 (5,000 rows)
MAX_WINDOW = timedelta(hours=23)  # changedSince looks back 24 h at most: older than that, pull everything


class SyncRunOut(BaseModel):
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    window_from: datetime | None
    items_seen: int
    items_created: int
    items_updated: int
    items_archived: int
    stock_changed: int
    conflicts: int
    requests: int
    throttled: int
    server_errors: int
    max_window_units: int
    error_code: str | None
    error: str | None
    actor_name: str


def to_out(row: ErpSyncRun) -> SyncRunOut:
    return SyncRunOut.model_validate(row, from_attributes=True)


def last_ok(session: Session, *kinds: str) -> ErpSyncRun | None:
    return session.execute(select(ErpSyncRun).where(ErpSyncRun.provider == PROVIDER, ErpSyncRun.status == SyncRunStatus.ok,
                                                 ErpSyncRun.kind.in_(kinds)).order_by(ErpSyncRun.id.desc()).limit(1)
                        ).scalars().first()


def epoch(session: Session) -> datetime | None:
    """When the shop started keeping stock by MoySklad: the first successful full pull."""
    first = session.execute(select(ErpSyncRun.started_at).where(
        ErpSyncRun.provider == PROVIDER, ErpSyncRun.status == SyncRunStatus.ok, ErpSyncRun.kind == SyncKind.full)
        .order_by(ErpSyncRun.id).limit(1)).scalars().first()
    return first


def pull(session: Session, *, actor: Actor, kind: str = SyncKind.full, changed_since_minutes: int | None = None,
         holder: str = "pull", now: datetime | None = None) -> SyncRunOut:
    """Run one pull and return its record. ``kind`` ``incremental`` pulls what changed since the last
    pull (or the last ``changed_since_minutes``); without an earlier pull within 23 h it pulls
    everything. Refused when sync is off (``erp.not_enabled``) or another pull runs (``erp.sync_busy``)."""
    require(actor, Perm.erp_sync)
    now = now or utcnow()
    conn = effective(session)
    if not conn.ready:
        raise DomainError("erp.not_enabled", "MoySklad sync is off or has no token")
    port = port_for(conn)
    if port is None:
        raise DomainError("erp.not_enabled", "the ERP port is off")
    window_from = None
    if kind == SyncKind.incremental:
        if changed_since_minutes is not None:
            if not 1 <= changed_since_minutes <= 24 * 60:
                raise DomainError("erp.window_invalid", "1..1440 minutes")
            window_from = now - timedelta(minutes=changed_since_minutes)
        else:
            previous = last_ok(session, SyncKind.full, SyncKind.incremental)
            if previous is not None and now - previous.started_at < MAX_WINDOW:
                window_from = previous.started_at - OVERLAP
        if window_from is None or epoch(session) is None:
            kind, window_from = SyncKind.full, None
    if not leases.acquire(session, name=LEASE, holder=holder, ttl_seconds=LEASE_SECONDS, now=now):
        session.rollback()
        raise DomainError("erp.sync_busy", "another pull is running")
    run = ErpSyncRun(provider=PROVIDER, kind=kind, started_at=now, window_from=window_from, actor_name=actor.name[:128])
    session.add(run)
    session.commit()
    first_epoch = epoch(session) or (now if kind == SyncKind.full else None)
    port.take_stats()  # what this run costs starts now
    applier = CatalogApplier(session, conn=conn, actor=actor, now=now,
                             fetch_parent=lambda pid: port.item("product", pid))
    try:
        # the stock report is asked for first, beside the first page (it is in before the pages the
        # first window brings, so none of them waits for it), while the shop's links are read: each
        # page's stock is then applied with the page (new items open with it), and little is left
        # after the last page; the garbage collector walks only what the pull makes, and less often
        with quiet_collector(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="moysklad-stock") as ahead:
            report = ahead.submit(port.stock, store_id=conn.store_id, changed_since=window_from)
            applier.load()

            def stock_report() -> None:
                applier.stock_report(report.result(), full=kind == SyncKind.full, epoch=first_epoch)

            for page in port.assortment(updated_since=window_from, together=PAGES_TOGETHER):
                if not applier.has_report:
                    stock_report()
                applier.apply(page)
                applier.apply_stock_seen()
                session.commit()
            if not applier.has_report:
                stock_report()
        applier.finish_stock()
        if kind == SyncKind.full:
            applier.finish_full()
        session.commit()
        _finish(session, run, applier, port, status=SyncRunStatus.ok)
    except IntegrationError as exc:
        session.rollback()
        log.warning("moysklad %s pull failed: %s", kind, exc)
        _finish(session, run, applier, port, status=SyncRunStatus.failed, code=exc.code, error=exc.message)
    except Exception as exc:
        session.rollback()
        _finish(session, run, applier, port, status=SyncRunStatus.failed, code="erp.internal",
                error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        leases.release(session, name=LEASE, holder=holder)
        session.commit()
    return to_out(run)


def _finish(session: Session, run: ErpSyncRun, applier: CatalogApplier, port, *, status: str,
            code: str | None = None, error: str | None = None) -> None:
    stats = port.take_stats()
    c = applier.counts
    run = session.merge(run)
    run.status, run.finished_at = status, utcnow()
    run.items_seen, run.items_created, run.items_updated = c.seen, c.created, c.updated
    run.items_archived, run.stock_changed, run.conflicts = c.archived, c.stock_changed, c.conflicts
    run.requests, run.throttled, run.server_errors = stats.requests, stats.throttled, stats.server_errors
    run.max_window_units = stats.max_window_units
    run.error_code, run.error = code, (error or None) and error[:500]
    session.add(run)
    session.commit()


def apply_changes(session: Session, *, actor: Actor, changes: list, now: datetime | None = None) -> SyncRunOut | None:
    """The objects a webhook named: each fetched from MoySklad and applied (a deleted one archived
    or deleted here). Runs inside the caller's transaction and records a ``webhook`` run (no commit)."""
    now = now or utcnow()
    conn = effective(session)
    port = port_for(conn)
    if port is None or not conn.ready:
        return None
    applier = CatalogApplier(session, conn=conn, actor=actor, now=now,
                             fetch_parent=lambda pid: port.item("product", pid))
    port.take_stats()
    items, gone = [], []
    for change in changes:
        if change.type not in ("product", "variant") or not port.owns(change.href):
            continue
        if change.action == "DELETE":
            gone.append(change.object_id)
            continue
        item = port.item(change.type, change.object_id)
        if item is None:
            gone.append(change.object_id)
        else:
            items.append(item)
    applier.apply(items)
    applier.mark_gone(gone)
    stats = port.take_stats()
    c = applier.counts
    run = ErpSyncRun(provider=PROVIDER, kind=SyncKind.webhook, status=SyncRunStatus.ok, started_at=now,
                     finished_at=utcnow(), items_seen=c.seen, items_created=c.created, items_updated=c.updated,
                     items_archived=c.archived, requests=stats.requests, throttled=stats.throttled,
                     server_errors=stats.server_errors, max_window_units=stats.max_window_units,
                     actor_name=actor.name[:128])
    session.add(run)
    session.flush()
    return to_out(run)
