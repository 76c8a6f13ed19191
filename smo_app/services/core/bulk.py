"""Bulk writes for the few jobs that write thousands of rows at once (an ERP catalog pulled page by
page): :func:`insert_rows` inserts rows with one executemany, :func:`insert_many` also gives back
their new ids."""
from __future__ import annotations

from sqlalchemy import Table, func, insert, select
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) with one executemany, inside the caller's
    transaction. On SQLite the statement is compiled once and the rows handed to the driver as
    tuples, each value through its column type's bind processor (SQLAlchemy's own per-row parameter
    handling costs twice the insert itself); elsewhere, and for a column whose default is not a
    plain value, SQLAlchemy's executemany."""
    if not rows:
        return
    conn = session.connection()
    keys = list(rows[0])
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    order = compiled.positiontup or []
    getters = []
    for name in order:
        column = table.c[name]
        process = column.type.bind_processor(conn.dialect)
        if name in rows[0]:
            getters.append((name, process, None))
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
            getters.append((None, None, process(value) if process else value))
        else:
            conn.execute(insert(table), rows)
            return
    params = [tuple((p(row[k]) if p else row[k]) if k is not None else const for k, p, const in getters)
              for row in rows]
    conn.exec_driver_sql(compiled.string, params)


def insert_many(session: Session, table: Table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` into ``table`` (an integer ``id`` primary key) inside the caller's transaction
    with one executemany (:func:`insert_rows`); return their new ids in the order given.

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
        insert_rows(session, table, [{**row, "id": i} for row, i in zip(rows, ids)])
        return ids
    insert_rows(session, table, rows)
    ids = list(conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(len(rows))).scalars())
    ids.reverse()
    return ids
