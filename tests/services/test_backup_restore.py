"""Backups an owner can restore: a seeded shop is backed up while a writer keeps writing, restored
into an empty database, and every table compared row for row; bad archives and wrong targets are
refused and change nothing."""
from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from smo_app import migrations
from smo_app.services.backup import archive
from smo_app.services.backup.create import make_backup
from smo_app.services.backup.restore import restore_backup
from smo_app.services.core.errors import ValidationFailed
from smo_app.settings import reset_settings_cache
from tests import db_support
from tests.demo_support import demo_shop

WRITTEN = "audit_entry"  # the table the writer keeps appending to during the backup


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _seeded(engine, monkeypatch, uploads: Path) -> None:
    monkeypatch.setenv("SMO_DEMO", "1")
    reset_settings_cache()
    demo_shop(engine)
    (uploads / "products").mkdir(parents=True)
    (uploads / "products" / "candle.jpg").write_bytes(b"\xff\xd8\xff photo bytes")


def _rows(engine: sa.Engine) -> dict[str, list[tuple]]:
    meta = sa.MetaData()
    with engine.connect() as conn:
        meta.reflect(conn)
        return {t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*(list(t.primary_key.columns) or list(t.columns))))]
                for t in meta.tables.values() if t.name != "alembic_version"}


class Writer:
    """Appends audit rows on its own connection until stopped."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.stop, self.count = engine, threading.Event(), 0
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        while not self.stop.is_set():
            with self.engine.begin() as conn:
                conn.execute(sa.text(f"INSERT INTO {WRITTEN} (created_at, actor_kind, actor_name, action) "
                                     "VALUES (CURRENT_TIMESTAMP, 'system', 'writer', 'test.write')"))
            self.count += 1

    def __enter__(self):
        self.thread.start()
        while self.count < 3:  # writing for real before the backup starts
            pass
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


@pytest.fixture
def empty_target(engine, tmp_path):
    """An empty (never migrated) database of the same engine as ``engine``."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = db_support.create_pg_database("smo_restore", throwaway=True)
    yield url
    db_support.drop_pg_database(url)


def test_a_backup_taken_while_the_shop_writes_restores_row_for_row(engine, empty_target, tmp_path, monkeypatch):
    # given a seeded shop with an uploaded photo, and a writer that keeps writing
    uploads = tmp_path / "uploads"
    _seeded(engine, monkeypatch, uploads)
    with Writer(engine) as writer:
        # when the owner backs it up (encrypted) while the writer writes
        out = make_backup(_url(engine), uploads, tmp_path / "b.zip", passphrase="correct horse")
        written_during = writer.count
    assert written_during > 3 and out.encrypted and out.files == 1 and out.rows > 50
    source = _rows(engine)
    # and restores it into an empty database
    restored_uploads = tmp_path / "restored-uploads"
    result = restore_backup(out.path, empty_target, restored_uploads, passphrase="correct horse")
    target = sa.create_engine(empty_target)
    restored = _rows(target)
    with target.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    target.dispose()
    # then every table is the same row for row, and the written table is the source up to one moment
    assert result.rows == out.rows and revision == migrations.head_revision()
    assert set(restored) == set(source)
    for name in source:
        if name == WRITTEN:
            assert restored[name] == source[name][:len(restored[name])] and len(restored[name]) >= 3
        else:
            assert restored[name] == source[name], name
    # and the photo is back
    assert (restored_uploads / "products" / "candle.jpg").read_bytes() == b"\xff\xd8\xff photo bytes"


def test_a_restore_into_a_database_with_data_is_refused_and_changes_nothing(engine, tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    _seeded(engine, monkeypatch, uploads)
    out = make_backup(_url(engine), uploads, tmp_path / "b.zip")
    before = _rows(engine)
    with pytest.raises(ValidationFailed) as refused:
        restore_backup(out.path, _url(engine), tmp_path / "u2")
    assert refused.value.code == "backup.target_not_empty"
    assert _rows(engine) == before and not (tmp_path / "u2").exists()


def _rewrite(path: Path, edit) -> Path:
    """A copy of an (unencrypted) archive with its manifest edited and its checksums kept."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members[archive.MANIFEST])
    edit(manifest)
    members[archive.MANIFEST] = json.dumps(manifest).encode()
    out = path.with_name("edited.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    out.write_bytes(buf.getvalue())
    return out


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_damaged_truncated_foreign_and_newer_archives_are_refused_before_anything_changes(engine, tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    _seeded(engine, monkeypatch, uploads)
    good = make_backup(_url(engine), uploads, tmp_path / "b.zip").path
    target = tmp_path / "target.db"
    data = good.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(data[:200] + bytes([data[200] ^ 0xFF]) + data[201:])
    not_a_backup = tmp_path / "photo.zip"
    not_a_backup.write_bytes(b"\xff\xd8\xff not a zip")
    newer = _rewrite(good, lambda m: m.update(schema_revision="99z"))
    swapped = _rewrite(good, lambda m: m["tables"]["customer"].update(rows=m["tables"]["customer"]["rows"] + 1))
    cases = {truncated: "backup.damaged", flipped: "backup.damaged", not_a_backup: "backup.damaged",
             newer: "backup.newer_schema", swapped: "backup.check_failed"}
    for path, code in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            restore_backup(path, f"sqlite:///{target}", tmp_path / "u")
        assert refused.value.code == code, path.name
        assert not target.exists() and not (tmp_path / "u").exists(), path.name


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_encrypted_backup_needs_its_passphrase(engine, tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    _seeded(engine, monkeypatch, uploads)
    sealed = make_backup(_url(engine), uploads, tmp_path / "b.zip", passphrase="s3cret").path
    assert b"customer" not in sealed.read_bytes()  # nothing readable without the passphrase
    for passphrase, code in ((None, "backup.passphrase_needed"), ("wrong", "backup.passphrase_wrong")):
        with pytest.raises(ValidationFailed) as refused:
            restore_backup(sealed, f"sqlite:///{tmp_path / 't.db'}", tmp_path / "u", passphrase=passphrase)
        assert refused.value.code == code
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_command_line_backs_up_and_refuses_to_restore_over_data_in_words(engine, tmp_path, monkeypatch, capsys):
    from smo_app import cli

    uploads = tmp_path / "uploads"
    _seeded(engine, monkeypatch, uploads)
    monkeypatch.setenv("SMO_DATABASE_URL", _url(engine))
    reset_settings_cache()
    assert cli.main(["backup", "--to", str(tmp_path / "cli.zip")]) == 0
    assert "backup written" in capsys.readouterr().out and (tmp_path / "cli.zip").exists()
    assert cli.main(["restore", str(tmp_path / "cli.zip")]) == 2
    assert "только в пустую базу" in capsys.readouterr().err
    monkeypatch.setenv("SMO_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    reset_settings_cache()
    assert cli.main(["restore", str(tmp_path / "cli.zip")]) == 0
    assert "restored:" in capsys.readouterr().out
