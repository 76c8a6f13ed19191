"""Backups: every backup made, by hand or daily, with its result

Revision ID: 23a
Revises: 26a
Create Date: 2026-12-07 03:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from smo_app.models.base import UTCDateTime

revision: str = "23a"
down_revision: Union[str, None] = "26a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "backup_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("daily_key", sa.String(length=10), nullable=True),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("tables", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("sent_to", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("daily_key"),
    )
    op.create_index("uq_backup_run_running", "backup_run", ["status"], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))


def downgrade() -> None:
    op.drop_index("uq_backup_run_running", table_name="backup_run")
    op.drop_table("backup_run")
