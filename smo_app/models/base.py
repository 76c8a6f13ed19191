"""Column types and helpers shared by all tables."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

# Named constraints, so alembic's batch mode on SQLite can drop and alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# SQLAlchemy's SQLite DATETIME text (``YYYY-MM-DD HH:MM:SS.ffffff``), which isoformat(" ") writes alike
_SQLITE_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


# the datetime last bound on SQLite and its text, in one tuple (a thread sees one pair or the other),
# shared by every UTC column: a use case binds its one "now" to several columns of several rows
_LAST_BOUND: list[tuple[datetime | None, str | None]] = [(None, None)]


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use smo_app.models.base.utcnow()")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def bind_processor(self, dialect):
        """On SQLite, the conversion above and SQLite's text format in one step (every row written
        carries a few of these; the default chain calls three functions per value)."""
        if dialect.name != "sqlite" or self.impl_instance.dialect_impl(dialect)._storage_format != _SQLITE_FORMAT:
            return super().bind_processor(dialect)
        utc = timezone.utc
        last = _LAST_BOUND

        def process(value):
            if value is None:
                return None
            seen = last[0]
            if seen[0] is value:  # the same object (datetimes do not change): the same text
                return seen[1]
            given = value
            if value.tzinfo is not utc:
                if value.tzinfo is None:
                    raise ValueError("naive datetime given to a UTC column; use smo_app.models.base.utcnow()")
                value = value.astimezone(utc)
            text = value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"
            last[0] = (given, text)
            return text

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utc_column(*, nullable: bool = False, index: bool = False, default=None) -> sa.Column:
    """A UTC datetime column for ``Field(sa_column=...)``-less use via ``sa_type``."""
    return sa.Column(UTCDateTime(), nullable=nullable, index=index, default=default)


JSONType = sa.JSON()
