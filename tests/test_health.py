"""Liveness and readiness probes."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.core import migrations
from app.core.config import Settings
from app.main import create_app
from tests import databases

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def own_database_url(tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A database of this test's own, empty: never migrated."""
    if databases.ON_SQLITE:
        yield databases.sqlite_url(tmp_path / "own.db")
        return
    name = f"{databases.worker_database_name(worker_id)}_health"
    yield databases.recreate_postgres_database(name)
    databases.drop_postgres_database(name)


@pytest.fixture
def unreachable_database_url(tmp_path: Path) -> str:
    if databases.ON_SQLITE:
        return databases.sqlite_url(tmp_path / "no-such-directory" / "caucus.db")
    # Nothing listens on port 1: the connection is refused at once.
    url = make_url(databases.TEST_DATABASE_URL).set(host="127.0.0.1", port=1)
    return url.render_as_string(hide_password=False)


def get_from_app_on(database_url: str, path: str) -> httpx2.Response:
    settings = Settings(
        _env_file=None, database_url=database_url, database_connect_timeout_seconds=2
    )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            return client.get(path)
    finally:
        app.state.engine.dispose()


def assert_unavailable_problem(response: httpx2.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert body["detail"]
    assert body["instance"] == "/readyz"


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_unavailable_on_a_database_never_migrated(own_database_url: str) -> None:
    response = get_from_app_on(own_database_url, "/readyz")

    assert_unavailable_problem(response)
    assert "migration" in response.json()["detail"]


def test_readyz_is_unavailable_on_a_database_migrated_down_to_base(
    own_database_url: str,
) -> None:
    migrations.upgrade(own_database_url)
    migrations.downgrade(own_database_url, "base")

    response = get_from_app_on(own_database_url, "/readyz")

    assert_unavailable_problem(response)
    assert "migration" in response.json()["detail"]


def test_readyz_answers_ok_once_that_database_is_upgraded(own_database_url: str) -> None:
    # The two tests above fail for want of migrations, not because of how the app is built.
    migrations.upgrade(own_database_url)

    response = get_from_app_on(own_database_url, "/readyz")

    assert response.status_code == 200


def test_readyz_is_unavailable_quickly_when_the_database_is_unreachable(
    unreachable_database_url: str,
) -> None:
    started = time.monotonic()
    response = get_from_app_on(unreachable_database_url, "/readyz")
    elapsed = time.monotonic() - started

    assert_unavailable_problem(response)
    assert "not reachable" in response.json()["detail"]
    assert elapsed < 5


def test_healthz_does_not_depend_on_the_database(unreachable_database_url: str) -> None:
    response = get_from_app_on(unreachable_database_url, "/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
