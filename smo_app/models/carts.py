"""Server-side carts, one per customer (ST4)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class Cart(SQLModel, table=True):
    __tablename__ = "cart"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True, index=True)
    promo_code: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)  # last change
    abandoned_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_item"
    __table_args__ = (UniqueConstraint("cart_id", "variant_id", name="uq_cart_item_cart_variant"),)

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="cart.id", index=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    qty: int = Field(gt=0)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
