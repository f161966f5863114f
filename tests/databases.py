"""Test databases on the engine under test: CAUCUS_TEST_DATABASE_URL picks SQLite or PostgreSQL."""

import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401 - every table, for emptying
from app.core import migrations
from app.core.config import Settings
from app.core.db import create_db_engine
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
    # Each start with rows beyond the reference data (the secretariat, its admin), made the
    # first time a test asks for it: on SQLite its file, on PostgreSQL the tables its rows wait
    # in: pairs of table and its copy in the reference rows' schema.
    seeded: dict[tuple[bool, str], str | tuple[tuple[str, str], ...]] = field(default_factory=dict)


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


# What a start's rows are made with: given a session on a database holding the start's
# reference data and nothing else, it writes them and commits.
Seed = Callable[[Session], object]


def sqlite_directory(templates: Templates) -> Path:
    database = make_url(templates.empty_url).database
    assert database is not None
    return Path(database).parent


def clean_database(
    templates: Templates,
    *,
    with_reference: bool,
    seed_name: str = "",
    seed: Seed | None = None,
) -> str:
    """A database with the schema, the reference data if asked for and the rows `seed` writes
    if given (under `seed_name`, the same rows each time), and no other rows: a copy of a
    template file, or the template database emptied and refilled.

    On SQLite it is the same file for every test, replaced (a new file, not the old one
    overwritten: a connection a test left open keeps its own), so every test's database has
    the same URL, as on PostgreSQL: see tests/conftest.py `KeptEngine`."""
    if seed is not None and (with_reference, seed_name) not in templates.seeded:
        templates.seeded[with_reference, seed_name] = _seeded_template(
            templates, with_reference=with_reference, seed_name=seed_name, seed=seed
        )
    seeded = templates.seeded.get((with_reference, seed_name)) if seed is not None else None
    if ON_SQLITE:
        if isinstance(seeded, str):
            source = seeded
        else:
            template = make_url(templates.reference_url if with_reference else templates.empty_url)
            assert template.database is not None
            source = template.database
        target = sqlite_directory(templates) / "test.db"
        for path in (target, *(target.with_name(target.name + end) for end in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
        shutil.copyfile(source, target)
        return sqlite_url(target)
    _empty_postgres(
        templates, with_reference=with_reference, seeded=seeded if isinstance(seeded, tuple) else ()
    )
    return templates.empty_url


def _seeded_template(
    templates: Templates, *, with_reference: bool, seed_name: str, seed: Seed
) -> str | tuple[tuple[str, str], ...]:
    """On SQLite a template file with the seed's rows; on PostgreSQL the tables it wrote to,
    copied under names of the seed's own (no test looking for a table by its name finds
    them)."""
    url = clean_database(templates, with_reference=with_reference)
    engine = create_db_engine(Settings(_env_file=None, database_url=url))
    try:
        with Session(engine, expire_on_commit=False) as session:
            seed(session)
    finally:
        engine.dispose()
    if ON_SQLITE:
        template = sqlite_directory(templates) / f"seeded-{int(with_reference)}-{seed_name}.db"
        shutil.move(make_url(url).database or "", template)
        return str(template)
    assert templates.cleaner is not None
    prefix = f"seeded_{int(with_reference)}_{seed_name}_"
    with templates.cleaner.begin() as connection:
        # Only rows beyond the reference data are copied back, and the sequences restart
        # where emptying leaves them: a seed that changed either would start tests elsewhere.
        written = [t for t in _tables_with_rows(connection) if t not in templates.reference_tables]
        advanced = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_sequences WHERE schemaname = 'public' "
                "AND last_value IS NOT NULL"
            )
        ).scalar_one()
        assert advanced == 0, f"seed {seed_name!r} advanced a sequence"
        for table in written:
            copy = f'CREATE TABLE "{REFERENCE_SCHEMA}"."{prefix}{table}" AS SELECT * FROM "{table}"'  # noqa: S608
            connection.execute(sa.text(copy))
    return tuple((table, prefix + table) for table in written)


def _empty_postgres(
    templates: Templates, *, with_reference: bool, seeded: tuple[tuple[str, str], ...]
) -> None:
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
        *(
            f'INSERT INTO "{table}" SELECT * FROM "{REFERENCE_SCHEMA}"."{copy}"'  # noqa: S608
            for table, copy in seeded
        ),
    ]
    with templates.cleaner.begin() as connection:
        # One round trip for all of them.
        connection.exec_driver_sql(";\n".join(statements))
