"""Orders (OR1–OR8): the order, its lines, and the event trail of every status change."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class OrderStatus(StrEnum):
    new = "new"  # placed, waiting for payment; auto-cancels after N minutes
    paid = "paid"  # payment confirmed; bonuses and certificate are final
    processing = "processing"  # being picked and packed
    shipped = "shipped"  # handed to the courier / delivery service
    delivered = "delivered"  # reached the customer or the pickup point
    completed = "completed"  # closed; cashback credited
    cancelled = "cancelled"  # stock, bonuses, promo and certificate given back


class OrderChannel(StrEnum):
    storefront = "storefront"
    pos = "pos"
    b2b = "b2b"


class DeliveryType(StrEnum):
    pickup = "pickup"
    courier = "courier"
    region = "region"
    store = "store"  # in-store / no delivery


class Order(SQLModel, table=True):
    __tablename__ = "order"
    __table_args__ = (
        # the backoffice list: a status tab, newest first (OR7)
        Index("ix_order_status_id", "status", "id"),
        # refunds never give back more than the customer paid, however many and however concurrent
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= total_minor", name="refund_within_total"),
        CheckConstraint("shop_delivery_minor >= 0", name="shop_delivery_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    channel: str = Field(default=OrderChannel.storefront, max_length=16, index=True)
    status: str = Field(default=OrderStatus.new, max_length=16, index=True)
    client_ref: str | None = Field(default=None, max_length=64, unique=True)  # idempotent re-submit
    # sums, all integer minor units; goods - discounts - certificate - bonus + delivery == total
    goods_minor: int = 0
    discount_product_minor: int = 0
    discount_personal_minor: int = 0
    discount_promo_minor: int = 0
    certificate_minor: int = 0
    bonus_minor: int = 0
    delivery_minor: int = 0  # charged to the buyer (in the total)
    # delivery the shop pays the carrier itself (a B2B order with delivery_payer "shop"): not in the
    # total, a cost in the P&L
    shop_delivery_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    total_minor: int = 0
    # money given back by confirmed refunds (PA4); the breakdown above stays as placed, the net
    # paid is total_minor - refunded_minor
    refunded_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    cost_minor: int = 0  # cost of goods at average purchase cost (OR8, P&L)
    promo_code_id: int | None = Field(default=None, foreign_key="promo_code.id", index=True)
    certificate_id: int | None = Field(default=None, foreign_key="gift_certificate.id", index=True)
    delivery_type: str = Field(default=DeliveryType.pickup, max_length=16)
    delivery_payer: str = Field(default="buyer", max_length=16)  # OR8: buyer | shop
    address: str = Field(default="", max_length=500)
    contact_name: str = Field(default="", max_length=128)
    phone: str = Field(default="", max_length=32)
    comment: str = Field(default="", max_length=1000)
    buyer_name: str = Field(default="", max_length=200)  # OR8 offline buyer without a customer
    tracking_number: str = Field(default="", max_length=64)  # OR6: the carrier's number, set by staff
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    name: str = Field(max_length=200)
    variant_label: str = Field(default="", max_length=64)
    qty: int = Field(gt=0)
    unit_price_minor: int  # price per unit before discounts (retail or wholesale)
    goods_minor: int  # unit_price * qty
    discount_minor: int = 0  # product or personal discount on this line
    total_minor: int  # goods - discount (before promo, certificate and bonuses)
    unit_cost_minor: int = 0


class OrderEvent(SQLModel, table=True):
    __tablename__ = "order_event"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=128)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
