"""The database's part of a backup and of a restore, per engine.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent image while the app
writes; the figures are read from that copy. PostgreSQL: a ``REPEATABLE READ`` transaction exports
its snapshot, ``pg_dump --format=custom --snapshot=…`` dumps exactly that moment, and the figures are
read in the same transaction.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from smo_app.services.backup.snapshot import TableFigures, has_data, schema_revision, table_figures
from smo_app.services.core.errors import ValidationFailed


def engine_name(url: str) -> str:
    return make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValidationFailed("backup.sqlite_memory", "an in-memory database has nothing to back up")
    return Path(database)


def _pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["--host", u.host or "localhost", "--port", str(u.port or 5432), "--username", u.username or "postgres",
            "--dbname", u.database or "postgres"]
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    return args, env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ValidationFailed("backup.pg_tools_missing", f"{name} is not installed", tool=name)
    return path


def _figures_of_sqlite_file(path: Path) -> tuple[dict[str, TableFigures], str | None]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return table_figures(conn), schema_revision(conn)
    finally:
        engine.dispose()


def dump(url: str, work: Path) -> tuple[Path, str, dict[str, TableFigures], str | None]:
    """Copy the database into ``work``: (file, member name, figures, schema revision)."""
    if engine_name(url) == "sqlite":
        out = work / "database.sqlite"
        src = sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)  # one step: a consistent image even while the app writes
        finally:
            dst.close()
            src.close()
        figures, revision = _figures_of_sqlite_file(out)
        return out, "database.sqlite", figures, revision
    out = work / "database.pgdump"
    engine = sa.create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            args, env = _pg_env(url)
            proc = subprocess.run([_pg_tool("pg_dump"), *args, "--format=custom", f"--snapshot={snapshot}",
                                   "--no-owner", "--no-privileges", "--file", str(out)],
                                  env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise ValidationFailed("backup.dump_failed", proc.stderr.strip()[-500:], detail=proc.stderr.strip()[-300:])
            figures, revision = table_figures(conn), schema_revision(conn)
    finally:
        engine.dispose()
    return out, "database.pgdump", figures, revision


def target_has_data(url: str) -> bool:
    if engine_name(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return False
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return has_data(conn)
    finally:
        engine.dispose()


def check_sqlite_image(path: Path, expected: dict[str, dict]) -> None:
    figures, _ = _figures_of_sqlite_file(path)
    _compare(figures, expected)


def _compare(figures: dict[str, TableFigures], expected: dict[str, dict]) -> None:
    got = {name: {"rows": f.rows, "sha256": f.sha256} for name, f in figures.items()}
    if got != expected:
        bad = sorted(n for n in set(got) | set(expected) if got.get(n) != expected.get(n))
        raise ValidationFailed("backup.check_failed", f"restored tables differ from the manifest: {bad[:5]}",
                               tables=", ".join(bad[:5]))


def put_sqlite(image: Path, url: str) -> None:
    """Replace the target SQLite file with the checked image (atomically; its WAL files go)."""
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    tmp = target.with_name(target.name + ".restoring")
    shutil.copyfile(image, tmp)
    tmp.replace(target)


def put_postgres(dump_file: Path, url: str, expected: dict[str, dict]) -> None:
    """Load a custom-format dump into the target database (emptied first), then check it."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        args, env = _pg_env(url)
        proc = subprocess.run([_pg_tool("pg_restore"), *args, "--no-owner", "--no-privileges", "--exit-on-error",
                               "--single-transaction", str(dump_file)], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ValidationFailed("backup.restore_failed", proc.stderr.strip()[-500:], detail=proc.stderr.strip()[-300:])
        with engine.connect() as conn:
            _compare(table_figures(conn), expected)
    finally:
        engine.dispose()
