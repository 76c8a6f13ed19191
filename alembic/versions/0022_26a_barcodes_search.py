"""variants sold by weight (unit, the scale's item code); search keys folded for every language

Revision ID: 26a
Revises: 20b
Create Date: 2026-12-07 01:00:00
"""
import re
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '26a'
down_revision: Union[str, None] = "20b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SPACES = re.compile(r"\s+")


def _fold(*parts):  # as smo_app.text_fold.fold at this revision
    return _SPACES.sub(" ", " ".join(p for p in parts if p).casefold().replace("ё", "е")).strip()[:200]


def _phone_key(phone):  # as smo_app.text_fold.phone_key at this revision
    d = "".join(ch for ch in (phone or "") if ch.isdigit())
    return (d[1:] if len(d) == 11 and d[0] in "78" else d)[:32]


def upgrade() -> None:
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=8), server_default='pcs',
                                      nullable=False))
        batch_op.add_column(sa.Column('plu', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('search_key', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='',
                                      nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_variant_plu'), ['plu'])
        batch_op.create_check_constraint(op.f('ck_variant_unit_known'), "unit IN ('pcs', 'kg', 'g')")
        batch_op.create_check_constraint(op.f('ck_variant_plu_range'), "plu IS NULL OR (plu >= 1 AND plu <= 99999)")
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='',
                                      nullable=False))
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('phone_key', sqlmodel.sql.sqltypes.AutoString(length=32), server_default='',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_customer_phone_key'), ['phone_key'], unique=False)

    conn = op.get_bind()
    for pid, name in conn.execute(sa.text("SELECT id, name FROM product")).all():
        conn.execute(sa.text("UPDATE product SET search_key = :k WHERE id = :id"), {"k": _fold(name), "id": pid})
    for vid, label, sku, barcode in conn.execute(sa.text("SELECT id, label, sku, barcode FROM variant")).all():
        conn.execute(sa.text("UPDATE variant SET search_key = :k WHERE id = :id"),
                     {"k": _fold(label, sku, barcode), "id": vid})
    for cid, name, username, phone in conn.execute(
            sa.text("SELECT id, full_name, username, phone FROM customer")).all():
        conn.execute(sa.text("UPDATE customer SET search_key = :k, phone_key = :p WHERE id = :id"),
                     {"k": _fold(name, username), "p": _phone_key(phone), "id": cid})


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_phone_key'))
        batch_op.drop_column('phone_key')
        batch_op.drop_column('search_key')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('search_key')
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_variant_plu_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_variant_unit_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_variant_plu'), type_='unique')
        batch_op.drop_column('search_key')
        batch_op.drop_column('plu')
        batch_op.drop_column('unit')
