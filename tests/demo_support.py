"""Given the demo shop: ``demo_shop(session)`` fills a test's empty database with exactly what
``seed_demo_shop`` writes into an empty one.

Seeding takes seconds (every staff member, customer, product photo and order goes through the
services), and a few dozen tests start from the demo shop. So the first such test of a process
seeds for real and keeps a snapshot of the result; the next ones get a copy of that snapshot:

* SQLite: the seeded file, copied into the test's file with SQLite's backup API;
* PostgreSQL: every table's rows as ``COPY … TO STDOUT`` wrote them, copied back with
  ``COPY … FROM STDIN`` (triggers off, as for a restore: the rows the triggers wrote are copied
  too), and every sequence set where the seed left it.

The snapshots are files in a folder the whole run shares (``SMO_TEST_RUN_DIR``, made by
``tests/conftest.py`` in the first process): the first process of the run that needs one seeds it
under a file lock, and the parallel workers load it instead of seeding again.

A snapshot is kept per database kind, migration head and settings (the seed reads the demo flag,
the demo fakes' address and the photo folder; the photos stay in that folder, so the copied rows'
photo URLs still resolve). A test that replaced a port (``composition.use``) seeds for real: the
seed would write through that port.

The tests that are about the seed itself (that it builds the shop once, its ledger adds up) call
``seed_demo_shop`` directly.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import Session, select

from smo_app.demo.seed import seed_demo_shop
from smo_app.models.staff import Staff
from tests.db_support import file_lock


@dataclass
class _PgSnapshot:
    tables: list[tuple[str, bytes]]  # (table, COPY text) in the order they were read
    sequences: list[tuple[str, int]]  # (sequence, last value handed out)


_snapshots: dict[tuple, Path | _PgSnapshot] = {}
_private_dir: Path | None = None


def demo_shop(target: Session | sa.Engine) -> None:
    """Put the demo shop into ``target``'s database, which must be empty (a test's fresh one).
    A session passed in must not be in the middle of its own work: it is rolled back first."""
    if isinstance(target, Session):
        target.rollback()
        engine = target.get_bind()
    else:
        engine = target
    with Session(engine) as s:
        assert s.exec(select(Staff.id)).first() is None, "demo_shop() fills an empty database"
    key = _key(engine)
    if key is None:
        _seed(engine)
    elif key in _snapshots:
        _restore(engine, _snapshots[key])
    else:
        snapshot, seeded_here = _shared(key, engine)
        _snapshots[key] = snapshot
        if not seeded_here:
            _restore(engine, snapshot)
    if isinstance(target, Session):
        target.expire_all()


def _key(engine: sa.Engine) -> tuple | None:
    from smo_app import schema_state
    from smo_app.services.core import ports
    from smo_app.settings import get_settings

    if ports._overrides:  # a replaced port: the seed writes through it
        return None
    settings = get_settings().model_dump(exclude={"database_url"})
    fingerprint = tuple(sorted((k, v.get_secret_value() if isinstance(v, SecretStr) else repr(v))
                               for k, v in settings.items()))
    return engine.dialect.name, schema_state.head_revision(), fingerprint


def _snapshot_dir() -> Path:
    shared = os.environ.get("SMO_TEST_RUN_DIR")
    if shared:
        folder = Path(shared) / "demo-snapshots"
        folder.mkdir(exist_ok=True)
        return folder
    global _private_dir
    if _private_dir is None:
        _private_dir = Path(tempfile.mkdtemp(prefix="smo-demo-snapshots-"))
    return _private_dir


def _shared(key: tuple, engine: sa.Engine) -> tuple[Path | _PgSnapshot, bool]:
    """The run's snapshot for ``key`` and whether this call seeded ``engine``'s database to make it:
    loaded when a process of the run made it already, else seeded and taken, under a lock so that
    one process seeds it while the others wait for it."""
    folder = _snapshot_dir()
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:20]
    path = folder / (f"{name}.db" if engine.dialect.name == "sqlite" else f"{name}.pg")
    with file_lock(folder / f"{name}.lock"):
        if path.exists():
            return (path if engine.dialect.name == "sqlite" else pickle.loads(path.read_bytes())), False
        _seed(engine)
        return _take(engine, path), True


def _seed(engine: sa.Engine) -> None:
    with Session(engine) as s:
        assert seed_demo_shop(s) is True
        s.commit()


def _restore(engine: sa.Engine, snapshot: Path | _PgSnapshot) -> None:
    if isinstance(snapshot, Path):
        _restore_sqlite(engine, snapshot)
    else:
        _restore_pg(engine, snapshot)


def _take(engine: sa.Engine, path: Path) -> Path | _PgSnapshot:
    if engine.dialect.name == "sqlite":
        part = path.with_suffix(".part")
        raw = engine.raw_connection()
        try:
            out = sqlite3.connect(part)
            raw.driver_connection.backup(out)
            out.close()
        finally:
            raw.close()
        part.rename(path)
        return path
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            tables = [r[0] for r in cur.execute(_TABLES_SQL).fetchall()]
            copied = []
            for table in tables:
                with cur.copy(f'COPY "{table}" TO STDOUT') as copy:
                    data = b"".join(bytes(chunk) for chunk in copy)
                if data:
                    copied.append((table, data))
            sequences = [(r[0], r[1]) for r in cur.execute(_SEQUENCES_SQL).fetchall()]
        conn.rollback()
    finally:
        raw.close()
    snapshot = _PgSnapshot(copied, sequences)
    part = path.with_suffix(".part")
    part.write_bytes(pickle.dumps(snapshot))
    part.rename(path)  # whole or absent for a process that looks without the lock
    return snapshot


def _restore_sqlite(engine: sa.Engine, path: Path) -> None:
    raw = engine.raw_connection()
    try:
        source = sqlite3.connect(path)
        source.backup(raw.driver_connection)
        source.close()
    finally:
        raw.close()


def _restore_pg(engine: sa.Engine, snapshot: _PgSnapshot) -> None:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            # rows as they were: no foreign-key or user trigger fires (what they wrote is copied too)
            cur.execute("SET LOCAL session_replication_role = replica")
            for table, data in snapshot.tables:
                with cur.copy(f'COPY "{table}" FROM STDIN') as copy:
                    copy.write(data)
            for sequence, value in snapshot.sequences:
                cur.execute("SELECT setval(%s::regclass, %s, true)", (sequence, value))
        conn.commit()
    finally:
        raw.close()


_TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname <> 'alembic_version'
ORDER BY c.relname
"""
_SEQUENCES_SQL = """
SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences
WHERE schemaname = current_schema() AND last_value IS NOT NULL
"""
