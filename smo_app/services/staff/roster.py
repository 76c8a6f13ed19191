"""The staff page's list (/admin/staff) as the signed-in manager sees it: everyone, with whom they
may manage and which roles they may give (the role matrix decides, not the screen)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import MANAGEABLE_ROLES
from smo_app.services.staff.accounts import list_staff


class RosterRow(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    is_active: bool
    has_pin: bool
    has_password: bool
    locked: bool  # locked out after failed sign-ins, for now
    manageable: bool  # this actor may change their role, secrets and access


class Roster(BaseModel):
    rows: list[RosterRow]
    assignable: list[str]  # roles this actor may give, in the matrix's order


def staff_roster(session: Session, *, actor: Actor, now: datetime | None = None) -> Roster:
    manageable = MANAGEABLE_ROLES.get(actor.role, frozenset())
    now = now or utcnow()
    rows = [
        RosterRow(id=s.id, username=s.username, full_name=s.full_name, role=s.role.value, is_active=s.is_active,
                  has_pin=s.has_pin, has_password=s.has_password, locked=bool(s.locked_until and s.locked_until > now),
                  manageable=s.role in manageable and s.id != actor.id)
        for s in list_staff(session, actor=actor)
    ]
    return Roster(rows=rows, assignable=[r.value for r in Role if r in manageable])
