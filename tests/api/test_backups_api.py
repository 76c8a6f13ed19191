"""GET /api/backups/<id> and /api/backups/logs: the owner downloads an archive and the logs; anyone
else is refused."""
from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from smo_app.services.backup import archive, runs
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff


@pytest.fixture(autouse=True)
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "backups_dir", lambda: tmp_path / "backups")
    monkeypatch.setattr(runs, "uploads_dir", lambda: tmp_path / "uploads")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "bot_sidecar.log").write_text("sidecar started\n")
    monkeypatch.setattr(runs, "logs_dir", lambda: tmp_path / "logs")


def _token(session, role: str) -> str:
    staff = make_staff(session, role)
    return auth.sign_in_password(session, username=staff.username, password=PASSWORD).token


def test_the_owner_downloads_a_backup_and_the_logs_and_a_manager_cannot(app_client, session):
    owner_token, manager_token = _token(session, "owner"), _token(session, "manager")
    owner = make_staff(session, "owner").actor()
    run = runs.run_backup(session, actor=owner)
    # when the owner downloads the archive: it is the backup, whole
    app_client.cookies.set("smo_bo_session", owner_token)
    got = app_client.get(f"/api/backups/{run.id}")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"] and got.headers["cache-control"] == "private, no-store"
    assert archive.MANIFEST in zipfile.ZipFile(BytesIO(got.content)).namelist()
    logs = app_client.get("/api/backups/logs")
    assert logs.status_code == 200
    assert zipfile.ZipFile(BytesIO(logs.content)).read("bot_sidecar.log") == b"sidecar started\n"
    # and an unknown one is not found
    assert app_client.get(f"/api/backups/{run.id + 100}").status_code == 404
    # a manager, nobody and a made-up session are refused
    for cookie, status in ((manager_token, 403), ("made-up", 401)):
        app_client.cookies.set("smo_bo_session", cookie)
        assert app_client.get(f"/api/backups/{run.id}").status_code == status
        assert app_client.get("/api/backups/logs").status_code == status
    app_client.cookies.clear()
    assert app_client.get(f"/api/backups/{run.id}").status_code == 401
