"""Stock ledger (WH1): every change of a variant's on-hand quantity is one appended StockMove."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class MoveKind(StrEnum):
    supply = "supply"  # goods received from a supplier (changes the average cost)
    sale = "sale"  # sold in an order
    return_ = "return"  # a customer brought goods back
    write_off = "write_off"  # damaged, expired, given away, or a cancelled order written off
    edit = "edit"  # a manual correction to a stated quantity
    count = "count"  # inventory count applied
    restock = "restock"  # a cancelled order's goods put back on the shelf
    sync = "sync"  # corrected to the count of the ERP (MoySklad) that keeps the stock


class StockMove(SQLModel, table=True):
    __tablename__ = "stock_move"

    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    kind: str = Field(max_length=16, index=True)
    delta: int
    qty_after: int
    unit_cost_minor: int = 0  # average cost at that moment (supply: the incoming cost)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=128)
    comment: str | None = Field(default=None, max_length=500)
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    supply_id: int | None = Field(default=None, foreign_key="supply.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Supplier(SQLModel, table=True):
    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    contact: str = Field(default="", max_length=256)
    note: str = Field(default="", max_length=1000)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Supply(SQLModel, table=True):
    """A received batch (WH4): supplier, items, and the total price split per unit."""

    __tablename__ = "supply"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    total_minor: int = Field(ge=0)
    units: int = 0
    comment: str | None = Field(default=None, max_length=500)
    actor_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SupplyLine(SQLModel, table=True):
    __tablename__ = "supply_line"

    id: int | None = Field(default=None, primary_key=True)
    supply_id: int = Field(foreign_key="supply.id", index=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    qty: int = Field(gt=0)
    unit_cost_minor: int = Field(ge=0)
