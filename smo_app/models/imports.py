"""Catalog Excel imports that were applied (CA3): one row per applied file.

A file that creates products is applied once: the partial unique index on its digest lets the
database refuse a second apply (a double click, or two admins confirming the same file at once).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class CatalogImport(SQLModel, table=True):
    __tablename__ = "catalog_import"
    __table_args__ = (
        sa.Index("uq_catalog_import_creating_digest", "digest", unique=True,
                 sqlite_where=sa.text("creates > 0"), postgresql_where=sa.text("creates > 0")),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, index=True)  # sha256 of the file
    creates: int = 0
    updates: int = 0
    actor_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
