"""PostgreSQL correctness: 64-bit Telegram ids and an append-only audit log held by the database.

Telegram user ids are above 2**31 and supergroup chat ids look like -100xxxxxxxxxx, so every Telegram
user/chat id column becomes BIGINT: customer.telegram_id, staff.telegram_id, outbox.chat_id,
tracking_visitor.telegram_id.

audit_entry gets triggers that refuse UPDATE and DELETE on both engines (the ORM's object events
stay as the friendly error; these also stop bulk statements and raw SQL). TRUNCATE is not refused,
so test fixtures can still empty a PostgreSQL database.

NOTE for later migrations: on SQLite, a batch-mode rebuild of ``audit_entry``
(``op.batch_alter_table("audit_entry")`` with anything that recreates the table) drops these
triggers silently. Such a migration must re-create them afterwards: call
``create_audit_triggers()`` from this module (or copy its SQLite statements).

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, column, nullable)
TELEGRAM_ID_COLUMNS = [
    ("customer", "telegram_id", True),
    ("staff", "telegram_id", True),
    ("outbox", "chat_id", False),
    ("tracking_visitor", "telegram_id", False),
]

APPEND_ONLY = "audit entries are append-only"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation';
END
$$"""
_PG_TRIGGER = """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"""


def create_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    for table, column, nullable in TELEGRAM_ID_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable)


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())
    create_audit_triggers()


def downgrade() -> None:
    drop_audit_triggers()
    _retype(sa.BigInteger(), sa.Integer())
