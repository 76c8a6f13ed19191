"""``make run``'s web app: Reflex in prod mode on one port, the frontend built only when the app changed.

``reflex run --env prod`` compiles the app and runs the frontend build on every start, although a
restart of an unchanged app would serve the very same pages. Here a digest of what the pages are
made of (the app's Python sources, assets, rxconfig, the pinned packages, Reflex's version) and the
port they talk to are kept beside the build (``.web/build/smo_build_digest``; Reflex's build empties
that folder, so a build made any other way never carries a stale digest):

* the digest matches and the build is there: the backend starts at once and serves the pages
  already built — what ``reflex run --env prod`` does after its build (``reflex/reflex.py:_run_prod``:
  ``run_backend_prod`` with the compiled pages mounted), without compiling or building again;
* otherwise ``reflex run --env prod`` runs as before (it compiles and builds), and once its first
  page answers the digest it started from is written, so the next start is the quick one. (Should
  the sources change during that build, the next start sees another digest and builds again.)

Usage: ``python -m smo_app.serve --port 3000`` from the project root (scripts/run.sh). The bench
``bench/restart.py`` measures both ways.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGEST_FILE = "smo_build_digest"
# what the compiled pages are made of, relative to the project root
SOURCES = ("smo_app", "assets", "rxconfig.py", "requirements.txt", "reflex.lock")
SUFFIXES = {".py", ".css", ".js", ".jsx", ".json", ".svg", ".png", ".ico", ".webmanifest", ".txt", ".lock", ""}
# the settings the compiled pages carry (the backend's address; its port is kept in the digest file)
PAGE_ENV = ("API_URL", "DEPLOY_URL", "REFLEX_API_URL", "REFLEX_DEPLOY_URL", "REFLEX_ENV_MODE")


def sources_digest(root: Path = ROOT) -> str:
    """A digest of everything the built pages depend on (file contents, not times: a checkout of the
    same commit keeps its build)."""
    h = hashlib.sha256()
    for name in SOURCES:
        base = root / name
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if not path.exists() or "__pycache__" in path.parts or path.suffix not in SUFFIXES:
                continue
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("reflex", "reflex-base"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            pass
    h.update(repr([(k, os.environ.get(k)) for k in PAGE_ENV]).encode())
    return h.hexdigest()


def build_dir(root: Path = ROOT) -> Path:
    return root / ".web" / "build"


def is_built(digest: str, port: int, root: Path = ROOT) -> bool:
    """The pages in ``.web/build`` were built from sources with this digest, and they talk to
    ``port`` (a build for another port is moved to this one, as the browser journeys do)."""
    stamp = build_dir(root) / DIGEST_FILE
    if not ((build_dir(root) / "client").is_dir() and stamp.is_file()):
        return False
    built_digest, _, built_port = stamp.read_text().strip().partition(" ")
    if built_digest != digest or not built_port.isdigit():
        return False
    if int(built_port) != port:
        if not _move_to_port(int(built_port), port, root):
            return False
        stamp.write_text(f"{digest} {port}")
    return True


def _move_to_port(built_port: int, port: int, root: Path) -> bool:
    """A production build bakes the backend's address into one module (``reflex-env-*.js``):
    rewrite it for ``port`` (the compressed copies, served first, are dropped)."""
    modules = list((build_dir(root) / "client" / "assets").glob("reflex-env-*.js"))
    if len(modules) != 1 or f"localhost:{built_port}/" not in modules[0].read_text():
        return False
    module = modules[0]
    module.write_text(module.read_text().replace(f"localhost:{built_port}/", f"localhost:{port}/"))
    for packed in (module.with_name(module.name + ".gz"), module.with_name(module.name + ".br")):
        packed.unlink(missing_ok=True)
    return True


def serve_built(port: int, *, pages: bool = True) -> None:
    """The backend with the pages already built (no compile, no build), as ``reflex run --env prod``
    serves them after its build. ``pages=False``: the backend alone (the websocket, /api), e.g. for
    socket-level clients (bench/load.py), which need no pages."""
    from reflex.istate.manager import reset_disk_state_manager
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    config = get_config()
    config._set_persistent(frontend_port=port, backend_port=port)
    reset_disk_state_manager()  # as `reflex run` does: sessions of the previous run start afresh
    print(f"App running at: http://localhost:{port} " + ("(pages built before, unchanged)" if pages else "(backend only)"),
          flush=True)
    reflex_exec.run_backend_prod(config.backend_host, port, config.loglevel.subprocess_level(), pages)


def build_and_serve(port: int, digest: str, reflex: str) -> int:
    """``reflex run --env prod`` (compile, build, serve); the digest is written once its first page
    answers. Returns its exit status."""
    stamp = build_dir() / DIGEST_FILE
    stamp.unlink(missing_ok=True)  # a build interrupted half-way must not look finished
    proc = subprocess.Popen([reflex, "run", "--env", "prod", "--frontend-port", str(port), "--backend-port",
                             str(port), "--loglevel", "warning"])
    while proc.poll() is None:
        if _answers(port):
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(f"{digest} {port}")
            break
        time.sleep(0.1)
    return proc.wait()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMO_PORT", "3000")))
    parser.add_argument("--reflex", default=os.environ.get("SMO_RUN_REFLEX") or str(Path(sys.executable).parent / "reflex"))
    parser.add_argument("--backend-only", action="store_true", help="the backend without the pages (no build)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.backend_only:
        serve_built(args.port, pages=False)
        return 0
    digest = sources_digest()
    if is_built(digest, args.port):
        serve_built(args.port)
        return 0
    return build_and_serve(args.port, digest, args.reflex)


if __name__ == "__main__":
    raise SystemExit(main())
