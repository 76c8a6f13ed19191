"""CDEK shipments (waybill, tracking number, carrier status) and the Telegram file id of each image

Revision ID: 20b
Revises: 20a
Create Date: 2026-12-07 01:05:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from smo_app.models.base import UTCDateTime

revision: str = "20b"
down_revision: Union[str, None] = "20a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tariff_code", sa.Integer(), nullable=False),
        sa.Column("delivery_point", sa.String(length=64), nullable=True),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("length_cm", sa.Integer(), nullable=False),
        sa.Column("width_cm", sa.Integer(), nullable=False),
        sa.Column("height_cm", sa.Integer(), nullable=False),
        sa.Column("entity_uuid", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("carrier_status", sa.String(length=64), nullable=True),
        sa.Column("carrier_status_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("waybill_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_shipment_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("order_id", name="uq_shipment_order_id"),
    )
    op.create_index("ix_shipment_entity_uuid", "shipment", ["entity_uuid"], unique=False)
    op.create_table(
        "telegram_file_id",
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_telegram_file_id")),
    )


def downgrade() -> None:
    op.drop_table("telegram_file_id")
    op.drop_index("ix_shipment_entity_uuid", table_name="shipment")
    op.drop_table("shipment")
