"""Hand-written alembic environment: target_metadata is SQLModel.metadata with every table loaded."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import event
from sqlmodel import SQLModel

import smo_app.models  # noqa: F401  (registers every table)
from smo_app.db import make_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url")
    if url:
        return url
    from smo_app.settings import get_settings

    return get_settings().database_url


def _configure(connection=None, url=None) -> None:
    kwargs = dict(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite ALTER TABLE support
    )
    if connection is not None:
        context.configure(connection=connection, **kwargs)
    else:
        context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **kwargs)


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    if engine.dialect.name == "sqlite":
        # Batch mode rebuilds tables (copy, drop, rename); with foreign keys on, dropping a table
        # that others (or itself) point at fails. Turn them off for the migration, check after.
        @event.listens_for(engine, "connect")
        def _fk_off(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA foreign_keys=OFF")

    try:
        with engine.connect() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
            if engine.dialect.name == "sqlite":
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                conn.commit()
                if problems:
                    raise RuntimeError(f"foreign key violations after migration: {problems[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
