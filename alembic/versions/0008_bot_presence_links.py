"""bot presence (sidecar heartbeat) and staff Telegram link codes

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

import smo_app.models.base  # noqa: F401  (UTCDateTime)

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "sidecar_heartbeat",
        sa.Column("instance", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("started_at", smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance", name=op.f("pk_sidecar_heartbeat")),
    )
    with op.batch_alter_table("sidecar_heartbeat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sidecar_heartbeat_beat_at"), ["beat_at"], unique=False)
    op.create_table(
        "staff_link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", smo_app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by_telegram_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_link_code_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_link_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_staff_link_code_code_hash")),
    )
    with op.batch_alter_table("staff_link_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_link_code_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_link_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_link_code_staff_id"))
    op.drop_table("staff_link_code")
    with op.batch_alter_table("sidecar_heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sidecar_heartbeat_beat_at"))
    op.drop_table("sidecar_heartbeat")
