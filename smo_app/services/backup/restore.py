"""Restore a backup into an empty database, then migrate it to this version's schema.

Everything that can be checked is checked before the target is touched (the seal, the zip, every
member's checksum, the schema revision, the target being empty, the database image's own counts and
checksums for SQLite); a refused restore changes nothing. PostgreSQL's dump is checked against the
manifest once loaded.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from smo_app import migrations
from smo_app.services.backup import archive, database_copy
from smo_app.services.core.errors import ValidationFailed


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    files: int
    schema_revision: str | None
    migrated_to: str | None
    seconds: float


def _known_revision(revision: str | None) -> bool:
    if revision is None:
        return True
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def restore_backup(path: Path, database_url: str, uploads_dir: Path, *, passphrase: str | None = None,
                   force: bool = False) -> RestoreResult:
    started = time.monotonic()
    zf, manifest = archive.open_checked(path, passphrase)
    if not _known_revision(manifest.schema_revision):
        raise ValidationFailed("backup.newer_schema", "the archive comes from a newer version",
                               revision=manifest.schema_revision)
    target_engine = database_copy.engine_name(database_url)
    if manifest.engine != target_engine:
        raise ValidationFailed("backup.engine_mismatch", "the archive is of another database engine",
                               engine=manifest.engine, target=target_engine)
    if not force and database_copy.target_has_data(database_url):
        raise ValidationFailed("backup.target_not_empty", "the target database holds data")
    with tempfile.TemporaryDirectory(prefix="smo-restore-") as tmp:
        db_file = Path(tmp) / manifest.db_member
        db_file.write_bytes(zf.read(manifest.db_member))
        if target_engine == "sqlite":
            database_copy.check_sqlite_image(db_file, manifest.tables)  # before the target is touched
            database_copy.put_sqlite(db_file, database_url)
        else:
            database_copy.put_postgres(db_file, database_url, manifest.tables)
    for name in manifest.files:
        out = uploads_dir / name.removeprefix("files/")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(zf.read(name))
    migrations.upgrade(database_url)
    return RestoreResult(tables=len(manifest.tables), rows=sum(t["rows"] for t in manifest.tables.values()),
                         files=len(manifest.files), schema_revision=manifest.schema_revision,
                         migrated_to=migrations.head_revision(), seconds=time.monotonic() - started)
