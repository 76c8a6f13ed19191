"""Shared fixtures for the HTTP API tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_client(engine, monkeypatch):
    """The whole API as the web app mounts it (with the Mini App's first-paint view,
    smo_app/smo_app.py) on the test's database."""
    from fastapi.testclient import TestClient

    from smo_app.api import create_api
    from smo_app.db import dispose_engines
    from smo_app.settings import reset_settings_cache
    from smo_app.state import storefront_first_paint

    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    yield TestClient(create_api(first_paint=storefront_first_paint))
    reset_settings_cache()
    dispose_engines()
