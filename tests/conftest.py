"""Shared fixtures. ``engine``/``session`` run each test on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("SMO_SECRET_KEY", "test-secret-key-0123456789abcdef")
os.environ.setdefault("SMO_DEMO", "0")
os.environ.setdefault("SMO_SHOP_TIMEZONE", "Europe/Moscow")
# argon2 at its smallest cost in tests (and the processes they start): the production cost is
# checked by tests/services/test_passwords.py
os.environ.setdefault("SMO_TEST_FAST_PASSWORD_HASHING", "1")
os.environ.pop("SMO_BOT_TOKEN", None)
# photos the tests upload (and every seeded demo shop's) go to a folder of this run, not var/uploads
if "SMO_IMAGES_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["SMO_IMAGES_DIR"] = tempfile.mkdtemp(prefix="smo-uploads-")
    atexit.register(shutil.rmtree, os.environ["SMO_IMAGES_DIR"], True)
# a folder the run's processes share (the seeded demo shops of tests/demo_support.py, the browser
# journeys' one build): made here, in the first process, so the workers it starts inherit it with
# the photo folder above, and removed when that process ends
if "SMO_TEST_RUN_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["SMO_TEST_RUN_DIR"] = tempfile.mkdtemp(prefix="smo-test-run-")
    atexit.register(shutil.rmtree, os.environ["SMO_TEST_RUN_DIR"], True)

import pytest  # noqa: E402
from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app.db import make_engine  # noqa: E402
from smo_app.settings import reset_settings_cache  # noqa: E402
from tests import db_support  # noqa: E402

reset_settings_cache()


@pytest.fixture(scope="session", autouse=True)
def _composition_root():
    """Every test process starts from the composition root, as the web app and the sidecar do."""
    from smo_app import composition

    composition.start()


@pytest.fixture(autouse=True)
def _no_leftover_settings_or_ports():
    """A test that changes the environment (``monkeypatch.setenv`` + ``reset_settings_cache``) or
    builds ports under it (a demo seed quotes delivery through the demo's fake carrier) leaves
    nothing behind: settings are read again and ports built again from them for the next test."""
    yield
    from smo_app import composition

    reset_settings_cache()
    composition.reset()


@pytest.fixture(autouse=True)
def _fresh_shop_locale():
    """Each test reads the shop's time zone and language from its own database (the process caches
    them per database URL, and PostgreSQL tests share one URL)."""
    from smo_app.services.core import shop_locale

    shop_locale.invalidate()
    yield
    shop_locale.invalidate()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return db_support.migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def pg_url():
    reason = db_support.pg_unavailable_reason()
    if reason:
        pytest.skip(reason)
    url = db_support.create_pg_database(throwaway=True)
    from smo_app import migrations

    migrations.upgrade(url)
    yield url
    db_support.drop_pg_database(url)


@pytest.fixture(scope="session")
def _pg_engine(pg_url):
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    engine = make_engine(db_support.fresh_sqlite_url(sqlite_template, tmp_path))
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(_pg_engine):
    """The worker's PostgreSQL database, emptied for this test (the next test empties it again)."""
    db_support.truncate_all(_pg_engine)
    return _pg_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    """A migrated, empty database: a SQLite file, then PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(config, items):
    """Files with slow tests first; browser journeys last: Playwright's sync API keeps an event loop
    running in the main thread until the session ends, and the UI-state tests drive async handlers
    with asyncio.run.

    ``make test`` runs them in a second, serial pytest run of tests/e2e beside the first (scripts/test.sh): a test
    marked e2e elsewhere would run in neither run, one under tests/e2e unmarked would run in the
    parallel one, so both are refused here."""
    misplaced = [item.nodeid for item in items
                 if (item.get_closest_marker("e2e") is not None) != (E2E_DIR in item.path.parents)]
    if misplaced:
        raise pytest.UsageError("browser tests live in tests/e2e and carry the e2e marker (pytestmark = "
                                "pytest.mark.e2e); these do not: " + ", ".join(misplaced))
    # files with slow tests start first: spread over the workers while the quick ones fill in
    # around them, rather than one of them starting last and running on alone
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: (item.get_closest_marker("e2e") is not None, item.path not in slow_files))
