"""payments: payment attempts, refunds, manual proofs, reconciliation log

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-22 18:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

import smo_app.models.base  # noqa: F401  (UTCDateTime)


revision: str = "0014"
down_revision: Union[str, None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('payment_reconciliation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('expired', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_reconciliation'))
    )
    with op.batch_alter_table('payment_reconciliation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_reconciliation_started_at'), ['started_at'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('provider_payment_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('confirmation_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('refunded_minor', sa.Integer(), nullable=False),
    sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("provider IN ('yookassa', 'stripe', 'telegram', 'stars', 'manual')", name=op.f('ck_payment_provider')),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'unmatched', 'canceled', 'rejected', 'refunded')", name=op.f('ck_payment_status')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_payment_amount_positive')),
    sa.CheckConstraint('refunded_minor >= 0 AND refunded_minor <= amount_minor', name=op.f('ck_payment_refund_within_amount')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_payment_order_id_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_idempotency_key')),
    sa.UniqueConstraint('provider', 'provider_payment_id', name='uq_payment_provider_payment_id')
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_provider'), ['provider'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_status'), ['status'], unique=False)
        batch_op.create_index('uq_payment_one_succeeded_per_order', ['order_id'], unique=True, sqlite_where=sa.text("status = 'succeeded'"), postgresql_where=sa.text("status = 'succeeded'"))

    op.create_table('payment_proof',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['staff.id'], name=op.f('fk_payment_proof_decided_by_staff')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_proof_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_proof')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_payment_proof_payment_id'))
    )
    op.create_table('payment_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('provider_refund_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('actor_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name=op.f('ck_payment_refund_status')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_payment_refund_amount_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_payment_refund_order_id_order')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_refund_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refund')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_refund_idempotency_key'))
    )
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refund_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refund_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refund_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refund_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refund_status'))
        batch_op.drop_index(batch_op.f('ix_payment_refund_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_refund_order_id'))
        batch_op.drop_index(batch_op.f('ix_payment_refund_created_at'))

    op.drop_table('payment_refund')
    op.drop_table('payment_proof')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('uq_payment_one_succeeded_per_order', sqlite_where=sa.text("status = 'succeeded'"), postgresql_where=sa.text("status = 'succeeded'"))
        batch_op.drop_index(batch_op.f('ix_payment_status'))
        batch_op.drop_index(batch_op.f('ix_payment_provider'))
        batch_op.drop_index(batch_op.f('ix_payment_order_id'))
        batch_op.drop_index(batch_op.f('ix_payment_created_at'))

    op.drop_table('payment')
    with op.batch_alter_table('payment_reconciliation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_reconciliation_started_at'))

    op.drop_table('payment_reconciliation')
