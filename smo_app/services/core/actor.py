"""Who is acting. Every mutating service takes an Actor and checks its permission."""
from __future__ import annotations

from dataclasses import dataclass

from smo_app.models.staff import Role
from smo_app.services.core.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # staff | customer | system | anonymous
    id: int | None = None
    role: Role | None = None
    name: str = ""
    is_tester: bool = False
    # an API token's scopes as permission values: the staff member may do only what both their role
    # and the token allow (None: the role alone — a screen, the POS, the bot)
    scopes: frozenset[str] | None = None

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


def own_customer_id(actor: Actor, customer_id: int | None = None) -> int:
    """The customer a customer-side use case acts on: ``customer_id`` when named, else the calling
    customer's own — the Mini App never names one; staff and jobs must (permissions are the use case's)."""
    if customer_id is not None:
        return customer_id
    if actor.is_customer and actor.id is not None:
        return actor.id
    raise PermissionDenied("customer")
