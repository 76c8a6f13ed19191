"""Support: tickets and their messages

Revision ID: 21a
Revises: 22a
Create Date: 2026-12-07 05:45:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from smo_app.models.base import UTCDateTime

revision: str = "21a"
down_revision: Union[str, None] = "22a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "support_ticket",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("order.id"), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("assigned_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_reason", sa.String(length=16), nullable=False),
        sa.Column("first_response_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_operator_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("timeout_alerted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("solved_by", sa.String(length=16), nullable=False),
        sa.Column("last_question", sa.String(length=300), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
    )
    op.create_index("ix_support_ticket_customer_id", "support_ticket", ["customer_id"])
    op.create_index("ix_support_ticket_state_id", "support_ticket", ["state", "id"])
    op.create_index("uq_support_ticket_open_customer", "support_ticket", ["customer_id"], unique=True,
                    sqlite_where=sa.text("state != 'closed'"), postgresql_where=sa.text("state != 'closed'"))
    op.create_table(
        "support_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("support_ticket.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("text", sa.String(length=4096), nullable=False),
        sa.Column("photo_file_id", sa.String(length=256), nullable=True),
        sa.Column("document_file_id", sa.String(length=256), nullable=True),
        sa.Column("document_name", sa.String(length=200), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_support_message_ticket_id", "support_message", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_support_message_ticket_id", table_name="support_message")
    op.drop_table("support_message")
    op.drop_index("uq_support_ticket_open_customer", table_name="support_ticket")
    op.drop_index("ix_support_ticket_state_id", table_name="support_ticket")
    op.drop_index("ix_support_ticket_customer_id", table_name="support_ticket")
    op.drop_table("support_ticket")
