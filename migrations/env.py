"""Alembic environment: one metadata for every table, batch mode for SQLite, types compared."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers every table on the metadata
from app.core.config import Settings
from app.search.models import unmodelled

config = context.config
database_url = config.attributes.get("database_url")
if database_url is None:
    # Run as the `alembic` command: configure its logging and read the URL from the settings.
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    database_url = Settings().database_url

target_metadata = SQLModel.metadata


def _configure_options(url: str) -> dict[str, object]:
    return {
        "target_metadata": target_metadata,
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
        "compare_server_default": True,
        # The engines' own search indexes are made by migration 0009, outside the metadata.
        "include_name": lambda name, type_, parents: not unmodelled(name, type_, parents),
    }


def run_migrations_offline() -> None:
    context.configure(
        url=database_url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_configure_options(database_url),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        {"sqlalchemy.url": database_url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, **_configure_options(database_url))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
