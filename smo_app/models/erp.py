"""ERP sync (IN3): the connection the owner set, which ERP item is which product/variant of ours,
every sync run, and every order pushed.

The ERP owns names, prices and stock by default (the shop may own descriptions and photos); our
order state machine stays the truth for orders, which are pushed once each (``erp_order_push`` is
unique per order).
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import JSONType, UTCDateTime, utcnow


class ErpConnection(SQLModel, table=True):
    """The owner's settings for one ERP (one row per provider). The token is stored encrypted."""

    __tablename__ = "erp_connection"

    provider: str = Field(primary_key=True, max_length=32)
    enabled: bool = False  # pulls, pushes and webhooks run only when the owner turned them on
    token_encrypted: str | None = Field(default=None, max_length=2000)
    token_kind: str = Field(default="user", max_length=16)  # user | solution (the weight of a request)
    api_base: str | None = Field(default=None, max_length=300)
    store_id: str | None = Field(default=None, max_length=64)
    store_name: str = Field(default="", max_length=255)
    price_type: str = Field(default="", max_length=255)  # name of the price type (empty: the first)
    organization_id: str | None = Field(default=None, max_length=64)
    organization_name: str = Field(default="", max_length=255)
    agent_id: str | None = Field(default=None, max_length=64)
    agent_name: str = Field(default="", max_length=255)
    shop_owns_descriptions: bool = True
    shop_owns_photos: bool = True
    new_items_hidden: bool = False  # items new in the ERP arrive hidden instead of for sale
    push_orders: bool = True
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ErpItemLink(SQLModel, table=True):
    """One ERP assortment row and what it is here: a product (with variants), or a sellable variant."""

    __tablename__ = "erp_item_link"
    __table_args__ = (
        sa.UniqueConstraint("provider", "external_id", name="uq_erp_item_link_provider_external"),
        sa.Index("ix_erp_item_link_variant", "variant_id"),
        sa.Index("ix_erp_item_link_product", "product_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    external_id: str = Field(max_length=64)
    external_type: str = Field(max_length=16)  # product | variant | service | bundle
    parent_external_id: str | None = Field(default=None, max_length=64)
    product_id: int = Field(foreign_key="product.id")
    variant_id: int | None = Field(default=None, foreign_key="variant.id")  # None: a product sold only by variants
    erp_qty: float | None = None  # the ERP's stock as last pulled
    archived: bool = False  # archived in the ERP (hidden here)
    gone: bool = False  # deleted in the ERP
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncKind(StrEnum):
    full = "full"  # the whole assortment and the stock report
    incremental = "incremental"  # what changed since the last pull (overlapping windows)
    webhook = "webhook"  # objects a webhook named
    push = "push"  # orders pushed


class SyncRunStatus(StrEnum):
    running = "running"
    ok = "ok"
    failed = "failed"


class ErpSyncRun(SQLModel, table=True):
    __tablename__ = "erp_sync_run"
    __table_args__ = (sa.Index("ix_erp_sync_run_provider_kind_id", "provider", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    status: str = Field(default=SyncRunStatus.running, max_length=16)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    window_from: datetime | None = Field(default=None, sa_type=UTCDateTime)  # incremental: changes since
    items_seen: int = 0
    items_created: int = 0
    items_updated: int = 0
    items_archived: int = 0
    stock_changed: int = 0
    conflicts: int = 0
    requests: int = 0
    throttled: int = 0  # 429 answers
    server_errors: int = 0
    max_window_units: int = 0
    error_code: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)
    actor_name: str = Field(default="", max_length=128)


class ErpOrderPush(SQLModel, table=True):
    """An order of ours in the ERP: created once (unique per order), its status followed."""

    __tablename__ = "erp_order_push"
    __table_args__ = (sa.UniqueConstraint("provider", "order_id", name="uq_erp_order_push_provider_order"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    order_id: int = Field(foreign_key="order.id", index=True)
    external_id: str | None = Field(default=None, max_length=64)
    external_name: str = Field(default="", max_length=255)
    pushed_status: str | None = Field(default=None, max_length=16)  # our status the ERP shows
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
