"""one order per cart: a once-per-customer promo is used once per customer, held by the database

``promo_use.once_per_customer`` (copied from the promo code when the use is counted) and a partial
unique index on (promo_id, customer_id) over those uses. Uses counted before this revision are
flagged for their first use per customer only, so duplicates that the old check-then-write let
through stay as history and the index can be built.

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("promo_use", schema=None) as batch_op:
        batch_op.add_column(sa.Column("once_per_customer", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("promo_use", schema=None) as batch_op:
        batch_op.alter_column("once_per_customer", server_default=None)
    op.execute(sa.text(
        "UPDATE promo_use SET once_per_customer = TRUE WHERE id IN ("
        " SELECT MIN(u.id) FROM promo_use u JOIN promo_code p ON p.id = u.promo_id"
        " WHERE p.once_per_customer AND u.customer_id IS NOT NULL GROUP BY u.promo_id, u.customer_id)"))
    op.create_index("uq_promo_use_once_per_customer", "promo_use", ["promo_id", "customer_id"], unique=True,
                    sqlite_where=sa.text("once_per_customer"), postgresql_where=sa.text("once_per_customer"))


def downgrade() -> None:
    op.drop_index("uq_promo_use_once_per_customer", table_name="promo_use",
                  sqlite_where=sa.text("once_per_customer"), postgresql_where=sa.text("once_per_customer"))
    with op.batch_alter_table("promo_use", schema=None) as batch_op:
        batch_op.drop_column("once_per_customer")
