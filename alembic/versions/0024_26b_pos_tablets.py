"""POS tablets: devices of a register with a cart each, parked tickets, the device on a sale

Revision ID: 26b
Revises: 23a
Create Date: 2026-12-07 02:50:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import smo_app.models.base

revision: str = '26b'
down_revision: Union[str, None] = "23a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('pos_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['register_id'], ['pos_register.id'], name=op.f('fk_pos_device_register_id_pos_register')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_device')),
    sa.UniqueConstraint('register_id', 'name', name='uq_pos_device_register_name'),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pos_device_token_hash'))
    )
    with op.batch_alter_table('pos_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pos_device_register_id'), ['register_id'], unique=False)

    with op.batch_alter_table('pos_cart', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_pos_cart_register_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_pos_cart_device_id'), ['device_id'])
        batch_op.create_foreign_key(batch_op.f('fk_pos_cart_device_id_pos_device'), 'pos_device', ['device_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_pos_cart_register_id'), ['register_id'], unique=False)
        batch_op.create_index('uq_pos_cart_shared_register', ['register_id'], unique=True,
                              postgresql_where=sa.text('device_id IS NULL'), sqlite_where=sa.text('device_id IS NULL'))

    with op.batch_alter_table('pos_sale', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_pos_sale_device_id_pos_device'), 'pos_device', ['device_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_pos_sale_device_id'), ['device_id'], unique=False)

    op.create_table('pos_parked_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('bonus_minor', sa.Integer(), nullable=False),
    sa.Column('goods_minor', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('parked_by_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('parked_from_device_id', sa.Integer(), nullable=True),
    sa.Column('parked_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resumed_by_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('resumed_on_device_id', sa.Integer(), nullable=True),
    sa.Column('resumed_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_pos_parked_ticket_customer_id_customer')),
    sa.ForeignKeyConstraint(['parked_from_device_id'], ['pos_device.id'],
                            name=op.f('fk_pos_parked_ticket_parked_from_device_id_pos_device')),
    sa.ForeignKeyConstraint(['register_id'], ['pos_register.id'],
                            name=op.f('fk_pos_parked_ticket_register_id_pos_register')),
    sa.ForeignKeyConstraint(['resumed_on_device_id'], ['pos_device.id'],
                            name=op.f('fk_pos_parked_ticket_resumed_on_device_id_pos_device')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_parked_ticket'))
    )
    with op.batch_alter_table('pos_parked_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pos_parked_ticket_register_id'), ['register_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pos_parked_ticket_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('pos_parked_ticket')
    with op.batch_alter_table('pos_sale', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pos_sale_device_id'))
        batch_op.drop_constraint(batch_op.f('fk_pos_sale_device_id_pos_device'), type_='foreignkey')
        batch_op.drop_column('device_id')
    op.execute("DELETE FROM pos_cart WHERE device_id IS NOT NULL")
    with op.batch_alter_table('pos_cart', schema=None) as batch_op:
        batch_op.drop_index('uq_pos_cart_shared_register')
        batch_op.drop_index(batch_op.f('ix_pos_cart_register_id'))
        batch_op.drop_constraint(batch_op.f('fk_pos_cart_device_id_pos_device'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_pos_cart_device_id'), type_='unique')
        batch_op.create_unique_constraint('uq_pos_cart_register_id', ['register_id'])
        batch_op.drop_column('device_id')
    with op.batch_alter_table('pos_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pos_device_register_id'))
    op.drop_table('pos_device')
