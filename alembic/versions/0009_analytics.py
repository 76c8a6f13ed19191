"""analytics: manual revenue entries and the indexes of the report queries

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 17:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

import smo_app.models.base  # noqa: F401  (UTCDateTime)


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('manual_revenue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_manual_revenue_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_manual_revenue_created_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_revenue'))
    )
    with op.batch_alter_table('manual_revenue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_revenue_day'), ['day'], unique=False)
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.create_index('ix_order_created_at_status',
                              ['created_at', 'status', 'channel', 'total_minor', 'certificate_minor'], unique=False)
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index('ix_order_line_order_id_cover',
                              ['order_id', 'product_id', 'qty', 'total_minor', 'unit_cost_minor'], unique=False)
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.create_index('ix_stock_move_kind_created_at', ['kind', 'created_at'], unique=False)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_first_seen_at', ['first_seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_first_seen_at')
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_kind_created_at')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index('ix_order_line_order_id_cover')
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_created_at_status')
    with op.batch_alter_table('manual_revenue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manual_revenue_day'))
    op.drop_table('manual_revenue')
