"""Support: each customer's forum topic in the staff supergroup; the operator's private chat holding a ticket

Revision ID: 21b
Revises: 21a
Create Date: 2026-12-07 05:55:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from smo_app.models.base import UTCDateTime

revision: str = "21b"
down_revision: Union[str, None] = "21a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "support_topic",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("chat_id", "customer_id", name="uq_support_topic_chat_customer"),
    )
    op.create_index("ix_support_topic_chat_thread", "support_topic", ["chat_id", "thread_id"])
    with op.batch_alter_table("support_ticket") as batch:
        batch.add_column(sa.Column("operator_chat_id", sa.BigInteger(), nullable=True))
    op.create_index("uq_support_ticket_operator_chat", "support_ticket", ["operator_chat_id"], unique=True,
                    sqlite_where=sa.text("state != 'closed' AND operator_chat_id IS NOT NULL"),
                    postgresql_where=sa.text("state != 'closed' AND operator_chat_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("uq_support_ticket_operator_chat", table_name="support_ticket")
    with op.batch_alter_table("support_ticket") as batch:
        batch.drop_column("operator_chat_id")
    op.drop_index("ix_support_topic_chat_thread", table_name="support_topic")
    op.drop_table("support_topic")
