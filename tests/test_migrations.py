"""Alembic migrations: they build the models' schema from empty, undo it, and name everything."""

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, select

import app.models  # noqa: F401 - every table on the metadata
from app.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    PartyRole,
)
from app.core import migrations
from app.countries.models import Country, Region
from app.identity.models import Organisation, OrganisationKind
from app.search import service as search_service
from app.search.models import (
    DOCUMENT_COLUMN,
    DOCUMENT_INDEX,
    NAME_DOCUMENT_COLUMN,
    NAME_DOCUMENT_INDEX,
    NAMES_FTS_TABLE,
    TERMS_TABLE,
    SearchEntry,
    unmodelled,
)
from app.search.text import query_terms
from tests import databases

VERSION_TABLE = "alembic_version"
MODEL_TABLES = frozenset(SQLModel.metadata.tables)


@pytest.fixture
def empty_database_url(tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A database of this test's own, with nothing in it, not even the version table."""
    if databases.ON_SQLITE:
        yield databases.sqlite_url(tmp_path / "migrations.db")
        return
    name = f"{databases.worker_database_name(worker_id)}_migrations"
    yield databases.recreate_postgres_database(name)
    databases.drop_postgres_database(name)


def _table_names(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        names = sa.inspect(engine).get_table_names()
        return {name for name in names if not unmodelled(name, "table", {})}
    finally:
        engine.dispose()


def _current_revisions(url: str) -> frozenset[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return migrations.current_revisions(connection)
    finally:
        engine.dispose()


def _schema_differences(url: str) -> list[object]:
    """What autogenerate would write for this database, configured as migrations/env.py is."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "target_metadata": SQLModel.metadata,
                    "render_as_batch": url.startswith("sqlite"),
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_name": lambda name, type_, parents: (
                        not unmodelled(name, type_, parents)
                    ),
                },
            )
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def test_models_declare_tables() -> None:
    # Guards the tests below against passing vacuously on an empty metadata.
    assert "users" in MODEL_TABLES


def test_upgrade_from_empty_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    assert _table_names(empty_database_url) == MODEL_TABLES | {VERSION_TABLE}
    assert _current_revisions(empty_database_url) == migrations.head_revisions()

    migrations.downgrade(empty_database_url, "base")
    assert _table_names(empty_database_url) == {VERSION_TABLE}
    assert _current_revisions(empty_database_url) == frozenset()

    migrations.upgrade(empty_database_url)
    assert _table_names(empty_database_url) == MODEL_TABLES | {VERSION_TABLE}
    assert _current_revisions(empty_database_url) == migrations.head_revisions()


def test_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)

    assert _schema_differences(empty_database_url) == []


def test_autogenerate_sees_a_database_that_lags_the_models(empty_database_url: str) -> None:
    # The comparison above is only worth something if it does notice a difference.
    migrations.upgrade(empty_database_url)
    migrations.downgrade(empty_database_url, "base")

    added = {
        diff[1].name for diff in _schema_differences(empty_database_url) if diff[0] == "add_table"
    }
    assert added == MODEL_TABLES


def _follows_convention(actual: str | None, expected: str, max_length: int) -> bool:
    if actual is None:
        return False
    if len(expected) <= max_length:
        return actual == expected
    # SQLAlchemy shortens a name past the engine's limit to a prefix, "_" and a 4-digit hash.
    return actual.startswith(expected[: max_length - 8])


def _constraint_and_index_names(url: str) -> list[tuple[str, str | None, str]]:
    """(what, its name in the database, the name the convention gives it) for each one.

    Check constraints carry their own suffix, so only their prefix `ck_<table>_` is expected.
    """
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    names: list[tuple[str, str | None, str]] = []
    try:
        inspector = sa.inspect(engine)
        for table in sorted(_table_names(url) - {VERSION_TABLE}):
            pk = inspector.get_pk_constraint(table)
            names.append((f"primary key of {table}", pk.get("name"), f"pk_{table}"))
            for unique in inspector.get_unique_constraints(table):
                columns = "_".join(unique["column_names"])
                names.append(
                    (f"unique {table}({columns})", unique["name"], f"uq_{table}_{columns}")
                )
            for fk in inspector.get_foreign_keys(table):
                column, referred = fk["constrained_columns"][0], fk["referred_table"]
                names.append(
                    (f"foreign key {table}.{column}", fk["name"], f"fk_{table}_{column}_{referred}")
                )
            for check in inspector.get_check_constraints(table):
                actual, prefix = check["name"], f"ck_{table}_"
                expected = actual if actual and actual.startswith(prefix) else f"{prefix}<name>"
                names.append((f"check on {table}: {check['sqltext']}", actual, expected))
            for index in inspector.get_indexes(table):
                if index.get("duplicates_constraint"):
                    continue  # PostgreSQL's index behind a unique constraint, named with it
                if unmodelled(index["name"], "index", {}):
                    continue  # an expression, named in migration 0009
                columns = "_".join(index["column_names"])
                names.append(
                    (f"index on {table}.{columns}", index["name"], f"ix_{table}_{columns}")
                )
    finally:
        engine.dispose()
    return names


def test_every_constraint_and_index_follows_the_naming_convention(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url)
    max_length = make_url(empty_database_url).get_dialect().max_identifier_length

    names = _constraint_and_index_names(empty_database_url)

    misnamed = [
        f"{what}: {actual!r}, expected {expected!r}"
        for what, actual, expected in names
        if not _follows_convention(actual, expected, max_length)
    ]
    assert misnamed == []
    assert {"pk_users", "uq_users_email"} <= {actual for _, actual, _ in names}


def test_autogenerated_revision_from_the_script_template_builds_the_schema(
    empty_database_url: str, tmp_path: Path
) -> None:
    """A revision rendered by autogenerate through script.py.mako runs and reproduces the models.

    It fails when the template lacks an import that rendered column types need (sqlmodel's
    AutoString, app.core.db's UTCDateTime) or when env.py does not see every table.
    """
    script_location = tmp_path / "migrations"
    shutil.copytree(
        migrations.PROJECT_ROOT / "migrations",
        script_location,
        ignore=shutil.ignore_patterns("__pycache__", "*.py[co]", "[0-9]*.py"),
    )
    assert list((script_location / "versions").glob("*.py")) == []
    config = migrations.alembic_config(empty_database_url)
    config.set_main_option("script_location", str(script_location))

    script = command.revision(config, message="everything", autogenerate=True, rev_id="0001")

    assert script is not None
    assert not isinstance(script, list)
    rendered = Path(script.path).read_text()
    compile(rendered, script.path, "exec")
    for table in MODEL_TABLES:
        assert f'"{table}"' in rendered
    command.upgrade(config, "head")
    assert _table_names(empty_database_url) == MODEL_TABLES | {VERSION_TABLE}
    assert _schema_differences(empty_database_url) == []


def _entries_found(url: str, q: str, tier: search_service.Tier | None = None) -> list[int]:
    """The ids of the index entries the search's own match finds for `q` (in `tier`)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session:
            on_sqlite = engine.dialect.name == "sqlite"
            matches = search_service._matches(on_sqlite, SearchEntry, tier)
            words = search_service._words(session.connection(), on_sqlite, query_terms(q))
            if words is None:
                return []
            return list(session.scalars(sa.select(SearchEntry.id).where(matches), words))
    finally:
        engine.dispose()


def _entries_schema(url: str) -> tuple[set[str], set[str]]:
    """The names of the search entries' columns and indexes."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        columns = {column["name"] for column in inspector.get_columns("search_entries")}
        indexes = {index["name"] for index in inspector.get_indexes("search_entries")}
        return columns, {name for name in indexes if name is not None}
    finally:
        engine.dispose()


def _sqlite_search_tables(url: str) -> set[str]:
    """Which of the tables migration 0018 makes on SQLite the database holds."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names()) & {NAMES_FTS_TABLE, TERMS_TABLE}
    finally:
        engine.dispose()


def _write_entry(url: str) -> None:
    """An entry as the service writes it, its names and texts in columns every version has."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(SearchEntry),
                {
                    "id": 7,
                    "record_type": "law",
                    "record_id": uuid.uuid4(),
                    "part": "record",
                    "audience": "record",
                    "title": "Sabah Labour Ordinance",
                    "names": "Sabah Labour Ordinance",
                    "texts": "Recruiters in Tawau.",
                    "name_terms": "sabah labour ordinance",
                    "text_terms": "recruiters in tawau",
                },
            )
    finally:
        engine.dispose()


def test_entries_written_before_the_stored_document_are_found_after_it_and_back(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url, "0013")
    _write_entry(empty_database_url)

    migrations.upgrade(empty_database_url)
    assert _entries_found(empty_database_url, "tawau") == [7]
    assert _entries_found(empty_database_url, "sabah") == [7]

    migrations.downgrade(empty_database_url, "0013")
    columns, indexes = _entries_schema(empty_database_url)
    assert DOCUMENT_COLUMN not in columns
    if not databases.ON_SQLITE:
        assert DOCUMENT_INDEX in indexes

    migrations.upgrade(empty_database_url)
    assert _entries_found(empty_database_url, "tawau") == [7]


def test_entries_written_before_the_names_document_are_found_by_their_names_after_it(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url, "0016")
    _write_entry(empty_database_url)

    migrations.upgrade(empty_database_url)
    if not databases.ON_SQLITE:
        assert NAME_DOCUMENT_INDEX in _entries_schema(empty_database_url)[1]
    assert _entries_found(empty_database_url, "sabah", search_service.Tier.names) == [7]
    assert _entries_found(empty_database_url, "tawau", search_service.Tier.names) == []
    assert _entries_found(empty_database_url, "tawau", search_service.Tier.texts) == [7]

    migrations.downgrade(empty_database_url, "0016")
    columns, indexes = _entries_schema(empty_database_url)
    assert NAME_DOCUMENT_COLUMN not in columns
    assert NAME_DOCUMENT_INDEX not in indexes
    if not databases.ON_SQLITE:
        # Matching anywhere reads only what 0016 has; SQLite's reads the tokens of 0018.
        assert _entries_found(empty_database_url, "sabah") == [7]

    migrations.upgrade(empty_database_url)
    assert _entries_found(empty_database_url, "sabah", search_service.Tier.names) == [7]


def test_entries_written_before_the_names_index_and_terms_are_found_after_them(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url, "0017")
    _write_entry(empty_database_url)

    migrations.upgrade(empty_database_url)
    assert _entries_found(empty_database_url, "saba", search_service.Tier.names) == [7]
    assert _entries_found(empty_database_url, "tawa", search_service.Tier.names) == []
    assert _entries_found(empty_database_url, "tawa", search_service.Tier.texts) == [7]
    assert _entries_found(empty_database_url, "recruit tawau") == [7]
    assert _sqlite_search_tables(empty_database_url) == (
        {NAMES_FTS_TABLE, TERMS_TABLE} if databases.ON_SQLITE else set()
    )

    migrations.downgrade(empty_database_url, "0017")
    assert _sqlite_search_tables(empty_database_url) == set()

    migrations.upgrade(empty_database_url)
    assert _entries_found(empty_database_url, "saba", search_service.Tier.names) == [7]


def test_0015_gives_each_party_its_agreement_s_created_at_and_takes_it_back(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url)
    engine = sa.create_engine(empty_database_url, poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session:
            owner = Organisation(name="Secretariat", kind=OrganisationKind.secretariat)
            session.add(owner)
            session.add_all(
                Country(code=code, name=code, region=Region.south_east_asia)
                for code in ("PH", "SA", "ID")
            )
            # Agreements name these by key alone, with no relationship to order the inserts.
            session.flush()
            for days, codes in ((3, ("PH", "SA")), (1, ("ID", "PH", "SA"))):
                agreement = Agreement(
                    title=f"Agreement of {days} days ago",
                    kind=AgreementKind.multilateral_agreement,
                    status=AgreementStatus.in_force,
                    organisation_id=owner.id,
                    created_by="test",
                    updated_by="test",
                    created_at=datetime.now(UTC) - timedelta(days=days),
                )
                agreement.parties = [
                    AgreementParty(
                        country=code,
                        role=PartyRole.party,
                        position=position,
                        created_at=agreement.created_at,
                    )
                    for position, code in enumerate(codes)
                ]
                session.add(agreement)
            session.commit()
        migrations.downgrade(empty_database_url, "0014")
        columns = {column["name"] for column in sa.inspect(engine).get_columns("agreement_parties")}
        assert "created_at" not in columns

        migrations.upgrade(empty_database_url)

        with Session(engine) as session:
            copied = session.exec(
                select(AgreementParty.created_at, Agreement.created_at).join(
                    Agreement, col(Agreement.id) == col(AgreementParty.agreement_id)
                )
            ).all()
    finally:
        engine.dispose()
    assert len(copied) == 5
    assert all(copy == created_at for copy, created_at in copied)
