"""Bookings: the customer's screenshot of a deposit sent by transfer, decided by staff

Revision ID: 22b
Revises: 21b
Create Date: 2026-12-07 13:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from smo_app.models.base import UTCDateTime

revision: str = "22b"
down_revision: Union[str, None] = "21b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "booking_deposit_proof",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], name=op.f("fk_booking_deposit_proof_booking_id_booking")),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"], name=op.f("fk_booking_deposit_proof_decided_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_deposit_proof")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_booking_deposit_proof_booking_id")),
    )


def downgrade() -> None:
    op.drop_table("booking_deposit_proof")
