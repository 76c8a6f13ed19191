from fastapi.testclient import TestClient

from smo_app.api import create_api
from smo_app.db import dispose_engines
from smo_app.models.outbox import Outbox
from smo_app.settings import reset_settings_cache


def test_health_reports_database_migrations_and_outbox(engine, session, monkeypatch):
    # given a migrated database with one message waiting
    session.add(Outbox(kind="test", chat_id=1, payload={"text": "hi"}))
    session.commit()
    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    try:
        # when /api/health is asked
        response = TestClient(create_api()).get("/api/health")
    finally:
        reset_settings_cache()
        dispose_engines()
    # then it is healthy and shows the backlog
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "migrations_current": True, "outbox": {"pending": 1},
                               "bot": {"running": False, "online": False, "last_beat": None}}


def test_unmigrated_database_is_reported_degraded(tmp_path, monkeypatch):
    monkeypatch.setenv("SMO_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    reset_settings_cache()
    try:
        response = TestClient(create_api()).get("/api/health")
    finally:
        reset_settings_cache()
        dispose_engines()
    assert response.status_code == 503
    assert response.json()["migrations_current"] is False


def test_openapi_is_served():
    assert TestClient(create_api()).get("/api/openapi.json").json()["info"]["title"] == "smo API"
