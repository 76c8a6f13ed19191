"""orders backoffice: tracking number, list index, courier handoffs, reward wheel

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 18:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

import smo_app.models.base  # noqa: F401  (UTCDateTime)


revision: str = '0015'
down_revision: Union[str, None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_order_status_id', ['status', 'id'], unique=False)

    op.create_table('courier_handoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('courier_staff_id', sa.Integer(), nullable=True),
    sa.Column('courier_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_staff_id'], ['staff.id'], name=op.f('fk_courier_handoff_courier_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_handoff'))
    )
    with op.batch_alter_table('courier_handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courier_handoff_courier_staff_id'), ['courier_staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_handoff_created_at'), ['created_at'], unique=False)

    op.create_table('courier_handoff_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['courier_handoff.id'], name=op.f('fk_courier_handoff_order_handoff_id_courier_handoff')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_courier_handoff_order_order_id_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_handoff_order')),
    sa.UniqueConstraint('handoff_id', 'order_id', name='uq_courier_handoff_order')
    )
    with op.batch_alter_table('courier_handoff_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courier_handoff_order_handoff_id'), ['handoff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_handoff_order_order_id'), ['order_id'], unique=False)

    op.create_table('wheel_prize',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_wheel_prize_wheel_prize_weight')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_wheel_prize_wheel_prize_value')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wheel_prize'))
    )
    op.create_table('wheel_spin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('prize_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('promo_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_wheel_spin_customer_id_customer')),
    sa.ForeignKeyConstraint(['prize_id'], ['wheel_prize.id'], name=op.f('fk_wheel_spin_prize_id_wheel_prize')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wheel_spin')),
    sa.UniqueConstraint('customer_id', 'period', name='uq_wheel_spin_customer_period')
    )
    with op.batch_alter_table('wheel_spin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wheel_spin_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wheel_spin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wheel_spin_customer_id'))
    op.drop_table('wheel_spin')
    op.drop_table('wheel_prize')
    with op.batch_alter_table('courier_handoff_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_handoff_order_order_id'))
        batch_op.drop_index(batch_op.f('ix_courier_handoff_order_handoff_id'))
    op.drop_table('courier_handoff_order')
    with op.batch_alter_table('courier_handoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_handoff_created_at'))
        batch_op.drop_index(batch_op.f('ix_courier_handoff_courier_staff_id'))
    op.drop_table('courier_handoff')
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_status_id')
        batch_op.drop_column('tracking_number')
