"""Test databases on the engine under test: CAUCUS_TEST_DATABASE_URL picks SQLite or PostgreSQL."""

import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401 - every table, for truncation
from app.core import migrations

TEST_DATABASE_URL = os.environ.get("CAUCUS_TEST_DATABASE_URL", "sqlite://")
ON_SQLITE = TEST_DATABASE_URL.startswith("sqlite")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def postgres_url(database: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(hide_password=False)


def recreate_postgres_database(database: str) -> str:
    """Drop and create `database` beside the configured test database; return its URL."""
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return postgres_url(database)


def drop_postgres_database(database: str) -> None:
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def worker_database_name(worker_id: str) -> str:
    # The process id keeps two test runs on one server (two checkouts, CI beside a developer)
    # from dropping each other's databases.
    base = make_url(TEST_DATABASE_URL).database or "test"
    return f"{base}_{worker_id}_{os.getpid()}"


def migrated_template(directory: Path, worker_id: str) -> str:
    """A database at the latest migration, made once per test run and worker."""
    if ON_SQLITE:
        url = sqlite_url(directory / "template.db")
    else:
        url = recreate_postgres_database(worker_database_name(worker_id))
    migrations.upgrade(url)
    return url


def clean_database(template_url: str, directory: Path) -> str:
    """A database with the schema and no rows: a copy of the template, or the template emptied."""
    if ON_SQLITE:
        template = make_url(template_url).database
        assert template is not None
        target = directory / "caucus.db"
        shutil.copyfile(template, target)
        return sqlite_url(target)
    engine = sa.create_engine(template_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            # Replica mode skips triggers, among them the audit log's append-only guard.
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return template_url
