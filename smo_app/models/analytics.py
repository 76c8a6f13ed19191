"""Analytics (AN5): manual revenue entries, the indexes the report queries need, and the daily
rollup that PostgreSQL keeps beside the raw tables (``services/analytics/rollup.py``).

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


def _sum(**kwargs):
    return Field(default=0, sa_type=sa.BigInteger, **kwargs)


class AnalyticsDayChannel(SQLModel, table=True):
    """Per shop day and channel, the sums the P&L and the revenue series read: the sold orders placed
    that day, the POS returns and the payment refunds made that day (of sold orders, in the order's
    channel). Written only by the refresh; one row per day and channel that had any of them."""

    __tablename__ = "analytics_day_channel"

    day: date = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=16)
    orders: int = _sum()
    goods_minor: int = _sum()
    discount_product_minor: int = _sum()
    discount_personal_minor: int = _sum()
    discount_promo_minor: int = _sum()
    bonus_minor: int = _sum()
    certificate_minor: int = _sum()
    delivery_minor: int = _sum()
    revenue_minor: int = _sum()  # total + certificate
    cost_minor: int = _sum()
    shop_delivery_minor: int = _sum()
    returns: int = _sum()
    returns_minor: int = _sum()  # money refunded, positive
    returns_cogs_minor: int = _sum()  # cost of the returned units, positive
    refunds: int = _sum()
    refunds_minor: int = _sum()  # positive


class AnalyticsDayProduct(SQLModel, table=True):
    """Per shop day and product, what ABC ranks: units and revenue of the lines of the sold orders
    placed that day, less the units and money returned that day, less the refunded shares of the
    payment refunds confirmed that day."""

    __tablename__ = "analytics_day_product"

    day: date = Field(primary_key=True)
    product_id: int = Field(primary_key=True)
    qty: int = _sum()
    revenue_minor: int = _sum()


class AnalyticsRollupState(SQLModel, table=True):
    """The rollup's watermark (one row): the shop days up to ``closed_day`` (in ``timezone``) are held
    by the rollup, except the days marked dirty; ``closed_until`` is the UTC start of the day after,
    which the write triggers compare a moment with."""

    __tablename__ = "analytics_rollup_state"

    id: int = Field(default=1, primary_key=True)
    timezone: str = Field(max_length=64)
    closed_day: date | None = None
    closed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AnalyticsDirtyDay(SQLModel, table=True):
    """A closed day whose rows changed after it was rolled up (an edit, a return, a refund, a late
    status change): read from the raw tables until the refresh recomputes it. A mark per write (no
    unique day): the refresh deletes only the marks it read, so a mark made meanwhile survives."""

    __tablename__ = "analytics_dirty_day"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)


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
