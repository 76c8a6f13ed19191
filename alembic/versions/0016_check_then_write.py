"""one Telegram account per staff member: a partial unique index on staff.telegram_id

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 18:30:00

Existing duplicates (possible before: the hand-set path took no lock) keep the link on one
account — an active one first, then the newest — and the others lose it.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: Union[str, None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WHERE = sa.text("telegram_id IS NOT NULL")


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE staff SET telegram_id = NULL WHERE telegram_id IS NOT NULL AND id <> ("
        " SELECT keep.id FROM staff AS keep WHERE keep.telegram_id = staff.telegram_id"
        " ORDER BY keep.is_active DESC, keep.id DESC LIMIT 1)"
    ))
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_telegram_id')
        batch_op.create_index('uq_staff_telegram_id', ['telegram_id'], unique=True,
                              sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index('uq_staff_telegram_id', sqlite_where=WHERE, postgresql_where=WHERE)
        batch_op.create_index('ix_staff_telegram_id', ['telegram_id'], unique=False)
