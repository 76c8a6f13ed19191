"""delivery the shop pays itself is a figure on the order (B2B, delivery_payer "shop"), not a note

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-23 00:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: Union[str, None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shop_delivery_minor', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_order_shop_delivery_not_negative'), 'shop_delivery_minor >= 0')


def downgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_shop_delivery_not_negative'), type_='check')
        batch_op.drop_column('shop_delivery_minor')
