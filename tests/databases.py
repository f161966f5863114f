"""Test databases on the engine under test: CAUCUS_TEST_DATABASE_URL picks SQLite or PostgreSQL."""

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401 - every table, for emptying
from app.core import migrations
from app.reference.loader import load_reference

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
            # A commit then returns without waiting for its WAL to reach the disk: what each
            # transaction sees, locks and commits stays the same, only a crash of the server
            # could lose the last commits of a database the run throws away. The suite commits
            # tens of thousands of times, each waiting several milliseconds for a flush.
            connection.execute(sa.text(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))
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


@dataclass(frozen=True)
class Templates:
    """Where each test's database comes from: the schema at the latest migration, with and
    without the reference data (countries, instruments) that most tests need."""

    empty_url: str
    reference_url: str
    # On PostgreSQL: what emptying the template needs, read from its catalog once, and the
    # connection it is emptied through, kept open between tests rather than opened for each.
    sequences: tuple[str, ...] = ()
    reference_tables: tuple[str, ...] = ()
    cleaner: sa.Engine | None = None


# On PostgreSQL the reference rows wait in this schema of the template database, copied back
# into the emptied tables for each test that wants them.
REFERENCE_SCHEMA = "reference_rows"


def migrated_templates(directory: Path, worker_id: str) -> Templates:
    """The templates, made once per test run and worker."""
    if ON_SQLITE:
        empty_url = sqlite_url(directory / "template.db")
        migrations.upgrade(empty_url)
        _use_wal(directory / "template.db")
        reference_path = directory / "reference.db"
        shutil.copyfile(directory / "template.db", reference_path)
        reference_url = sqlite_url(reference_path)
        _load_reference(reference_url)
        return Templates(empty_url=empty_url, reference_url=reference_url)
    url = recreate_postgres_database(worker_database_name(worker_id))
    migrations.upgrade(url)
    _load_reference(url)
    cleaner = sa.create_engine(url, pool_size=1, max_overflow=0)
    with cleaner.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{REFERENCE_SCHEMA}"'))
        reference_tables = tuple(_tables_with_rows(connection))
        for table in reference_tables:
            copy = f'CREATE TABLE "{REFERENCE_SCHEMA}"."{table}" AS SELECT * FROM "{table}"'  # noqa: S608
            connection.execute(sa.text(copy))
        sequences = tuple(
            connection.execute(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).scalars()
        )
    return Templates(
        empty_url=url,
        reference_url=url,
        sequences=sequences,
        reference_tables=reference_tables,
        cleaner=cleaner,
    )


def _use_wal(path: Path) -> None:
    """Put the template in WAL mode, which its file keeps: each copy then opens in the mode the
    app sets, instead of converting to it on its first connection."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _load_reference(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session:
            load_reference(session)
    finally:
        engine.dispose()


def _tables_with_rows(connection: sa.Connection) -> list[str]:
    return [
        table.name
        for table in SQLModel.metadata.sorted_tables
        if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
    ]


def sqlite_directory(templates: Templates) -> Path:
    database = make_url(templates.empty_url).database
    assert database is not None
    return Path(database).parent


def clean_database(templates: Templates, *, with_reference: bool) -> str:
    """A database with the schema, and the reference data if asked for, and no other rows: a
    copy of a template file, or the template database emptied.

    On SQLite it is the same file for every test, replaced (a new file, not the old one
    overwritten: a connection a test left open keeps its own), so every test's database has
    the same URL, as on PostgreSQL: see tests/conftest.py `KeptEngine`."""
    if ON_SQLITE:
        template = make_url(templates.reference_url if with_reference else templates.empty_url)
        assert template.database is not None
        target = sqlite_directory(templates) / "test.db"
        for path in (target, *(target.with_name(target.name + end) for end in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
        shutil.copyfile(template.database, target)
        return sqlite_url(target)
    assert templates.cleaner is not None
    # Table and sequence names come from the metadata and the catalog, never from input.
    # Replica mode skips triggers (among them the audit log's append-only guard) and
    # foreign-key checks. DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's
    # new files for every table cost half a second a test where DELETE costs milliseconds.
    statements = [
        "SET LOCAL session_replication_role = replica",
        *(f'DELETE FROM "{table.name}"' for table in SQLModel.metadata.sorted_tables),  # noqa: S608
        *(f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in templates.sequences),
        *(
            f'INSERT INTO "{table}" SELECT * FROM "{REFERENCE_SCHEMA}"."{table}"'  # noqa: S608
            for table in (templates.reference_tables if with_reference else ())
        ),
    ]
    with templates.cleaner.begin() as connection:
        # One round trip for all of them.
        connection.exec_driver_sql(";\n".join(statements))
    return templates.empty_url
