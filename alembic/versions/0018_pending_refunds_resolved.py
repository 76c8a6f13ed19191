"""pending refunds are resolved: the reconciliation log counts the refunds it asked about and settled,
and refunds are found by the provider's refund id (refund webhooks)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: Union[str, None] = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('payment_reconciliation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunds_checked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunds_done', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refund_provider_refund_id'), ['provider_refund_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refund_provider_refund_id'))
    with op.batch_alter_table('payment_reconciliation', schema=None) as batch_op:
        batch_op.drop_column('refunds_done')
        batch_op.drop_column('refunds_checked')
