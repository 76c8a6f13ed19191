"""Catalog (CA1, CA2): category tree, products, sellable variants, back-in-stock subscriptions.

A variant is "volume:price:weight" (``10 мл:450:15``); a product with no options has one default
variant. The variant carries the on-hand ``qty`` and the weighted average cost; both change only
together with an appended ``StockMove`` (smo_app.services.stock.ledger).
"""
from __future__ import annotations

from datetime import datetime

from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow
from smo_app.text_fold import fold


class SaleUnit(StrEnum):
    """How a variant is counted and priced. By weight (``kg``, ``g``) its quantities — stock, cart
    and order lines — are grams; the price is per kilogram (``kg``) or per gram (``g``)."""

    pcs = "pcs"  # pieces, the price per piece
    kg = "kg"  # by weight, the price per kilogram
    g = "g"  # by weight, the price per gram


# grams a price is for, by unit (1 for pieces: qty × price)
QTY_PER_PRICE = {SaleUnit.pcs: 1, SaleUnit.kg: 1000, SaleUnit.g: 1}


class Category(SQLModel, table=True):
    __tablename__ = "category"

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    name: str = Field(max_length=128)
    position: int = 0
    hidden: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Product(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    name: str = Field(max_length=200, index=True)
    search_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})  # the name folded (smo_app.text_fold), for search
    description: str = Field(default="", max_length=5000)  # sanitized HTML
    details: str = Field(default="", max_length=5000)  # the "more" block
    base_price_minor: int = Field(default=0, ge=0)
    unit: str = Field(default="шт", max_length=16)
    discount_pct: int = Field(default=0, ge=0, le=100)
    position: int = 0
    hidden: bool = False
    suspended: bool = False  # visible but not for sale
    deleted: bool = False  # owner-only soft delete (orders keep their lines)
    cross_sell: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    low_stock_threshold: int = Field(default=3, ge=0)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Variant(SQLModel, table=True):
    """A sellable unit of a product with its own price, weight and stock."""

    __tablename__ = "variant"
    __table_args__ = (
        CheckConstraint("unit IN ('pcs', 'kg', 'g')", name="unit_known"),
        CheckConstraint("plu IS NULL OR (plu >= 1 AND plu <= 99999)", name="plu_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    label: str = Field(default="", max_length=64)  # "10 мл"; empty for the default variant
    price_minor: int = Field(default=0, ge=0)
    weight_g: int = Field(default=0, ge=0)
    position: int = 0
    is_default: bool = False
    wholesale_price_minor: int | None = Field(default=None, ge=0)  # ST9
    wholesale_min_qty: int = Field(default=1, ge=1)
    sku: str | None = Field(default=None, max_length=64, unique=True)  # the shop's article code (POS search)
    barcode: str | None = Field(default=None, max_length=64, unique=True)  # EAN/UPC or any scanned code (POS)
    unit: str = Field(default=SaleUnit.pcs, max_length=8, sa_column_kwargs={"server_default": "pcs"})  # SaleUnit
    plu: int | None = Field(default=None, unique=True)  # the item code a scale prints into a weight barcode
    search_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})  # label, SKU and barcode folded, for search
    qty: int = 0  # on hand; changes only with a StockMove
    avg_cost_minor: int = 0  # weighted average purchase cost per unit (WH2)
    active: bool = True


class StockSubscription(SQLModel, table=True):
    """'Notify me' on an out-of-stock variant (WH8)."""

    __tablename__ = "stock_subscription"
    __table_args__ = (UniqueConstraint("customer_id", "variant_id", name="uq_stock_subscription_customer_variant"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@event.listens_for(Product, "before_insert")
@event.listens_for(Product, "before_update")
def _product_search_key(_mapper, _conn, product: Product) -> None:
    product.search_key = fold(product.name)[:200]


@event.listens_for(Variant, "before_insert")
@event.listens_for(Variant, "before_update")
def _variant_search_key(_mapper, _conn, variant: Variant) -> None:
    variant.search_key = fold(variant.label, variant.sku, variant.barcode)[:200]
