"""Backups: where each archive's off-site copy went, or why it did not

Revision ID: 23c
Revises: 23b
Create Date: 2026-12-07 04:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "23c"
down_revision: Union[str, None] = "23b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("backup_run") as batch:
        batch.add_column(sa.Column("uploaded_to", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("upload_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backup_run") as batch:
        batch.drop_column("upload_error")
        batch.drop_column("uploaded_to")
