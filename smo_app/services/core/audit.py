"""Writing and reading the audit log. Writers never commit: the caller's transaction does."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict, Unpack

from pydantic import BaseModel
from sqlmodel import Session, func, select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.services.core import audit_words
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_locale import shop_tz


class EntryFields(TypedDict, total=False):
    """What an audit entry says beyond who and what: the thing it is about, its before/after, a note."""

    entity: str | None
    entity_id: object | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None


def record(session: Session, *, actor: Actor, action: str, **fields: Unpack[EntryFields]) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(**entry_values(actor=actor, action=action, **fields))
    session.add(entry)
    return entry


def entry_values(
    *,
    actor: Actor,
    action: str,
    entity: str | None = None,
    entity_id: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of an audit entry (for :func:`record`, and for hot paths that insert
    with one Core statement in their own transaction)."""
    return {
        "created_at": now or utcnow(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_name": actor.name[:128],
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "note": note[:500] if note else None,
    }


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        out[key] = value
    return out


class AuditRow(BaseModel):
    id: int
    created_at: datetime
    actor_kind: str
    actor_id: int | None
    actor_name: str
    action: str
    entity: str | None
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    page_size: int


def list_entries(
    session: Session,
    *,
    actor: Actor,
    actor_name: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tz=None,
    page: int = 1,
    page_size: int = 50,
) -> AuditPage:
    """Newest first, filtered by actor name (substring), action (prefix) and shop-local dates."""
    require(actor, Perm.audit_view)
    page = max(1, page)
    page_size = min(max(1, page_size), 200)
    query = select(AuditEntry)
    if actor_name:
        query = query.where(func.lower(AuditEntry.actor_name).contains(actor_name.strip().lower()))
    if action:
        query = query.where(AuditEntry.action.startswith(action.strip()))
    if tz is None:
        tz = shop_tz(session)
    if date_from:
        query = query.where(AuditEntry.created_at >= datetime.combine(date_from, time.min, tz))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tz)
        query = query.where(AuditEntry.created_at < end)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return AuditPage(
        rows=[AuditRow.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
    )


def distinct_actions(session: Session, *, actor: Actor) -> list[str]:
    require(actor, Perm.audit_view)
    return list(session.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all())


@dataclass(frozen=True)
class AuditScreen:
    """The audit page in one read-only transaction: one page of entries in words (names, amounts,
    settings — :mod:`smo_app.services.core.audit_words`), their count and the actions to filter by."""

    entries: AuditPage
    lines: list[audit_words.AuditText]
    actions: list[str]


def audit_screen(session: Session, *, actor: Actor, page: int = 1, page_size: int = 25, lang: str = "ru",
                 **filters: Any) -> AuditScreen:
    """``filters``: those of :func:`list_entries` (actor name, action, shop-local dates)."""
    entries = list_entries(session, actor=actor, page=page, page_size=page_size, **filters)
    lines = audit_words.present(entries.rows, audit_words.names_for(session, entries.rows), lang, shop_tz(session))
    return AuditScreen(entries=entries, lines=lines, actions=distinct_actions(session, actor=actor))
