"""POS (PO2–PO8): registers, shifts, cash moves, the per-register cart, sales, returns, approvals.

The database holds the rules a tablet could race on: one open shift per register (a partial
unique index), one sale per client-generated id (unique), one answer per approval (a conditional
UPDATE on ``status = 'pending'``).
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow


class ShiftStatus(StrEnum):
    open = "open"  # selling; left by close_shift
    closed = "closed"  # counted and reported; final


class CashMoveKind(StrEnum):
    cash_in = "in"  # money put into the drawer (change brought in)
    cash_out = "out"  # money taken out (collection, petty expenses)


class ApprovalStatus(StrEnum):
    pending = "pending"  # waiting for a manager; left by decide_approval or by expiry
    approved = "approved"  # the cart may be sold at the approved discount/bonus
    denied = "denied"  # refused; the seller changes the cart
    expired = "expired"  # nobody answered in time (written when someone reads or answers it late)


class PosRegister(SQLModel, table=True):
    __tablename__ = "pos_register"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_OPEN = sa.text("status = 'open'")


class PosShift(SQLModel, table=True):
    __tablename__ = "pos_shift"
    __table_args__ = (
        Index("uq_pos_shift_open_register", "register_id", unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN),
        CheckConstraint("float_minor >= 0", name="float_nonneg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    register_id: int = Field(foreign_key="pos_register.id", index=True)
    status: str = Field(default=ShiftStatus.open, max_length=16)
    opened_by_id: int = Field(foreign_key="staff.id", index=True)
    opened_by_name: str = Field(default="", max_length=128)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    float_minor: int = 0
    closed_by_id: int | None = Field(default=None, foreign_key="staff.id")
    closed_by_name: str = Field(default="", max_length=128)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expected_cash_minor: int | None = None
    counted_cash_minor: int | None = None


class PosCashMove(SQLModel, table=True):
    __tablename__ = "pos_cash_move"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="pos_shift.id", index=True)
    kind: str = Field(max_length=8)
    amount_minor: int
    reason: str = Field(max_length=200)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PosDevice(SQLModel, table=True):
    """A tablet of a register, named once on the tablet; the browser keeps its token (only the
    token's hash is stored). Each device has its own cart."""

    __tablename__ = "pos_device"
    __table_args__ = (sa.UniqueConstraint("register_id", "name", name="uq_pos_device_register_name"),)

    id: int | None = Field(default=None, primary_key=True)
    register_id: int = Field(foreign_key="pos_register.id", index=True)
    name: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_SHARED = sa.text("device_id IS NULL")


class PosCart(SQLModel, table=True):
    """The open cart of a tablet (a device of a register), on the server: it survives a reload and a
    reconnect. A cart without a device is the register's shared one (API callers, older tablets).

    ``lines`` is ``[{"variant_id": int, "qty": int, "discount_pct": int}, ...]`` in the order added.
    """

    __tablename__ = "pos_cart"
    __table_args__ = (
        Index("uq_pos_cart_shared_register", "register_id", unique=True, postgresql_where=_SHARED,
              sqlite_where=_SHARED),
    )

    id: int | None = Field(default=None, primary_key=True)
    register_id: int = Field(foreign_key="pos_register.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="pos_device.id", unique=True)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    bonus_minor: int = 0
    approval_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketStatus(StrEnum):
    parked = "parked"  # waiting; left once by resume_ticket (a conditional UPDATE)
    resumed = "resumed"  # back in a tablet's cart; final


class PosParkedTicket(SQLModel, table=True):
    """A cart put aside with a name ("Анна, примерка") to serve the next customer; resumed once, on
    any tablet of the register."""

    __tablename__ = "pos_parked_ticket"

    id: int | None = Field(default=None, primary_key=True)
    register_id: int = Field(foreign_key="pos_register.id", index=True)
    name: str = Field(max_length=64)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    bonus_minor: int = 0
    goods_minor: int = 0  # for the list
    status: str = Field(default=TicketStatus.parked, max_length=16, index=True)
    parked_by_name: str = Field(default="", max_length=128)
    parked_from_device_id: int | None = Field(default=None, foreign_key="pos_device.id")
    parked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resumed_by_name: str = Field(default="", max_length=128)
    resumed_on_device_id: int | None = Field(default=None, foreign_key="pos_device.id")
    resumed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PosSale(SQLModel, table=True):
    """A POS sale: the order (channel ``pos``) and how it was paid."""

    __tablename__ = "pos_sale"
    __table_args__ = (
        CheckConstraint("cash_minor >= 0 AND card_minor >= 0 AND change_minor >= 0", name="payments_nonneg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)  # generated on the tablet: a resend is the same sale
    order_id: int = Field(foreign_key="order.id", unique=True)
    shift_id: int = Field(foreign_key="pos_shift.id", index=True)
    register_id: int = Field(foreign_key="pos_register.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="pos_device.id", index=True)  # the tablet that sold
    seller_id: int = Field(foreign_key="staff.id", index=True)
    seller_name: str = Field(default="", max_length=128)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    total_minor: int
    discount_minor: int = 0  # all discounts on the sale (product, personal, by the seller)
    manual_discount_minor: int = 0  # the part the seller gave by hand (policy, approvals)
    bonus_minor: int = 0
    cash_minor: int = 0  # cash kept (tendered minus change)
    card_minor: int = 0
    credit_minor: int = 0  # paid by an exchange's return
    tendered_minor: int = 0
    change_minor: int = 0
    approval_id: int | None = Field(default=None, foreign_key="pos_approval.id")
    returned_minor: int = 0  # refunded so far (money + bonuses back); a return locks the sale by updating this
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class PosReturn(SQLModel, table=True):
    __tablename__ = "pos_return"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    sale_id: int = Field(foreign_key="pos_sale.id", index=True)
    shift_id: int = Field(foreign_key="pos_shift.id", index=True)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=128)
    goods_minor: int = 0  # value of the goods returned (after their discounts)
    cash_minor: int = 0  # money back in cash
    card_minor: int = 0  # money back to the card
    credit_minor: int = 0  # counted towards an exchange's new sale
    bonus_back_minor: int = 0  # bonuses the sale spent, given back
    cashback_reversed_minor: int = 0  # cashback the sale earned, taken back
    exchange_sale_id: int | None = None
    reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class PosReturnLine(SQLModel, table=True):
    __tablename__ = "pos_return_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="pos_return.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    variant_id: int = Field(foreign_key="variant.id")
    qty: int
    amount_minor: int


class PosApproval(SQLModel, table=True):
    """A request to go above the discount policy, answered once by a manager (PIN or Telegram)."""

    __tablename__ = "pos_approval"

    id: int | None = Field(default=None, primary_key=True)
    register_id: int = Field(foreign_key="pos_register.id", index=True)
    requested_by_id: int = Field(foreign_key="staff.id")
    requested_by_name: str = Field(default="", max_length=128)
    discount_pct: int = 0  # the largest line discount asked for
    bonus_minor: int = 0  # the bonuses asked for
    goods_minor: int = 0  # for the manager's message
    status: str = Field(default=ApprovalStatus.pending, max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="staff.id")
    decided_by_name: str = Field(default="", max_length=128)
    decided_via: str = Field(default="", max_length=16)  # pin | telegram
    used_by_sale_id: int | None = None


class PosFavourite(SQLModel, table=True):
    """A tile on the sale screen's favourites grid."""

    __tablename__ = "pos_favourite"

    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(foreign_key="variant.id", unique=True)
    position: int = 0
