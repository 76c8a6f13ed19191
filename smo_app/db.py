"""Engine and session factory.

SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE`` for every writing
transaction (a read-then-write transaction that starts deferred fails with "database is locked"
under concurrent writers). Read-only work — lists, pages loading, reports — opens
``session_scope(readonly=True)``: on SQLite a deferred ``BEGIN`` (WAL readers never wait for
each other or for the writer), on PostgreSQL a ``READ ONLY`` transaction. PostgreSQL is
otherwise used as the URL says.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READONLY = "smo_readonly"  # execution option: this connection's transactions only read

_engines: dict[str, Engine] = {}
_readonly_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def make_engine(url: str, **kwargs) -> Engine:
    """Build an engine for ``url`` with the project's connection rules."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # The dialect begins every transaction itself (an engine "begin" listener would do it too, but
    # any engine listener makes SQLAlchemy dispatch events around every statement); the read-only
    # engine's own listener has begun a deferred one by then (:func:`readonly_engine`).
    engine.dialect.do_begin = _begin_immediate


def _begin_immediate(dbapi_conn) -> None:  # pragma: no cover - exercised by every sqlite test
    if not dbapi_conn.in_transaction:
        dbapi_conn.execute("BEGIN IMMEDIATE")


def _begin_deferred(conn) -> None:  # pragma: no cover - exercised by every read-only sqlite test
    conn.exec_driver_sql("BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: settings.database_url)."""
    if url is None:
        from smo_app.settings import get_settings

        url = get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            _engines[url] = engine
        return engine


def readonly_engine(engine: Engine) -> Engine:
    """``engine`` for read-only transactions: the same pool and connection rules; SQLite begins
    deferred, PostgreSQL ``SET TRANSACTION READ ONLY`` (a write there fails loudly)."""
    options: dict = {READONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    readonly = engine.execution_options(**options)
    if engine.dialect.name == "sqlite":  # deferred: WAL readers never wait (listeners here are its own)
        event.listen(readonly, "begin", _begin_deferred)
    return readonly


def get_readonly_engine(url: str | None = None) -> Engine:
    engine = get_engine(url)
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        ro = _readonly_engines.get(key)
        if ro is None:
            ro = _readonly_engines[key] = readonly_engine(engine)
        return ro


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _readonly_engines.clear()


def new_session(url: str | None = None, *, readonly: bool = False) -> Session:
    """A new session; services commit inside it, callers close it."""
    return Session(get_readonly_engine(url) if readonly else get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """``with session_scope() as session:`` for callers (pages, handlers, jobs).

    Services commit; anything left uncommitted when the block ends is rolled back.
    ``readonly=True`` for work that only reads (see the module docstring): never call a service
    that writes inside it.
    """
    session = new_session(url, readonly=readonly)
    try:
        yield session
    finally:
        session.rollback()
        session.close()
