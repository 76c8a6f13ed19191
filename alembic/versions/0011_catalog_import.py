"""catalog import: applied Excel files, a creating file applied once

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-22 18:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

import smo_app.models.base  # noqa: F401  (UTCDateTime)


revision: str = '0011'
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('catalog_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('creates', sa.Integer(), nullable=False),
    sa.Column('updates', sa.Integer(), nullable=False),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', smo_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_import'))
    )
    with op.batch_alter_table('catalog_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_import_digest'), ['digest'], unique=False)
        batch_op.create_index('uq_catalog_import_creating_digest', ['digest'], unique=True,
                              sqlite_where=sa.text('creates > 0'), postgresql_where=sa.text('creates > 0'))


def downgrade() -> None:
    with op.batch_alter_table('catalog_import', schema=None) as batch_op:
        batch_op.drop_index('uq_catalog_import_creating_digest', sqlite_where=sa.text('creates > 0'),
                            postgresql_where=sa.text('creates > 0'))
        batch_op.drop_index(batch_op.f('ix_catalog_import_digest'))
    op.drop_table('catalog_import')
