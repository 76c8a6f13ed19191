"""Make a backup: the database (a consistent moment), the uploaded files and the manifest."""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from smo_app.migrations import head_revision
from smo_app.services.backup import archive, database_copy
from smo_app.services.backup.archive import Manifest


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    tables: int
    rows: int
    files: int
    schema_revision: str | None
    encrypted: bool


def app_version() -> str:
    return f"schema {head_revision()}"


def default_name(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"smo-backup-{now:%Y%m%d-%H%M%S}.zip"


def make_backup(database_url: str, uploads_dir: Path, dest: Path, *, passphrase: str | None = None) -> BackupResult:
    """Write one archive to ``dest``: safe while the app keeps writing."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smo-backup-") as tmp:
        db_file, member, figures, revision = database_copy.dump(database_url, Path(tmp))
        members = {member: db_file}
        if uploads_dir.is_dir():
            for path in sorted(p for p in uploads_dir.rglob("*") if p.is_file()):
                members["files/" + path.relative_to(uploads_dir).as_posix()] = path
        manifest = Manifest(
            engine=database_copy.engine_name(database_url), db_member=member, schema_revision=revision,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), app_version=app_version(),
            tables={name: {"rows": f.rows, "sha256": f.sha256} for name, f in figures.items()},
        )
        size = archive.write(dest, manifest, members, passphrase)
    return BackupResult(path=dest, size_bytes=size, seconds=time.monotonic() - started, tables=len(figures),
                        rows=sum(f.rows for f in figures.values()), files=len(members) - 1,
                        schema_revision=revision, encrypted=bool(passphrase))
