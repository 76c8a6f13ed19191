"""Is the database already where ``migrate --seed-demo`` would take it? Asked without alembic.

A restart of ``make run`` finds the database at head and the demo shop there; alembic's own check
(``command.upgrade`` doing nothing) imports every table model and every migration script, which
costs seconds before the shop can start. Here the head is read from the migration files' text and
the current revision from the ``alembic_version`` table. Anything unusual (several heads, a file
that names its revisions some other way, no table) answers "no", and the caller runs alembic.
"""
from __future__ import annotations

import ast
from pathlib import Path

from smo_app.demo.credentials import DEMO_STAFF

VERSIONS = Path(__file__).resolve().parent.parent / "alembic" / "versions"
DEMO_OWNER = DEMO_STAFF[0][0]  # the demo shop is there when its owner is (smo_app.demo.seed)


def head_revision(versions: Path = VERSIONS) -> str | None:
    """The single head of the migration files (None: none, several, or a file not understood)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        names = _assignments(path, ("revision", "down_revision", "depends_on"))
        if not isinstance(names.get("revision"), str):
            return None
        revisions.add(names["revision"])
        for key in ("down_revision", "depends_on"):
            value = names.get(key)
            if isinstance(value, str):
                parents.add(value)
            elif isinstance(value, (tuple, list)):
                parents.update(value)
            elif value is not None:
                return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _assignments(path: Path, keys: tuple[str, ...]) -> dict:
    found: dict = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and target.id in keys and node.value is not None:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                found[target.id] = object()  # not a literal: not understood
    return found


def current_state(url: str) -> tuple[str | None, bool]:
    """(the revision the database is at, whether the demo owner exists); (None, False) when the
    database or its tables are not there."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite") and not _sqlite_file_exists(url):
        return None, False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if len(revision) != 1:
                return None, False
            owner = conn.execute(text("SELECT 1 FROM staff WHERE username = :u"), {"u": DEMO_OWNER}).first()
            return revision[0], owner is not None
    except SQLAlchemyError:
        return None, False
    finally:
        engine.dispose()


def _sqlite_file_exists(url: str) -> bool:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return bool(database) and database != ":memory:" and Path(database).is_file()


def ready(url: str, *, demo: bool) -> bool:
    """The database is at the migrations' head (and, with ``demo``, the demo shop is seeded)."""
    head = head_revision()
    if head is None:
        return False
    revision, seeded = current_state(url)
    return revision == head and (seeded or not demo)
