"""Analytics (AN5): manual revenue entries, and the indexes the report queries need.

The composite indexes on ``order``, ``order_line``, ``stock_move`` and ``customer`` are declared
here (attached to those tables) so that the analytics migration owns them.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderLine
from smo_app.models.stock import StockMove


class ManualRevenue(SQLModel, table=True):
    """Revenue the shop earned outside the system (a fair, a service paid in cash), by shop-local day."""

    __tablename__ = "manual_revenue"
    __table_args__ = (sa.CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)  # the shop-local business day it counts on
    amount_minor: int
    note: str = Field(max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="staff.id")
    created_by_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_order = Order.__table__
_line = OrderLine.__table__
_move = StockMove.__table__

# Period scans of orders read only this index (daily series, summary, P&L sums by status/channel).
sa.Index("ix_order_created_at_status", _order.c.created_at, _order.c.status, _order.c.channel, _order.c.total_minor,
         _order.c.certificate_minor)
# Per-order line sums (COGS, ABC) without touching the table rows.
sa.Index("ix_order_line_order_id_cover", _line.c.order_id, _line.c.product_id, _line.c.qty, _line.c.total_minor,
         _line.c.unit_cost_minor)
sa.Index("ix_stock_move_kind_created_at", _move.c.kind, _move.c.created_at)
sa.Index("ix_customer_first_seen_at", Customer.__table__.c.first_seen_at)
