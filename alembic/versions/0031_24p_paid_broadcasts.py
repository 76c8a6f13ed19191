"""Paid broadcasts: a broadcast may go with Telegram's allow_paid_broadcast (faster, costs Stars)

Revision ID: 24p
Revises: 22b
Create Date: 2026-12-07 13:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "24p"
down_revision: Union[str, None] = "22b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("stars_cost", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("stars_cost")
        batch.drop_column("paid")
