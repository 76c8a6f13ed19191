"""Bulk writes for the few jobs that write thousands of rows at once (an ERP catalog pulled page by
page): :func:`insert_rows` inserts rows with one executemany, :func:`insert_many` also gives back
their new ids, :func:`young_objects_only` keeps the garbage collector off the rest of the process
while such a job runs."""
from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter

from sqlalchemy import Table, func, insert, select
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) with one executemany, inside the caller's
    transaction. On SQLite the statement is compiled once and the rows handed to the driver as
    tuples built column by column, each value through its column type's bind processor once per
    distinct object (a page's rows share their timestamp and flags: SQLAlchemy's own per-row
    parameter handling costs twice the insert itself); elsewhere, and for a column whose default is
    not a plain value, SQLAlchemy's executemany."""
    if not rows:
        return
    conn = session.connection()
    keys = list(rows[0])
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    columns: list[Iterable] = []
    for name in compiled.positiontup or []:
        column = table.c[name]
        process = column.type.bind_processor(conn.dialect)
        if name in rows[0]:
            values = list(map(itemgetter(name), rows))
            columns.append(_processed(values, process) if process else values)
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
            columns.append(repeat(process(value) if process else value, len(rows)))
        else:
            conn.execute(insert(table), rows)
            return
    conn.exec_driver_sql(compiled.string, list(zip(*columns)))


def _processed(values: list, process: Callable) -> list:
    """``process`` of each value, worked out once per distinct object (the list keeps every value
    alive, so an object's id is its own for the whole loop)."""
    done: dict[int, object] = {}
    out = []
    for value in values:
        key = id(value)
        if key in done:
            out.append(done[key])
        else:
            out.append(done.setdefault(key, process(value)))
    return out


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


_FREEZE_LOCK = threading.Lock()
_freeze_users = 0
_froze = False


@contextmanager
def young_objects_only() -> Iterator[None]:
    """While the block runs, the garbage collector's full passes walk only the objects made since it
    began. A job that makes tens of thousands of objects (a pulled catalog's pages) sets off a full
    pass every few pages, and each walks the whole process (the app's modules and caches: hundreds of
    thousands of objects), stopping every thread for 0.1-0.3 s; the objects older than the block are
    set aside (``gc.freeze``) and given back when it ends (the last of several at once gives them
    back). Nothing is collected any later than a pass over them would have: an object freed by its
    reference count still is, and a cycle among the older ones waits until the block ends. When
    something else in the process froze objects already, nothing is done (theirs are not ours to
    give back)."""
    global _freeze_users, _froze
    with _FREEZE_LOCK:
        if _freeze_users == 0 and gc.get_freeze_count() == 0:
            gc.freeze()
            _froze = True
        _freeze_users += 1
    try:
        yield
    finally:
        with _FREEZE_LOCK:
            _freeze_users -= 1
            if _freeze_users == 0 and _froze:
                gc.unfreeze()
                _froze = False
