"""Test databases: a migrated SQLite template copied per test, and a PostgreSQL database per run
(per worker process when pytest-xdist spreads the run: each has its own session fixtures).

PostgreSQL is the server on this machine (TOOLCHAIN.md); set SMO_TEST_PG_URL to use another.
Where none is reachable, the PostgreSQL half of each test is skipped with the reason.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import sqlite3
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from smo_app import migrations
from smo_app.db import make_engine

PG_ADMIN_URL = os.environ.get("SMO_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")


@lru_cache(maxsize=1)
def pg_unavailable_reason() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}: {type(exc).__name__}"


def create_pg_database(prefix: str = "smo_test", *, throwaway: bool = False) -> str:
    """Create an empty database with a unique name (naming the pytest-xdist worker, if any, so a
    stray one tells whose it was); return its URL. A ``throwaway`` one (a test's) commits without
    waiting for the disk; a benchmark's keeps the server's durable commits, as production does."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = "_".join(filter(None, (prefix, worker, uuid.uuid4().hex[:10])))
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        if throwaway:  # the server stays up: a committed row is still seen by every other connection
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    if not path.exists():
        migrations.upgrade(f"sqlite:///{path}")
        # fold the WAL into the main file so a plain copy carries everything
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return path


def fresh_sqlite_url(template: Path, directory: Path) -> str:
    target = directory / f"db_{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def truncate_all(engine: sa.Engine) -> None:
    """Empty every table and restart every table's sequence: the end state of a ``TRUNCATE … RESTART
    IDENTITY`` of all tables. Only what a test touched is emptied (tables with rows, sequences that
    handed out a value), and with DELETE where no trigger forbids it (the append-only audit log is
    truncated): truncating every table costs about a second per test, this a few milliseconds."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    if not tables:
        return
    with engine.begin() as conn:
        non_empty = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        full = set(conn.execute(sa.text(non_empty)).scalars())
        guarded = set(conn.execute(sa.text(_DELETE_GUARDED_SQL)).scalars()) & full
        if guarded:
            conn.execute(sa.text(f"TRUNCATE {', '.join(_quoted(guarded))} CASCADE"))
        for table in reversed(tables):  # children before their parents
            if table in full - guarded:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
        conn.execute(sa.text(_RESTART_USED_SEQUENCES_SQL))


def _quoted(names) -> list[str]:
    return [f'"{n}"' for n in sorted(names)]


# tables where a trigger refuses DELETE (TRUNCATE fires no row triggers); the analytics rollup's
# triggers only mark days (and the rollup's own tables are emptied with the rest)
_DELETE_GUARDED_SQL = """
SELECT DISTINCT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT g.tgisinternal AND n.nspname = current_schema() AND (g.tgtype & 8) <> 0
  AND g.tgname NOT LIKE 'analytics_rollup%'
"""
# back to the start value, as TRUNCATE … RESTART IDENTITY does (setval is not transactional and
# costs nothing; ALTER SEQUENCE … RESTART would write a new file per sequence)
_RESTART_USED_SEQUENCES_SQL = """
SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL
"""


# A test that opens more PostgreSQL connections than this at once waits for the others of its kind:
# the server allows 100, and each worker of a parallel run may run one (they open up to 41).
MANY_CONNECTIONS = 10


@contextmanager
def pg_connections(engine: sa.Engine, count: int):
    """Hold a turn for ``count`` connections at once to ``engine``'s PostgreSQL server: a turn that
    needs many is taken by one test at a time across every process of the run (a lock file per
    server), so parallel workers never exhaust the server's connections together."""
    if engine.dialect.name != "postgresql" or count <= MANY_CONNECTIONS:
        yield
        return
    url = engine.url
    with file_lock(Path(tempfile.gettempdir()) / f"smo-test-pg-{url.host}-{url.port or 5432}-many-connections.lock"):
        yield


@contextmanager
def file_lock(path: Path):
    """Held by one process of the run at a time (``flock`` on ``path``, made when missing)."""
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_at_once(engine: sa.Engine, calls) -> Counter:
    """Run every ``call(session)`` at the same moment, each in its own thread with its own session
    on its own connection; count the outcomes: ``ok``, the DomainError's code, or ``crash:…``."""
    with pg_connections(engine, min(len(calls), 40)):
        return _run_at_once(engine, calls)


def _run_at_once(engine: sa.Engine, calls) -> Counter:
    from smo_app.services.core.errors import DomainError

    url = engine.url.render_as_string(hide_password=False)
    workers = make_engine(url, pool_size=min(len(calls), 40),
                          max_overflow=0 if engine.dialect.name == "postgresql" else 300, pool_timeout=120)
    barrier = threading.Barrier(len(calls))
    results: list[str] = []
    lock = threading.Lock()

    def run(call):
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                call(s)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - reported in the caller's assertion
            outcome = f"crash:{type(exc).__name__}:{exc}"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=180)
    workers.dispose()
    return Counter(results)
