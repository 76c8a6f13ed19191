"""What a database holds, table by table, as counts and checksums a restore is checked against.

Read inside one transaction (the caller's), so the figures describe one moment even while the app
writes. Rows are read in primary-key order and serialised canonically (JSON with dates as ISO text
and bytes as their SHA-256), so the same rows give the same checksum on any run of the same engine.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

SKIPPED_TABLES = frozenset({"alembic_version"})  # its one row is the manifest's schema revision


@dataclass(frozen=True)
class TableFigures:
    rows: int
    sha256: str


def _canonical(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def table_figures(conn: Connection) -> dict[str, TableFigures]:
    """Every table's row count and checksum, as this connection's transaction sees them."""
    meta = sa.MetaData()
    meta.reflect(conn)
    figures: dict[str, TableFigures] = {}
    for table in sorted(meta.tables.values(), key=lambda t: t.name):
        if table.name in SKIPPED_TABLES:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = 0
        for row in conn.execute(sa.select(table).order_by(*order)).yield_per(2000):
            digest.update(json.dumps([_canonical(v) for v in row], ensure_ascii=False, default=str).encode())
            digest.update(b"\n")
            rows += 1
        figures[table.name] = TableFigures(rows=rows, sha256=digest.hexdigest())
    return figures


def schema_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


def has_data(conn: Connection) -> bool:
    """Whether any table but alembic's holds a row (an empty, migrated database may be restored into)."""
    meta = sa.MetaData()
    meta.reflect(conn)
    for table in meta.tables.values():
        if table.name not in SKIPPED_TABLES and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            return True
    return False
