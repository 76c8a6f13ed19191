"""Who is acting. Every mutating service takes an Actor and checks its permission."""
from __future__ import annotations

from dataclasses import dataclass

from smo_app.models.staff import Role


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # staff | customer | system | anonymous
    id: int | None = None
    role: Role | None = None
    name: str = ""
    is_tester: bool = False

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls(kind="system", name=name)

    @classmethod
    def anonymous(cls, name: str = "") -> "Actor":
        return cls(kind="anonymous", name=name)

    @classmethod
    def staff(cls, staff_id: int, role: Role | str, name: str = "") -> "Actor":
        return cls(kind="staff", id=staff_id, role=Role(role), name=name)

    @classmethod
    def customer(cls, customer_id: int, name: str = "", is_tester: bool = False) -> "Actor":
        return cls(kind="customer", id=customer_id, name=name, is_tester=is_tester)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def is_customer(self) -> bool:
        return self.kind == "customer"


def whoami(session, *, actor: Actor) -> Actor:
    """The caller as the calling seam resolved them (a screen's guard asks who is signed in)."""
    return actor
