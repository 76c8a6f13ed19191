"""Shared fixtures for the HTTP API tests."""
from __future__ import annotations

import pytest

# Reflex registers a state class in the registration context of the thread that imports it. The
# storefront routes import their states lazily, inside a request — in the test client's worker
# thread — so import them here, in the main thread, where the UI state tests define theirs too.
import smo_app.state.storefront  # noqa: F401,E402


@pytest.fixture
def app_client(engine, monkeypatch):
    """The whole API (as the app mounts it) on the test's database."""
    from fastapi.testclient import TestClient

    from smo_app.api import create_api
    from smo_app.db import dispose_engines
    from smo_app.settings import reset_settings_cache

    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    yield TestClient(create_api())
    reset_settings_cache()
    dispose_engines()
