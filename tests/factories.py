"""Small builders for test data, going through services where a service exists."""
from __future__ import annotations

from itertools import count

from sqlmodel import Session

from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.actor import Actor
from smo_app.services.staff.dto import StaffOut

_seq = count(1)
PASSWORD = "correct-horse-9"
PIN = "2468"


def make_staff(session: Session, role: Role | str = Role.owner, *, username: str | None = None,
               password: str | None = PASSWORD, pin: str | None = PIN, full_name: str | None = None) -> StaffOut:
    role = Role(role)
    return staff_service.create_staff(
        session, actor=Actor.system("test"), username=username or f"{role.value}{next(_seq)}",
        full_name=full_name or f"Test {role.value.title()}", role=role,
        password=password if role != Role.seller else None, pin=pin,
    )


def actor_of(staff: StaffOut) -> Actor:
    return staff.actor()


def make_customer(session: Session, **fields) -> Customer:
    n = next(_seq)
    # Telegram user ids are above 2**31 nowadays: fixtures use such ids so 32-bit columns fail at once
    values = {"telegram_id": 7_000_000_000 + n, "username": f"cust{n}", "full_name": f"Customer {n}"}
    values.update(fields)
    customer = Customer(**values)
    session.add(customer)
    session.commit()
    session.refresh(customer)
    return customer
