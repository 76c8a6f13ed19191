"""ERP sync (MoySklad): the owner's connection, item links, sync runs, pushed orders

Revision ID: 20a
Revises: 0019
Create Date: 2026-12-07 01:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from smo_app.models.base import UTCDateTime

revision: str = "20a"
down_revision: Union[str, None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "erp_connection",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("token_encrypted", sa.String(length=2000), nullable=True),
        sa.Column("token_kind", sa.String(length=16), nullable=False),
        sa.Column("api_base", sa.String(length=300), nullable=True),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("store_name", sa.String(length=255), nullable=False),
        sa.Column("price_type", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("organization_name", sa.String(length=255), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("agent_name", sa.String(length=255), nullable=False),
        sa.Column("shop_owns_descriptions", sa.Boolean(), nullable=False),
        sa.Column("shop_owns_photos", sa.Boolean(), nullable=False),
        sa.Column("new_items_hidden", sa.Boolean(), nullable=False),
        sa.Column("push_orders", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_erp_connection")),
    )
    op.create_table(
        "erp_item_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("external_type", sa.String(length=16), nullable=False),
        sa.Column("parent_external_id", sa.String(length=64), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("erp_qty", sa.Float(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_erp_item_link_product_id_product")),
        sa.ForeignKeyConstraint(["variant_id"], ["variant.id"], name=op.f("fk_erp_item_link_variant_id_variant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_item_link")),
        sa.UniqueConstraint("provider", "external_id", name="uq_erp_item_link_provider_external"),
    )
    op.create_index("ix_erp_item_link_variant", "erp_item_link", ["variant_id"], unique=False)
    op.create_index("ix_erp_item_link_product", "erp_item_link", ["product_id"], unique=False)
    op.create_table(
        "erp_sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("window_from", UTCDateTime(), nullable=True),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("items_created", sa.Integer(), nullable=False),
        sa.Column("items_updated", sa.Integer(), nullable=False),
        sa.Column("items_archived", sa.Integer(), nullable=False),
        sa.Column("stock_changed", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("server_errors", sa.Integer(), nullable=False),
        sa.Column("max_window_units", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("actor_name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_run")),
    )
    op.create_index("ix_erp_sync_run_provider_kind_id", "erp_sync_run", ["provider", "kind", "id"], unique=False)
    op.create_table(
        "erp_order_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("external_name", sa.String(length=255), nullable=False),
        sa.Column("pushed_status", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_erp_order_push_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_order_push")),
        sa.UniqueConstraint("provider", "order_id", name="uq_erp_order_push_provider_order"),
    )
    op.create_index(op.f("ix_erp_order_push_order_id"), "erp_order_push", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_erp_order_push_order_id"), table_name="erp_order_push")
    op.drop_table("erp_order_push")
    op.drop_index("ix_erp_sync_run_provider_kind_id", table_name="erp_sync_run")
    op.drop_table("erp_sync_run")
    op.drop_index("ix_erp_item_link_product", table_name="erp_item_link")
    op.drop_index("ix_erp_item_link_variant", table_name="erp_item_link")
    op.drop_table("erp_item_link")
    op.drop_table("erp_connection")
