"""Unique rules held by the database, reported as domain errors.

A service checks "is this name free?" first for a friendly answer, but two requests can pass that
check at the same moment; the unique index then refuses the second INSERT/UPDATE. Wrap the statement
that writes (usually ``session.flush()``) in :func:`unique_as` so that refusal becomes the same
``DomainError`` the check raises::

    with unique_as(session, "staff", "username", lambda: DomainError("staff.username_taken", ..., username=name)):
        session.flush()

Works on PostgreSQL (SQLSTATE 23505, the key columns from the error detail) and SQLite
("UNIQUE constraint failed: table.column"). Any other integrity error is re-raised unchanged.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from smo_app.services.core.errors import DomainError

_PG_KEY = re.compile(r"Key \((?P<cols>[^)]*)\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>[\w., ]+)")


def unique_violation(exc: IntegrityError) -> tuple[str, frozenset[str]] | None:
    """(table, columns) of the unique rule ``exc`` broke, or None if it is another integrity error."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # psycopg
        diag = getattr(orig, "diag", None)
        match = _PG_KEY.search(getattr(diag, "message_detail", None) or str(orig))
        table = getattr(diag, "table_name", None) or ""
        cols = frozenset(c.strip().strip('"') for c in match.group("cols").split(",")) if match else frozenset()
        return table, cols
    match = _SQLITE_UNIQUE.search(str(orig))
    if match:
        pairs = [part.strip().split(".", 1) for part in match.group("cols").split(",")]
        return pairs[0][0], frozenset(p[1] for p in pairs if len(p) == 2)
    return None


def insert_first(session: Session, row: object) -> bool:
    """Add ``row`` and commit; False (rolled back) when a unique rule shows that another request
    inserted it first."""
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


@contextmanager
def unique_as(session: Session, table: str, columns: str | tuple[str, ...],
              error: Callable[[], DomainError]) -> Iterator[None]:
    """Turn a unique violation on ``table(columns)`` inside the block into ``error()``, rolling back."""
    wanted = frozenset((columns,) if isinstance(columns, str) else columns)
    try:
        yield
    except IntegrityError as exc:
        if unique_violation(exc) != (table, wanted):
            raise
        session.rollback()
        raise error() from exc

