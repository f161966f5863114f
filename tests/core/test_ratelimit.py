"""Rate limits: per principal, per login e-mail and per client address; in memory or in Redis."""

import fcntl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import ValidationError

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.identity.models import User
from app.main import create_app
from tests.conftest import ADMIN_PASSWORD

ME_PATH = "/api/v1/auth/me"
ORGANISATIONS = "/api/v1/organisations"
TOKEN_PATH = "/api/v1/auth/token"
REDIS_URL = "redis://127.0.0.1:6379/15"
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"
GENEROUS = "1000/minute"


def limited_app(database_url: str, **limits: str) -> FastAPI:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        environment="development",
        **{
            "rate_limit_per_principal": GENEROUS,
            "login_rate_limit_per_email": GENEROUS,
            "login_rate_limit_per_address": GENEROUS,
            **limits,
        },
    )
    return create_app(settings)


@pytest.fixture
def make_client(database_url: str) -> Iterator[Any]:
    """Clients of apps of their own on the test's database, closed at the end."""
    opened: list[tuple[FastAPI, TestClient]] = []

    def make(client_address: str = "testclient", **limits: str) -> TestClient:
        app = limited_app(database_url, **limits)
        client = TestClient(app, client=(client_address, 50000))
        client.__enter__()
        opened.append((app, client))
        return client

    yield make
    for app, client in opened:
        client.__exit__(None, None, None)
        app.state.engine.dispose()


def assert_rate_limited(response: Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == 429
    assert body["title"] == "Too Many Requests"
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert int(retry_after) >= 1
    return int(retry_after)


def log_in(client: TestClient, email: str, password: str = ADMIN_PASSWORD) -> Response:
    return client.post(TOKEN_PATH, data={"username": email, "password": password})


# ---- per principal -------------------------------------------------------------------------


def test_the_request_over_the_principal_limit_is_429_with_retry_after(
    make_client: Any,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
) -> None:
    client = make_client(rate_limit_per_principal="3/minute")

    allowed = [client.get(ORGANISATIONS, headers=partner_headers) for _ in range(3)]
    refused = client.get(ORGANISATIONS, headers=partner_headers)

    assert [response.status_code for response in allowed] == [200, 200, 200]
    retry_after = assert_rate_limited(refused)
    assert retry_after <= 60
    assert "X-Request-ID" in refused.headers
    # Another endpoint is no way around it, and another principal is not affected.
    assert_rate_limited(client.get(ME_PATH, headers=partner_headers))
    assert [client.get(ORGANISATIONS, headers=admin_headers).status_code for _ in range(3)] == [
        200,
        200,
        200,
    ]
    assert_rate_limited(client.get(ORGANISATIONS, headers=admin_headers))


def test_a_refused_request_does_not_reach_the_endpoint(
    make_client: Any, admin_headers: dict[str, str]
) -> None:
    client = make_client(rate_limit_per_principal="1/minute")
    assert client.get(ME_PATH, headers=admin_headers).status_code == 200

    refused = client.post(
        ORGANISATIONS, json={"name": "Made while limited", "kind": "cso"}, headers=admin_headers
    )

    assert_rate_limited(refused)
    other = make_client()
    names = {
        item["name"] for item in other.get(ORGANISATIONS, headers=admin_headers).json()["items"]
    }
    assert "Made while limited" not in names


# ---- logins --------------------------------------------------------------------------------


def test_login_attempts_are_limited_per_email(make_client: Any, admin: User, partner: User) -> None:
    client = make_client(login_rate_limit_per_email="2/minute")

    first = log_in(client, admin.email, "wrong password 1")
    second = log_in(client, admin.email, "wrong password 2")
    third = log_in(client, admin.email)

    assert (first.status_code, second.status_code) == (401, 401)
    assert_rate_limited(third)
    assert "access_token" not in third.text
    assert log_in(client, partner.email).status_code == 200


def test_the_login_limit_counts_an_email_whatever_its_case(make_client: Any, admin: User) -> None:
    client = make_client(login_rate_limit_per_email="2/minute")

    assert log_in(client, "ADMIN@example.org", "wrong").status_code == 401
    assert log_in(client, " Admin@Example.org", "wrong").status_code == 401

    assert_rate_limited(log_in(client, "admin@example.org"))


def test_login_attempts_are_limited_per_client_address(
    make_client: Any, admin: User, partner: User
) -> None:
    client = make_client(client_address="198.51.100.7", login_rate_limit_per_address="3/minute")
    for number in range(3):
        assert log_in(client, f"guess{number}@example.org").status_code == 401

    assert_rate_limited(log_in(client, admin.email))
    assert_rate_limited(log_in(client, partner.email))
    # The same app, seen from another address.
    elsewhere = TestClient(client.app, client=("203.0.113.9", 50000))
    assert log_in(elsewhere, admin.email).status_code == 200


# ---- settings ------------------------------------------------------------------------------

LIMIT_SETTINGS = [
    "rate_limit_per_principal",
    "login_rate_limit_per_email",
    "login_rate_limit_per_address",
]


@pytest.mark.parametrize(
    "value",
    ["lots", "", "3 per fortnight", "-1/minute", "minute/3", "0/minute", "3/minute; 50/hour"],
)
@pytest.mark.parametrize("name", LIMIT_SETTINGS)
def test_an_invalid_limit_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **{name: value})

    assert [error["loc"] for error in refused.value.errors()] == [(name,)]


@pytest.mark.parametrize("name", LIMIT_SETTINGS)
def test_an_invalid_limit_in_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(f"CAUCUS_{name.upper()}", "as many as you like")

    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)

    assert [error["loc"] for error in refused.value.errors()] == [(name,)]


@pytest.mark.parametrize("value", ["3/minute", "10 per 15 minutes", "100/hour", "5/second"])
@pytest.mark.parametrize("name", LIMIT_SETTINGS)
def test_valid_limits_are_accepted(name: str, value: str) -> None:
    assert getattr(Settings(_env_file=None, **{name: value}), name) == value


# ---- Redis ---------------------------------------------------------------------------------


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    """Redis db 15, empty, for this test alone.

    A file lock keeps tests that flush it (other xdist workers, a run on the other engine) from
    emptying it in the middle of this one.
    """
    lock_path = Path(tempfile.gettempdir()) / "caucus-tests-redis-db15.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        connection = redis.Redis.from_url(REDIS_URL)
        try:
            connection.flushdb()
            yield connection
            connection.flushdb()
        finally:
            connection.close()
            fcntl.flock(lock, fcntl.LOCK_UN)


def test_counters_in_redis_are_shared_between_app_instances(
    make_client: Any,
    redis_db: redis.Redis,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
) -> None:
    first = make_client(redis_url=REDIS_URL, rate_limit_per_principal="3/minute")
    second = make_client(redis_url=REDIS_URL, rate_limit_per_principal="3/minute")
    assert first.app is not second.app

    allowed = [
        first.get(ORGANISATIONS, headers=partner_headers),
        second.get(ORGANISATIONS, headers=partner_headers),
        first.get(ORGANISATIONS, headers=partner_headers),
    ]

    assert [response.status_code for response in allowed] == [200, 200, 200]
    assert_rate_limited(second.get(ORGANISATIONS, headers=partner_headers))
    assert_rate_limited(first.get(ORGANISATIONS, headers=partner_headers))
    assert redis_db.dbsize() > 0
    assert second.get(ORGANISATIONS, headers=admin_headers).status_code == 200


def test_login_counters_in_redis_are_shared_between_app_instances(
    make_client: Any, redis_db: redis.Redis, admin: User
) -> None:
    first = make_client(redis_url=REDIS_URL, login_rate_limit_per_email="2/minute")
    second = make_client(redis_url=REDIS_URL, login_rate_limit_per_email="2/minute")

    assert log_in(first, admin.email, "wrong").status_code == 401
    assert log_in(second, admin.email, "wrong").status_code == 401

    assert_rate_limited(log_in(first, admin.email))


def test_without_redis_each_app_instance_counts_for_itself(
    make_client: Any, partner_headers: dict[str, str]
) -> None:
    # The contrast to the tests above: what Redis shares is otherwise per process.
    first = make_client(rate_limit_per_principal="2/minute")
    second = make_client(rate_limit_per_principal="2/minute")

    statuses = [
        client.get(ORGANISATIONS, headers=partner_headers).status_code
        for client in (first, first, second, second)
    ]

    assert statuses == [200, 200, 200, 200]


def test_an_unreachable_redis_fails_open_and_fast(
    make_client: Any, admin: User, partner_headers: dict[str, str]
) -> None:
    client = make_client(
        redis_url=UNREACHABLE_REDIS_URL,
        rate_limit_per_principal="1/minute",
        login_rate_limit_per_email="1/minute",
    )

    started = time.monotonic()
    reads = [client.get(ORGANISATIONS, headers=partner_headers) for _ in range(5)]
    elapsed = time.monotonic() - started
    logins = [log_in(client, admin.email) for _ in range(2)]

    assert [response.status_code for response in reads] == [200] * 5
    assert [response.status_code for response in logins] == [200, 200]
    # Without a store there is no limit; and no waiting on the store either.
    assert elapsed < 5, f"5 requests took {elapsed:.1f}s with the limit store down"
