"""Dead letters: what could not be applied automatically, kept until a person resolves it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.integrations import DeadLetter, DeadLetterResolution
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.tx import atomic

NOTE_MAX = 500


class DeadLetterOut(BaseModel):
    id: int
    provider: str
    kind: str
    reference: str | None
    reason: str
    detail: str | None
    payload: dict[str, Any] | None
    webhook_event_id: int | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: int | None
    resolution: str | None
    note: str | None

    @classmethod
    def of(cls, row: DeadLetter) -> "DeadLetterOut":
        return cls.model_validate(row, from_attributes=True)


def record_dead_letter(
    session: Session,
    *,
    provider: str,
    kind: str,
    reason: str,
    reference: str | None = None,
    detail: str | None = None,
    payload: dict[str, Any] | None = None,
    webhook_event_id: int | None = None,
    now: datetime | None = None,
) -> DeadLetter:
    """Add a dead letter to the caller's transaction (no commit). ``reason`` is a stable code."""
    row = DeadLetter(provider=provider[:32], kind=kind[:32], reason=reason[:64],
                     reference=None if reference is None else str(reference)[:128],
                     detail=None if detail is None else detail[:500], payload=payload,
                     webhook_event_id=webhook_event_id, created_at=now or utcnow())
    session.add(row)
    return row


def list_dead_letters(
    session: Session, *, actor: Actor, open_only: bool = True, provider: str | None = None, limit: int = 200
) -> list[DeadLetterOut]:
    """Newest first; only unresolved ones unless ``open_only`` is False."""
    require(actor, Perm.dead_letters_view)
    query = select(DeadLetter)
    if open_only:
        query = query.where(DeadLetter.resolved_at.is_(None))
    if provider:
        query = query.where(DeadLetter.provider == provider)
    rows = session.exec(query.order_by(DeadLetter.created_at.desc(), DeadLetter.id.desc()).limit(max(1, min(limit, 1000)))).all()
    out = [DeadLetterOut.of(r) for r in rows]
    session.rollback()
    return out


class DeadLetterPage(BaseModel):
    """The dead-letters page: the letters, and whether this actor may resolve them."""

    rows: list[DeadLetterOut]
    can_resolve: bool


def dead_letter_page(session: Session, *, actor: Actor, open_only: bool = True) -> DeadLetterPage:
    return DeadLetterPage(rows=list_dead_letters(session, actor=actor, open_only=open_only),
                          can_resolve=can(actor, Perm.dead_letters_manage))


def count_open(session: Session) -> int:
    n = session.exec(select(func.count()).select_from(DeadLetter).where(DeadLetter.resolved_at.is_(None))).one()
    session.rollback()
    return n


@atomic
def resolve_dead_letter(
    session: Session,
    *,
    actor: Actor,
    dead_letter_id: int,
    resolution: DeadLetterResolution | str,
    note: str,
    now: datetime | None = None,
) -> DeadLetterOut:
    """Close a dead letter with a resolution and a note saying why; once only; audited.

    Raises ``dead_letter.bad_resolution``, ``dead_letter.note_required``, ``dead_letter.note_too_long``,
    ``dead_letter.already_resolved``, ``common.not_found``, ``common.forbidden``.
    """
    require(actor, Perm.dead_letters_manage)
    try:
        resolution = DeadLetterResolution(resolution)
    except ValueError as exc:
        raise ValidationFailed("dead_letter.bad_resolution", f"unknown resolution {resolution!r}") from exc
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("dead_letter.note_required", "a reason is required")
    if len(note) > NOTE_MAX:
        raise ValidationFailed("dead_letter.note_too_long", "the reason is too long", max=NOTE_MAX)
    row = session.get(DeadLetter, dead_letter_id)
    if row is None:
        raise NotFound("dead_letter", dead_letter_id)
    now = now or utcnow()
    resolved_by = actor.id if actor.is_staff else None
    done = session.execute(
        update(DeadLetter)
        .where(DeadLetter.id == dead_letter_id, DeadLetter.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=resolved_by, resolution=resolution.value, note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:  # someone else resolved it first
        raise DomainError("dead_letter.already_resolved", "already resolved")
    audit.record(session, actor=actor, action="dead_letter.resolve", entity="dead_letter", entity_id=dead_letter_id,
                 before={"resolution": None}, after={"resolution": resolution.value, "reason": row.reason,
                                                      "provider": row.provider, "reference": row.reference},
                 note=note)
    session.commit()
    session.refresh(row)
    return DeadLetterOut.of(row)
