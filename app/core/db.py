"""Engine, sessions and the column types every table shares.

Table models import their column helpers from here, which guarantees the naming convention is on
the metadata before the first table is declared.
"""

import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import anyio
import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlmodel import Session, SQLModel

from app.core.config import Settings

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is timezone-aware UTC in Python on every engine.

    SQLite has no timezone-aware type: values are stored as naive UTC and given their zone back
    when read. Naive datetimes are refused on the way in, since their zone would be a guess.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column_type(enum: type[Enum]) -> sa.Enum:
    """Store an enum by its values in a VARCHAR, so adding a member needs no type migration."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _set_sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Transactions are begun by `_begin_sqlite_transaction`, not by the driver, which would
        # begin them late and always deferred.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds only A-Z; searches must ignore case in every script,
        # as they do on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    return on_connect


# Set on an engine whose sessions will write: SQLite takes the write lock when they begin.
WRITES = "caucus_writes"
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _begin_sqlite_transaction(connection: sa.Connection) -> None:
    # A deferred transaction that reads, then writes, fails at once with "database is locked" if
    # another writer committed meanwhile; busy_timeout cannot help it. A writer that takes the
    # lock up front waits its turn instead.
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITES) else "BEGIN")


def create_db_engine(settings: Settings) -> Engine:
    """Build the engine the settings describe: SQLite with WAL, or PostgreSQL with a small pool."""
    if settings.is_sqlite:
        engine = sa.create_engine(
            settings.database_url,
            hide_parameters=True,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
        )
        sa.event.listen(engine, "connect", _set_sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        sa.event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    engine = sa.create_engine(
        settings.database_url,
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        connect_args={
            "connect_timeout": settings.database_connect_timeout_seconds,
            # A statement here takes milliseconds; compiling one costs more. A statement the
            # planner thinks reads many rows crosses jit_above_cost and would spend seconds
            # compiling.
            "options": "-c jit=off",
        },
    )
    sa.event.listen(engine, "checkin", _note_returned)
    sa.event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


# A connection back in the pool for longer than this is pinged before it is handed out again:
# one that went back moments ago was working then. Pinging every checkout (`pool_pre_ping`)
# cost every request a round trip; a restart is still noticed, by the ping of an idle
# connection, or by the failed statement of a busy one, which invalidates the whole pool.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "caucus_returned_at"


def _note_returned(_: Any, record: ConnectionPoolEntry) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dialect: Dialect) -> Any:
    def on_checkout(
        dbapi_connection: Any, record: ConnectionPoolEntry, _: PoolProxiedConnection
    ) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool replaces the connection and checks out again.
                raise sa.exc.DisconnectionError from error
            raise

    return on_checkout


def writing_engine(engine: Engine) -> Engine:
    """The same engine and pool, for sessions that will write."""
    return engine.execution_options(**{WRITES: True})


def reading_engine(engine: Engine) -> Engine:
    """The same engine and pool, for the sessions of requests that only read.

    On PostgreSQL their statements run outside a transaction: at READ COMMITTED each statement
    sees its own snapshot in a transaction too, so it changes nothing read, and it spares every
    read a BEGIN and a ROLLBACK, two round trips. On SQLite a read transaction is what keeps
    the statements of one request on one snapshot, so it stays.
    """
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def get_session(request: Request) -> AsyncIterator[Session]:
    # `async def`: a session connects only when first used, so opening one needs no thread hop.
    # Closing a read's session needs none either: it has no transaction to roll back on
    # PostgreSQL (see `reading_engine`), and only a read one on SQLite, which waits for no
    # lock. A write's rollback and close talk to the database, so they run in a thread.
    state = request.app.state
    reads_only = request.method in _READ_ONLY_METHODS
    session = Session(
        state.reading_engine if reads_only else state.writing_engine, expire_on_commit=False
    )
    release = _release_at_once if reads_only else _release
    try:
        yield session
    except BaseException:
        # A transaction whose COMMIT failed is not rolled back by close(): its connection
        # would go back to the pool mid-transaction (on SQLite, holding the write lock).
        await release(session.rollback)
        raise
    finally:
        # A session out of any transaction holds no connection (a write's, once committed):
        # closing it talks to no database and needs no thread.
        await (release if session.in_transaction() else _release_at_once)(session.close)


async def _release_at_once(step: Callable[[], None]) -> None:
    step()


async def _release(step: Callable[[], None]) -> None:
    # Its own thread limiter, as FastAPI gives a dependency's exit: with every pooled thread
    # waiting for a connection, the close that frees one must not wait for a thread. Shielded,
    # so a cancelled request still returns its connection.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(step, limiter=anyio.CapacityLimiter(1))


# Closed as soon as the endpoint returns or raises, not after the response is sent: a session
# kept open while a response streams, or while an error is handled, would hold its connection
# (and on SQLite the write lock).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
