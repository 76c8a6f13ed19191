"""refunds follow the order: order.refunded_minor (never above the total), payment_refund.order_minor,
and loyalty entries of a refund may repeat per order (one per refund)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22 21:00:00

The once-per-order rule on loyalty entries becomes a partial unique index that leaves out the
three refund kinds. The downgrade puts the plain unique constraint back; it fails loudly if an
order already has two entries of one refund kind (nothing is deleted silently).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0017'
down_revision: Union[str, None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ONCE_PER_ORDER = sa.text("kind NOT IN ('refund_bonus', 'refund_cashback', 'refund_referral')")


def upgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_minor', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_order_refund_within_total'), 'refunded_minor >= 0 AND refunded_minor <= total_minor')
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_minor', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.drop_constraint('uq_loyalty_entry_once', type_='unique')
        batch_op.create_index('uq_loyalty_entry_once', ['customer_id', 'kind', 'order_id'], unique=True,
                              sqlite_where=ONCE_PER_ORDER, postgresql_where=ONCE_PER_ORDER)


def downgrade() -> None:
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_loyalty_entry_once', sqlite_where=ONCE_PER_ORDER, postgresql_where=ONCE_PER_ORDER)
        batch_op.create_unique_constraint('uq_loyalty_entry_once', ['customer_id', 'kind', 'order_id'])
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.drop_column('order_minor')
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_refund_within_total'), type_='check')
        batch_op.drop_column('refunded_minor')
