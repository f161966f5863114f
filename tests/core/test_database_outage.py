"""A database that goes away: requests fail cleanly (503 problem, Retry-After), and the service
recovers by itself once the database is back, without a restart."""

import contextlib
import socket
import sqlite3
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.main import create_app
from tests import databases
from tests.api import assert_problem

LOGIN = "/api/v1/auth/token"
CREDENTIALS = {"username": "nobody@example.org", "password": "not a password anyone has"}


class Relay:
    """A TCP relay in front of PostgreSQL: stopping it cuts every connection, as a restart does."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return listener

    def stop(self) -> None:
        with self._lock:
            for sock in [self._listener, *self._open]:
                # Wakes the threads blocked on it, which close() alone would not.
                with contextlib.suppress(OSError):  # already closed by its relaying thread
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def start(self) -> None:
        self._listener = self._listen(self.port)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        source.close()
        sink.close()


class Outage:
    """The test's database, made unavailable to the service and available again: on PostgreSQL
    by a restart (a relay the test cuts), on SQLite by another process holding the write lock
    (a backup, say) for longer than the service waits."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self._relay: Relay | None = None
        self._holder: sqlite3.Connection | None = None
        if databases.ON_SQLITE:
            self._file = url.database or ""
            self.url = database_url
        else:
            self._relay = Relay((url.host or "127.0.0.1", url.port or 5432))
            self.url = url.set(host="127.0.0.1", port=self._relay.port).render_as_string(
                hide_password=False
            )

    def begin(self) -> None:
        if self._relay is not None:
            self._relay.stop()
            return
        self._holder = sqlite3.connect(self._file, isolation_level=None)
        self._holder.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self._relay is not None:
            self._relay.start()
        elif self._holder is not None:
            self._holder.close()
            self._holder = None

    def close(self) -> None:
        if self._relay is not None:
            self._relay.stop()
        elif self._holder is not None:
            self._holder.close()


@pytest.fixture
def outage(database_url: str) -> Iterator[Outage]:
    made = Outage(database_url)
    yield made
    made.close()


@pytest.fixture
def client_through(outage: Outage) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None,
        database_url=outage.url,
        database_connect_timeout_seconds=2,
        sqlite_busy_timeout_ms=200,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_a_request_while_the_database_is_away_is_a_503_problem_to_retry(
    outage: Outage, client_through: TestClient
) -> None:
    assert client_through.post(LOGIN, data=CREDENTIALS).status_code == 401
    outage.begin()

    response = client_through.post(LOGIN, data=CREDENTIALS)

    problem = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert "database" in problem["detail"]
    assert "SELECT" not in response.text


def test_the_service_recovers_by_itself_once_the_database_is_back(
    outage: Outage, client_through: TestClient
) -> None:
    assert client_through.post(LOGIN, data=CREDENTIALS).status_code == 401
    outage.begin()
    assert client_through.post(LOGIN, data=CREDENTIALS).status_code == 503
    outage.end()

    # The same app, its pool holding connections the outage broke.
    assert client_through.post(LOGIN, data=CREDENTIALS).status_code == 401
    assert client_through.get("/readyz").status_code == 200
