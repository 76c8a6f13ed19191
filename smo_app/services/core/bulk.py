"""Bulk writes for the few jobs that write thousands of rows at once (an ERP catalog pulled page by
page): :func:`insert_many` inserts rows with one executemany and gives back their new ids."""
from __future__ import annotations

from sqlalchemy import Table, func, insert, select
from sqlmodel import Session


def insert_many(session: Session, table: Table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` into ``table`` (an integer ``id`` primary key) inside the caller's transaction
    with one executemany; return their new ids in the order given.

    ``INSERT … RETURNING`` in parameter order costs a statement per row on SQLite and a sorted
    sub-select on PostgreSQL; a plain executemany is several times faster on both. PostgreSQL: the
    ids are drawn from the table's sequence first (safe beside any other writer). SQLite: writers
    take turns (this transaction holds the write lock from its first write to its commit) and a new
    rowid is always above every rowid in the table, so the rows just inserted are the highest ids."""
    if not rows:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        ids = list(conn.execute(select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
                                .select_from(func.generate_series(1, len(rows)))).scalars())
        conn.execute(insert(table), [{**row, "id": i} for row, i in zip(rows, ids)])
        return ids
    conn.execute(insert(table), rows)
    ids = list(conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(len(rows))).scalars())
    ids.reverse()
    return ids
