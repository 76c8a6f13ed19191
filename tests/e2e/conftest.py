"""The real app in prod mode (one process serving frontend and backend) and a real Chromium.

The app is built and started once per test session on a free port, against a fresh SQLite file
that is migrated and seeded with the demo shop exactly as `make run` does.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrations.cdek.fake import DEMO_CLIENT_ID as CDEK_CLIENT_ID, DEMO_CLIENT_SECRET as CDEK_CLIENT_SECRET, FakeCdek
from integrations.fakeserver import LocalServer
from integrations.yookassa.fake import DEMO_SECRET_KEY as YOOKASSA_SECRET_KEY, DEMO_SHOP_ID as YOOKASSA_SHOP_ID
from integrations.yookassa.fake import FakeYooKassa
from tests.db_support import file_lock
from tests.e2e.miniapp import MINI_APP_BOT_TOKEN

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# Assertions wait on their condition up to this long (Playwright's default is 5 s): on a loaded
# 2-core machine one event's round trip through the app can take longer, and a passing assertion
# returns as soon as its condition holds, so only a failure waits the whole time.
EXPECT_TIMEOUT_MS = 15_000
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
START_TIMEOUT_S = 480  # the very first build fetches the frontend packages


def pytest_configure(config):
    """``scripts/test.sh`` runs these journeys beside the rest of the suite and stops them with SIGTERM
    when it is interrupted: unwind as Ctrl-C does, so the apps started here are stopped too."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status, r.read().decode()
    except Exception as exc:  # noqa: BLE001 - polling until ready
        return getattr(exc, "code", 0) or 0, ""


def _app_env(db_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMO_", "REFLEX_"))}
    env.update(
        SMO_DATABASE_URL=db_url,
        SMO_DEMO="1",
        SMO_SHOP_TIMEZONE="Europe/Moscow",
        SMO_TEST_FAST_PASSWORD_HASHING="1",
        REFLEX_USE_SYSTEM_BUN="1",
        PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def _reuse_build(log_name: str, built_port: int, port: int) -> Path:
    """A frontend folder for a later app of the session: the first app's built pages, linked (not
    copied), with the one module that names the backend's address rewritten for ``port``.

    A production build bakes its backend's port into the pages (``reflex-env-*.js``): an app built
    into the shared ``.web`` would send the first app's browsers to its own port, and building each
    app into a folder of its own costs half a minute or more per app for the same pages."""
    own = ARTIFACTS / f"web-{Path(log_name).stem}"
    if own.exists():
        shutil.rmtree(own)
    client = ROOT / ".web" / "build" / "client"
    target = own / "build" / "client"
    shutil.copytree(client, target, copy_function=os.link)
    patched = 0
    for module in (target / "assets").glob("reflex-env-*.js"):
        text = module.read_text()
        module.unlink()  # a link: the first app's file stays as it is
        module.write_text(text.replace(f"localhost:{built_port}/", f"localhost:{port}/"))
        for packed in (module.with_name(module.name + ".gz"), module.with_name(module.name + ".br")):
            packed.unlink(missing_ok=True)  # served before the plain file when the browser accepts it
        patched += 1
    if patched != 1:
        pytest.fail(f"expected one reflex-env module in {client}/assets, found {patched}")
    return own


def _worker_log_name(log_name: str) -> str:
    """``log_name`` made the worker's own when the journeys run in several processes (``-n``)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return log_name if not worker else f"{Path(log_name).stem}-{worker}{Path(log_name).suffix}"


def _run_dir() -> Path:
    """A folder every process of this pytest run shares (tests/conftest.py makes it in the first)."""
    return Path(os.environ["SMO_TEST_RUN_DIR"])


@contextmanager
def serve_app(db_url: str, extra_env: dict[str, str] | None = None, *, log_name: str = "e2e-app.log"):
    """Migrate and seed ``db_url``, run the app on a free port with ``extra_env``; yields its base URL.

    The run's first app builds the pages into ``.web`` while it holds a lock the run's processes
    share; every later app, in this process or another, serves a copy of that build
    (:func:`_reuse_build`), so the journeys can run in several processes with one build."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (make browser installs Debian's chromium)")
    log_name = _worker_log_name(log_name)
    env = _app_env(db_url, extra_env)
    py = str(ROOT / ".venv" / "bin" / "python")
    seeding = time.monotonic()
    # one process for both, as `make run` does (scripts/run.sh): Python and the app start once
    done = subprocess.run([py, "-m", "smo_app.cli", "migrate", "--seed-demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0 or "seeding the demo shop failed" in done.stderr:
        pytest.fail(f"migrating and seeding {db_url} failed:\n{done.stderr[-3000:]}")
    seeded_s = time.monotonic() - seeding
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    built_marker = _run_dir() / "e2e-built-port"
    with ExitStack() as building:
        if not built_marker.exists():
            building.enter_context(file_lock(_run_dir() / "e2e-build.lock"))  # another process may be building
        if built_marker.exists():
            env["REFLEX_WEB_WORKDIR"] = str(_reuse_build(log_name, int(built_marker.read_text()), port))
            command = [py, "-m", "tests.e2e.serve_built", str(port)]
        else:  # the run's first app compiles and builds the pages into .web
            command = [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod", "--frontend-port", str(port),
                       "--backend-port", str(port), "--loglevel", "warning"]
        with _started(command, env, port, log_name) as (base, started_s):
            if not built_marker.exists():
                built_marker.write_text(str(port))
            building.close()  # the build is there: the other processes may go on
            print(f"\n[e2e] app ready on {base} after {started_s:.1f}s (migrated and seeded in {seeded_s:.1f}s)",
                  file=sys.stderr)
            yield base


@contextmanager
def _started(command: list[str], env: dict[str, str], port: int, log_name: str):
    """The app ``command`` runs, answering on ``port``; stopped (its whole process group) at the end."""
    log = open(ARTIFACTS / log_name, "w")
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app exited with {proc.returncode}; see {log.name}")
            if _get(base + "/ping")[0] == 200 and _get(base + "/api/health")[0] == 200:
                break
            if time.monotonic() - started > START_TIMEOUT_S:
                pytest.fail(f"the app did not answer /ping and /api/health within {START_TIMEOUT_S}s; see {log.name}")
            time.sleep(0.5)
        yield base, time.monotonic() - started
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def app_db_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'smo.db'}"


@pytest.fixture(scope="session")
def app_url(app_db_url):
    with serve_app(app_db_url) as base:
        yield base


@dataclass(frozen=True)
class MiniApp:
    """The app as the Mini App journeys run it (see :func:`miniapp`)."""

    url: str
    db_url: str
    yookassa: FakeYooKassa  # the provider's side: the test pays or cancels as the customer would


@pytest.fixture(scope="session")
def miniapp(tmp_path_factory):
    """A second app for the Mini App journeys, started once for all of them, on its own database:
    the test bot token (the journeys sign initData with it), CDEK and YooKassa fakes served on local
    ports and reached over real HTTP by the app's clients, YooKassa enabled as a payment method."""
    cdek = LocalServer(FakeCdek().handle).start()
    yookassa = FakeYooKassa()  # nothing is paid until the test says so
    yookassa_server = LocalServer(yookassa.handle).start()
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-miniapp') / 'smo.db'}"
    env = {
        "SMO_BOT_TOKEN": MINI_APP_BOT_TOKEN, "SMO_DADATA_MODE": "fake",
        "SMO_CDEK_MODE": "live", "SMO_CDEK_BASE_URL": cdek.base_url, "SMO_CDEK_CLIENT_ID": CDEK_CLIENT_ID,
        "SMO_CDEK_CLIENT_SECRET": CDEK_CLIENT_SECRET,
        "SMO_PAYMENT_METHODS": "yookassa,manual", "SMO_YOOKASSA_MODE": "live",
        "SMO_YOOKASSA_BASE_URL": yookassa_server.base_url, "SMO_YOOKASSA_SHOP_ID": YOOKASSA_SHOP_ID,
        "SMO_YOOKASSA_SECRET_KEY": YOOKASSA_SECRET_KEY,
    }
    try:
        with serve_app(db_url, env, log_name="e2e-miniapp.log") as base:
            yield MiniApp(url=base, db_url=db_url, yookassa=yookassa)
    finally:
        yookassa_server.stop()
        cdek.stop()


@pytest.fixture(scope="session")
def miniapp_db(miniapp):
    """An engine on the Mini App's database (the journeys read what the app wrote, and set up data)."""
    from sqlalchemy import create_engine

    engine = create_engine(miniapp.db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def pages(browser, base_url: str):
    """``make(width, height)``: a page in a fresh context (own cookies) on ``base_url``. Tests never
    reach the internet: Telegram's script is answered locally with an empty one (not refused, so the
    console stays free of load errors and a real error in it stands out)."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        ctx = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url, locale="ru-RU")
        ctx.set_default_timeout(EXPECT_TIMEOUT_MS)
        ctx.route("https://telegram.org/**", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body="/* not loaded in tests */"))
        contexts.append(ctx)
        return ctx.new_page()

    try:
        yield make
    finally:
        for ctx in contexts:
            ctx.close()


@pytest.fixture
def new_page(browser, app_url):
    """``new_page(width, height)`` on the shared demo app (see :func:`pages`)."""
    with pages(browser, app_url) as make:
        yield make


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
