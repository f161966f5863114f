"""The engine each database gets, and timestamps that are timezone-aware UTC on both."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.db import PING_AFTER_IDLE_SECONDS, create_db_engine
from app.identity.models import Organisation, OrganisationKind
from tests import databases

sqlite_only = pytest.mark.skipif(not databases.ON_SQLITE, reason="SQLite engine settings")
postgres_only = pytest.mark.skipif(databases.ON_SQLITE, reason="PostgreSQL engine settings")

MANILA = timezone(timedelta(hours=8))


@pytest.fixture
def configured_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(
        settings.model_copy(
            update={
                "sqlite_busy_timeout_ms": 4321,
                "database_pool_size": 2,
                "database_max_overflow": 0,
                "database_pool_timeout_seconds": 0.5,
            }
        )
    )
    yield engine
    engine.dispose()


# --- SQLite -----------------------------------------------------------------------------------


@sqlite_only
def test_sqlite_uses_write_ahead_logging(configured_engine: Engine) -> None:
    with configured_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@sqlite_only
def test_sqlite_enforces_foreign_keys(configured_engine: Engine) -> None:
    with configured_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@sqlite_only
def test_sqlite_busy_timeout_is_the_configured_one(configured_engine: Engine) -> None:
    with configured_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321


@sqlite_only
def test_sqlite_pragmas_apply_to_every_new_connection(configured_engine: Engine) -> None:
    connections = [configured_engine.connect() for _ in range(3)]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    finally:
        for connection in connections:
            connection.close()


@sqlite_only
def test_app_engine_uses_the_busy_timeout_of_its_settings(app: FastAPI, settings: Settings) -> None:
    with app.state.engine.connect() as connection:
        busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()

    assert busy_timeout == settings.sqlite_busy_timeout_ms


# --- PostgreSQL -------------------------------------------------------------------------------


@postgres_only
def test_postgres_pool_has_the_configured_size(configured_engine: Engine) -> None:
    assert configured_engine.pool.size() == 2  # type: ignore[attr-defined]

    held = [configured_engine.connect() for _ in range(2)]
    try:
        with pytest.raises(sa.exc.TimeoutError):
            configured_engine.connect()
    finally:
        for connection in held:
            connection.close()


@postgres_only
def test_postgres_connections_compile_no_statement(app: FastAPI) -> None:
    # Reads run outside a transaction, where SET LOCAL would not hold: it is set per connection.
    for engine in (app.state.reading_engine, app.state.writing_engine):
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW jit").scalar() == "off"


@postgres_only
def test_postgres_pool_pings_an_idle_connection_and_replaces_it_if_dead(
    configured_engine: Engine,
) -> None:
    with configured_engine.connect() as connection:
        first_pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    # Kill the pooled connection behind the pool's back, as a database restart would.
    killer = sa.create_engine(databases.TEST_DATABASE_URL, poolclass=sa.pool.NullPool)
    try:
        with killer.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
    finally:
        killer.dispose()
    time.sleep(PING_AFTER_IDLE_SECONDS + 0.1)

    with configured_engine.connect() as connection:
        second_pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()

    assert second_pid != first_pid


@postgres_only
def test_postgres_pool_pings_only_connections_idle_for_a_while(
    configured_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    ping = configured_engine.dialect.do_ping
    monkeypatch.setattr(
        configured_engine.dialect, "do_ping", lambda dbapi: pings.append(dbapi) or ping(dbapi)
    )
    with configured_engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))

    with configured_engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    assert pings == []

    time.sleep(PING_AFTER_IDLE_SECONDS + 0.1)
    with configured_engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    assert len(pings) == 1


@postgres_only
def test_postgres_timestamps_are_stored_as_timestamptz(session: Session) -> None:
    data_type = session.connection().execute(
        sa.text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'users' AND column_name = 'created_at'"
        )
    )

    assert data_type.scalar_one() == "timestamp with time zone"


# --- timestamps -------------------------------------------------------------------------------


def make_organisation(name: str, created_at: datetime) -> Organisation:
    return Organisation(
        name=name, kind=OrganisationKind.cso, created_at=created_at, updated_at=created_at
    )


def test_timestamps_come_back_as_the_same_instant_in_utc(app: FastAPI, session: Session) -> None:
    written = datetime(2024, 3, 9, 7, 30, 15, 123456, tzinfo=MANILA)
    organisation = make_organisation("manila@example.org", written)
    session.add(organisation)
    session.commit()

    with Session(app.state.engine) as fresh:
        if not databases.ON_SQLITE:
            # A server in another zone must not change what Python sees.
            fresh.connection().exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Manila'")
        loaded = fresh.get(Organisation, organisation.id)
        assert loaded is not None
        read = loaded.created_at

    assert read.utcoffset() == timedelta(0)
    assert read.tzname() == "UTC"
    assert read == written
    assert read.replace(tzinfo=None) == datetime(2024, 3, 8, 23, 30, 15, 123456)


def test_timestamps_compare_by_instant_across_zones(app: FastAPI, session: Session) -> None:
    # 08:00 in Manila is before 01:00 UTC the same day: an ordering by wall-clock would disagree.
    early = make_organisation("early@example.org", datetime(2024, 1, 2, 8, 0, tzinfo=MANILA))
    late = make_organisation("late@example.org", datetime(2024, 1, 2, 1, 0, tzinfo=UTC))
    session.add_all([late, early])
    session.commit()

    with Session(app.state.engine) as fresh:
        ordered = fresh.exec(select(Organisation.name).order_by(col(Organisation.created_at))).all()
        after = fresh.exec(
            select(Organisation.name).where(
                Organisation.created_at > datetime(2024, 1, 2, 0, 30, tzinfo=UTC)
            )
        ).all()

    assert ordered == ["early@example.org", "late@example.org"]
    assert after == ["late@example.org"]


@sqlite_only
def test_sqlite_stores_timestamps_as_naive_utc(session: Session) -> None:
    session.add(make_organisation("stored@example.org", datetime(2024, 3, 9, 7, 30, tzinfo=MANILA)))
    session.commit()

    stored = session.connection().exec_driver_sql(
        "SELECT created_at FROM organisations WHERE name = 'stored@example.org'"
    )

    assert stored.scalar_one().startswith("2024-03-08 23:30:00")


def test_naive_datetime_is_refused(session: Session) -> None:
    session.add(make_organisation("naive@example.org", datetime(2024, 3, 9, 7, 30)))

    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"):
        session.commit()
    session.rollback()

    assert session.exec(select(Organisation)).all() == []


def test_naive_datetime_is_refused_in_a_query(session: Session) -> None:
    naive = datetime(2024, 3, 9, 7, 30)

    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"):
        session.exec(select(Organisation).where(Organisation.created_at > naive)).all()
