"""Courier handoff (OR7): who took which orders, and when."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class CourierHandoff(SQLModel, table=True):
    """One handoff: a courier (a staff member, or a name for an outside courier) took some orders."""

    __tablename__ = "courier_handoff"

    id: int | None = Field(default=None, primary_key=True)
    courier_staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    courier_name: str = Field(max_length=128)
    note: str = Field(default="", max_length=500)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class CourierHandoffOrder(SQLModel, table=True):
    __tablename__ = "courier_handoff_order"
    __table_args__ = (UniqueConstraint("handoff_id", "order_id", name="uq_courier_handoff_order"),)

    id: int | None = Field(default=None, primary_key=True)
    handoff_id: int = Field(foreign_key="courier_handoff.id", index=True)
    order_id: int = Field(foreign_key="order.id", index=True)
