"""Analytics daily rollup: per shop day × channel and day × product sums, a watermark (the last
closed day) and dirty-day marks; on PostgreSQL, triggers on orders, their lines, POS returns and
payment refunds that mark a closed day dirty when a write touches it (a write to an open day — the
usual one — only compares a moment with the watermark). SQLite gets the tables only: the services
read its raw tables there.

Revision ID: 24q
Revises: 24p
Create Date: 2026-12-07 18:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

import smo_app.models.base  # noqa: F401  (UTCDateTime)

revision: str = "24q"
down_revision: Union[str, None] = "24p"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Writers hold this advisory lock shared until they commit; the refresh takes it exclusively for the
# moment it moves the watermark, so no writer that read the old watermark is still uncommitted
# (the same number as smo_app.services.analytics.rollup.WRITERS_LOCK — frozen here).
WRITERS_LOCK = 2424_0001
# Sold orders (frozen here: smo_app.services.analytics.periods.SOLD_STATUSES when written).
SOLD = "('paid','processing','shipped','delivered','completed')"

SUMS = ("orders", "goods_minor", "discount_product_minor", "discount_personal_minor", "discount_promo_minor",
        "bonus_minor", "certificate_minor", "delivery_minor", "revenue_minor", "cost_minor", "shop_delivery_minor",
        "returns", "returns_minor", "returns_cogs_minor", "refunds", "refunds_minor")

FUNCTIONS = f"""
CREATE FUNCTION analytics_rollup_watermark(OUT zone text, OUT until timestamptz) AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared({WRITERS_LOCK});
  SELECT s.timezone, s.closed_until INTO zone, until FROM analytics_rollup_state s WHERE s.id = 1;
END $$ LANGUAGE plpgsql;

-- a closed order changed: its day, and the days of its returns and refunds (they read its status,
-- channel, total and lines)
CREATE FUNCTION analytics_rollup_mark_order(oid integer, placed timestamptz, zone text, until timestamptz)
RETURNS void AS $$
BEGIN
  IF placed IS NULL OR placed >= until THEN
    RETURN;  -- a return or a refund comes after its order: none of them is closed either
  END IF;
  INSERT INTO analytics_dirty_day (day) VALUES (timezone(zone, placed)::date);
  INSERT INTO analytics_dirty_day (day)
  SELECT DISTINCT timezone(zone, r.created_at)::date FROM pos_sale s JOIN pos_return r ON r.sale_id = s.id
  WHERE s.order_id = oid AND r.created_at < until
  UNION
  SELECT DISTINCT timezone(zone, f.done_at)::date FROM payment_refund f WHERE f.order_id = oid AND f.done_at < until;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION analytics_rollup_mark_moment(moment timestamptz, zone text, until timestamptz) RETURNS void AS $$
BEGIN
  IF moment IS NOT NULL AND moment < until THEN
    INSERT INTO analytics_dirty_day (day) VALUES (timezone(zone, moment)::date);
  END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION analytics_rollup_order() RETURNS trigger AS $$
DECLARE w record;
BEGIN
  SELECT * INTO w FROM analytics_rollup_watermark();
  IF w.until IS NULL THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN
    PERFORM analytics_rollup_mark_order(OLD.id, OLD.created_at, w.zone, w.until);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.created_at IS DISTINCT FROM OLD.created_at) THEN
    PERFORM analytics_rollup_mark_order(NEW.id, NEW.created_at, w.zone, w.until);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION analytics_rollup_order_line() RETURNS trigger AS $$
DECLARE w record; placed timestamptz;
BEGIN
  SELECT * INTO w FROM analytics_rollup_watermark();
  IF w.until IS NULL THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN
    SELECT o.created_at INTO placed FROM "order" o WHERE o.id = OLD.order_id;
    PERFORM analytics_rollup_mark_order(OLD.order_id, placed, w.zone, w.until);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id) THEN
    SELECT o.created_at INTO placed FROM "order" o WHERE o.id = NEW.order_id;
    PERFORM analytics_rollup_mark_order(NEW.order_id, placed, w.zone, w.until);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION analytics_rollup_pos_return_line() RETURNS trigger AS $$
DECLARE w record; returned timestamptz;
BEGIN
  SELECT * INTO w FROM analytics_rollup_watermark();
  IF w.until IS NULL THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN
    SELECT r.created_at INTO returned FROM pos_return r WHERE r.id = OLD.return_id;
    PERFORM analytics_rollup_mark_moment(returned, w.zone, w.until);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT r.created_at INTO returned FROM pos_return r WHERE r.id = NEW.return_id;
    PERFORM analytics_rollup_mark_moment(returned, w.zone, w.until);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def _moment_function(table: str, column: str) -> str:
    """The trigger function of a table whose rows count on the shop day of their ``column``."""
    return f"""
CREATE FUNCTION analytics_rollup_{table}() RETURNS trigger AS $$
DECLARE w record;
BEGIN
  SELECT * INTO w FROM analytics_rollup_watermark();
  IF w.until IS NULL THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN PERFORM analytics_rollup_mark_moment(OLD.{column}, w.zone, w.until); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM analytics_rollup_mark_moment(NEW.{column}, w.zone, w.until); END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


# (table, the columns whose change matters to the rollup: an update changing none fires nothing)
WATCHED = {
    "order": ("created_at", "channel", f"status IN {SOLD}", "goods_minor", "discount_product_minor",
              "discount_personal_minor", "discount_promo_minor", "bonus_minor", "certificate_minor",
              "delivery_minor", "total_minor", "cost_minor", "shop_delivery_minor"),
    "order_line": ("order_id", "product_id", "qty", "total_minor", "unit_cost_minor"),
    "pos_return": ("created_at", "sale_id", "cash_minor", "card_minor", "credit_minor"),
    "pos_return_line": ("return_id", "order_line_id", "qty", "amount_minor"),
    "payment_refund": ("order_id", "status", "done_at", "order_minor"),
}


def _changed(columns: tuple[str, ...]) -> str:
    def row(alias: str) -> str:
        return "(" + ", ".join(f"{alias}.{c}" if " " not in c else f"({alias}.{c})" for c in columns) + ")"

    return f"{row('OLD')} IS DISTINCT FROM {row('NEW')}"


def _triggers() -> list[str]:
    out = []
    for table, columns in WATCHED.items():
        fn = f"analytics_rollup_{table}"
        out.append(f'CREATE TRIGGER analytics_rollup_{table}_write AFTER INSERT OR DELETE ON "{table}" '
                   f"FOR EACH ROW EXECUTE FUNCTION {fn}()")
        out.append(f'CREATE TRIGGER analytics_rollup_{table}_update AFTER UPDATE ON "{table}" '
                   f"FOR EACH ROW WHEN ({_changed(columns)}) EXECUTE FUNCTION {fn}()")
    return out


def upgrade() -> None:
    op.create_table(
        "analytics_day_channel",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS],
        sa.PrimaryKeyConstraint("day", "channel", name=op.f("pk_analytics_day_channel")),
    )
    op.create_table(
        "analytics_day_product",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "product_id", name=op.f("pk_analytics_day_product")),
    )
    op.create_table(
        "analytics_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("closed_until", smo_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("refreshed_at", smo_app.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rollup_state")),
    )
    op.create_table(
        "analytics_dirty_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_dirty_day")),
    )
    with op.batch_alter_table("analytics_dirty_day") as batch:
        batch.create_index(batch.f("ix_analytics_dirty_day_day"), ["day"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    # no state row: nothing is closed yet, the triggers mark nothing, the first refresh builds it all
    op.execute(FUNCTIONS)
    op.execute(_moment_function("pos_return", "created_at"))  # a return counts on the day of its refund
    op.execute(_moment_function("payment_refund", "done_at"))  # a payment refund on the day it was confirmed
    for statement in _triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f'DROP TRIGGER IF EXISTS analytics_rollup_{table}_write ON "{table}"')
            op.execute(f'DROP TRIGGER IF EXISTS analytics_rollup_{table}_update ON "{table}"')
            op.execute(f"DROP FUNCTION IF EXISTS analytics_rollup_{table}()")
        op.execute("DROP FUNCTION IF EXISTS analytics_rollup_mark_moment(timestamptz, text, timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS analytics_rollup_mark_order(integer, timestamptz, text, timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS analytics_rollup_watermark()")
    with op.batch_alter_table("analytics_dirty_day") as batch:
        batch.drop_index(batch.f("ix_analytics_dirty_day_day"))
    op.drop_table("analytics_dirty_day")
    op.drop_table("analytics_rollup_state")
    op.drop_table("analytics_day_product")
    op.drop_table("analytics_day_channel")
