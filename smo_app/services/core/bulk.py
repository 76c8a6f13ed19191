"""Bulk writes for the few jobs that write thousands of rows at once (an ERP catalog pulled page by
page): :func:`insert_rows` inserts rows with one executemany, :func:`insert_many` also gives back
their new ids, :func:`quiet_collector` keeps the garbage collector off the rest of the process while
such a job runs. Hot paths that write a few rows many times a second (the checkout) insert with
:func:`write_rows` and :func:`write_row` on the connection they already hold, run their other
fixed statements with :func:`run` and read with :func:`read`: on SQLite each is compiled once and
its text handed to the driver on the connection's own transaction (:func:`_driver`), so neither
SQLAlchemy's per-statement parameter handling nor its execution context and result set-up (which
together cost more than SQLite's own work on such a statement) are paid. A listener on the engine's
statements, or echo, gets them through SQLAlchemy as usual; a driver error comes out as
SQLAlchemy's (``IntegrityError`` …), as from ``conn.execute``."""
from __future__ import annotations

import functools
import gc
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter

from sqlalchemy import Connection, Executable, Select, Table, func, insert, select
from sqlalchemy.engine import Dialect
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) with one executemany, inside the caller's
    transaction. On SQLite the statement is compiled once and the rows handed to the driver as
    tuples built column by column, each value through its column type's bind processor once per
    distinct object (a page's rows share their timestamp and flags: SQLAlchemy's own per-row
    parameter handling costs twice the insert itself); elsewhere, and for a column whose default is
    not a plain value, SQLAlchemy's executemany."""
    if rows:
        write_rows(session.connection(), table, rows)


def write_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """:func:`insert_rows` on a connection the caller holds (its transaction)."""
    if not rows:
        return
    plan = _plan(conn.dialect, table, tuple(rows[0]), False)
    if plan is None:
        conn.execute(_insert(table, False), rows)
        return
    sql, columns = plan
    if len(rows) == 1:
        _execute(conn, sql, _bound(columns, rows[0]))
        return
    if len(rows) <= _FEW:
        _execute_many(conn, sql, [_bound(columns, row) for row in rows])
        return
    values: list[Iterable] = []
    for name, process, default in columns:
        if name is None:
            values.append(repeat(default, len(rows)))
        else:
            got = list(map(itemgetter(name), rows))
            values.append(_processed(got, process) if process else got)
    _execute_many(conn, sql, list(zip(*values)))


def write_row(conn: Connection, table: Table, row: dict) -> int:
    """Insert one ``row`` into ``table`` (an integer ``id`` primary key) in the caller's transaction
    and return its new id: one statement, compiled once per table and set of keys on SQLite (the
    checkout writes a few single rows per order: SQLAlchemy's per-statement parameter handling
    costs more than SQLite's insert), ``INSERT … RETURNING id`` through SQLAlchemy elsewhere."""
    plan = _plan(conn.dialect, table, tuple(row), True)
    if plan is None:
        return conn.execute(_insert(table, True), row).scalar_one()
    sql, columns = plan
    return _execute(conn, sql, _bound(columns, row)).fetchone()[0]


def _driver(conn: Connection):
    """The SQLite driver connection under ``conn`` when a statement may go to it directly: the
    connection is in an active transaction (begun by SQLAlchemy: ``BEGIN IMMEDIATE``), a savepoint
    or ``with conn.begin()`` block in it is still active too, and nothing listens to its statements
    (engine, connection or dialect events) or echoes them. Else None: the statement goes through
    SQLAlchemy, which begins the transaction or raises as it does (the checks of its
    ``Connection._execute_context``, read from the same attributes)."""
    if conn._has_events or conn.engine._has_events or conn.dialect._has_events or conn._echo:
        return None
    fairy, nested, block = conn._dbapi_connection, conn._nested_transaction, conn._trans_context_manager
    if (fairy is None or not conn.in_transaction() or (nested is not None and not nested.is_active)
            or (block is not None and not block._transaction_is_active())):
        return None
    return fairy.dbapi_connection


def _execute(conn: Connection, sql: str, params: tuple):
    """``sql`` with ``params`` on SQLite in ``conn``'s transaction; the driver's cursor (or
    SQLAlchemy's result: ``rowcount``, ``fetchone()``, ``fetchall()`` on both)."""
    raw = _driver(conn)
    if raw is None:
        return conn.exec_driver_sql(sql, params)
    try:
        return raw.execute(sql, params)
    except Exception as e:  # as SQLAlchemy raises it: IntegrityError, OperationalError …
        conn._handle_dbapi_exception(e, sql, params, None, None)


def _execute_many(conn: Connection, sql: str, params: list[tuple]) -> None:
    raw = _driver(conn)
    if raw is None:
        conn.exec_driver_sql(sql, params)
        return
    try:
        raw.executemany(sql, params)
    except Exception as e:
        conn._handle_dbapi_exception(e, sql, params, None, None)


_FEW = 20  # rows bound one by one; more are bound column by column, each distinct value once


def _bound(columns: tuple[tuple[str | None, Callable | None, object], ...], row: dict) -> tuple:
    return tuple([default if name is None else process(row[name]) if process else row[name]
                  for name, process, default in columns])


@functools.lru_cache(maxsize=256)
def _insert(table: Table, returning_id: bool):
    """``INSERT INTO table`` (``RETURNING id``), built once: SQLAlchemy finds its compiled form by the
    statement's cache key, which a statement built anew works out again."""
    return insert(table).returning(table.c.id) if returning_id else insert(table)


@functools.lru_cache(maxsize=256)
def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...], returning_id: bool
          ) -> tuple[str, tuple[tuple[str | None, Callable | None, object], ...]] | None:
    """SQLite's INSERT of ``keys`` into ``table`` (``RETURNING id`` when asked), and per parameter in
    order (key, its column type's bind processor, None) or, for a column left to its plain default,
    (None, None, the default as bound). None: not SQLite, or a default that is not a plain value."""
    if dialect.name != "sqlite":
        return None
    compiled = _insert(table, returning_id).compile(dialect=dialect, column_keys=list(keys))
    columns = []
    for name in compiled.positiontup or []:
        column = table.c[name]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if name in keys:
            columns.append((name, process, None))
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
            columns.append((None, None, process(value) if process else value))
        else:
            return None
    return compiled.string, tuple(columns)


def run(conn: Connection, statement: Executable, params: dict):
    """``conn.execute(statement, params)`` for a fixed statement (a module constant, or one built
    once and cached) that a hot path runs many times a second. On SQLite it is compiled once and its
    text run with ``params`` (and the values the statement carries itself) through their types' bind
    processors; the rows it gives back come as the driver reads them, without result types: for
    UPDATE or DELETE with a rowcount or RETURNING plain numbers, not for a SELECT (:func:`read`).
    Elsewhere SQLAlchemy's execute. Use what both results have: ``rowcount``, ``fetchone()``,
    ``fetchall()``."""
    plan = _statement_plan(conn.dialect, statement)
    if plan is None:
        return conn.execute(statement, params)
    sql, binds = plan
    return _execute(conn, sql, _given(binds, params))


def _given(binds: tuple[tuple[str, Callable | None, object], ...], params: dict) -> tuple:
    """The parameters of a planned statement (:func:`_statement_plan`): ``params`` through their
    types' bind processors, the statement's own values as bound."""
    return tuple([(process(params[name]) if process else params[name]) if name in params else value
                  for name, process, value in binds])


def read(conn: Connection, statement: Select, params: dict) -> Sequence:
    """``conn.execute(statement, params).all()`` for a fixed SELECT that a hot path runs many times
    a second: its rows, read by name or position. On SQLite it is compiled once, run as :func:`run`
    runs a statement, and each row made a named tuple of the values through their columns' result
    processors (the values SQLAlchemy's rows hold). Elsewhere SQLAlchemy's execute."""
    plan = _read_plan(conn.dialect, statement)
    if plan is None:
        return conn.execute(statement, params).all()
    sql, binds, make, processors = plan
    rows = _execute(conn, sql, _given(binds, params)).fetchall()
    if not processors:
        return [make(row) for row in rows]
    return [make([process(value) if process else value for process, value in zip(processors, row)])
            for row in rows]


@functools.lru_cache(maxsize=64)
def _read_plan(dialect: Dialect, statement: Select):
    """:func:`_statement_plan` of a SELECT, with the named tuple its rows become and per column its
    result processor (None for none; an empty tuple when no column has one). None: not SQLite, or
    columns whose names are not distinct identifiers."""
    plan = _statement_plan(dialect, statement)
    if plan is None:
        return None
    columns = list(statement.selected_columns)
    try:  # refused: a name twice, one that is not an identifier, a keyword, one starting with "_"
        make = namedtuple("Row", [c.key for c in columns])._make
    except (TypeError, ValueError):
        return None
    processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    return (*plan, make, processors if any(processors) else ())


@functools.lru_cache(maxsize=256)
def _statement_plan(dialect: Dialect, statement: Executable
                    ) -> tuple[str, tuple[tuple[str, Callable | None, object], ...]] | None:
    """SQLite's text of ``statement`` and per parameter in order (its name, its type's bind
    processor, the value it carries already, as bound). None: not SQLite."""
    if dialect.name != "sqlite":
        return None
    compiled = statement.compile(dialect=dialect)
    binds = []
    for name in compiled.positiontup or []:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        value = bind.effective_value
        binds.append((name, process, process(value) if process else value))
    return compiled.string, tuple(binds)


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


_COLLECTOR_LOCK = threading.Lock()
_collector_users = 0
_collector_saved: tuple[bool, tuple[int, int, int]] | None = None  # (froze, thresholds) to give back
QUIET_THRESHOLD = 20_000  # new objects between the collector's youngest passes (Python's default: 700)


@contextmanager
def quiet_collector() -> Iterator[None]:
    """While the block runs, the garbage collector walks only the objects made since it began, and
    less often. A job that makes tens of thousands of objects (a pulled catalog's pages) sets off a
    full pass every few pages, and each walks the whole process (the app's modules and caches:
    hundreds of thousands of objects), stopping every thread for 0.1-0.3 s: the objects older than
    the block are set aside (``gc.freeze``) and given back when it ends, and the youngest pass runs
    every 20,000 new objects rather than 700 (the thresholds are put back too; the last of several
    blocks at once puts them back). Nothing is lost: an object freed by its reference count still
    is, and a cycle waits a few seconds longer. When something else in the process froze objects
    already, those are left as they are (theirs to give back)."""
    global _collector_users, _collector_saved
    with _COLLECTOR_LOCK:
        if _collector_users == 0:
            froze = gc.get_freeze_count() == 0
            if froze:
                gc.freeze()
            thresholds = gc.get_threshold()
            gc.set_threshold(max(thresholds[0], QUIET_THRESHOLD), *thresholds[1:])
            _collector_saved = (froze, thresholds)
        _collector_users += 1
    try:
        yield
    finally:
        with _COLLECTOR_LOCK:
            _collector_users -= 1
            if _collector_users == 0 and _collector_saved is not None:
                froze, thresholds = _collector_saved
                gc.set_threshold(*thresholds)
                if froze:
                    gc.unfreeze()
                _collector_saved = None
