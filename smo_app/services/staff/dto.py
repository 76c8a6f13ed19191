"""What the UI and the API see of a staff member."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from smo_app.models.staff import Role, Staff
from smo_app.services.core.actor import Actor


class StaffOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    language: str
    is_active: bool
    telegram_id: int | None
    has_pin: bool
    has_password: bool
    locked_until: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, staff: Staff) -> "StaffOut":
        return cls(
            id=staff.id,
            username=staff.username,
            full_name=staff.full_name,
            role=Role(staff.role),
            language=staff.language,
            is_active=staff.is_active,
            telegram_id=staff.telegram_id,
            has_pin=staff.pin_hash is not None,
            has_password=staff.password_hash is not None,
            locked_until=staff.locked_until,
            created_at=staff.created_at,
        )

    def actor(self) -> Actor:
        return Actor.staff(self.id, self.role, self.full_name or self.username)
