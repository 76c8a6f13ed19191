"""The ``db`` fixture: a migrated SQLite file the app's states use through SMO_DATABASE_URL."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from smo_app.db import dispose_engines
from smo_app.settings import reset_settings_cache


@pytest.fixture
def db(sqlite_engine, monkeypatch):
    monkeypatch.setenv("SMO_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    with Session(sqlite_engine, expire_on_commit=False) as s:
        yield s
    reset_settings_cache()
    dispose_engines()
