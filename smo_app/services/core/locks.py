"""Transaction-scoped named locks for rules no single row or index can hold.

On PostgreSQL ``pg_advisory_xact_lock``: the second transaction asking for the same name waits
until the first commits or rolls back, then reads what it wrote. SQLite needs nothing: every
write transaction starts with ``BEGIN IMMEDIATE`` and already runs alone.
"""
from __future__ import annotations

import zlib

from sqlalchemy import func, select
from sqlmodel import Session


def xact_lock(session: Session, name: str) -> None:
    """Hold the lock ``name`` until the current transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(name.encode()) - 2**31  # a stable signed 32-bit key per name
    session.execute(select(func.pg_advisory_xact_lock(key)))
