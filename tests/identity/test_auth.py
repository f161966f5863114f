"""Logging in for a bearer token, and the token identifying its user."""

from collections.abc import Callable
from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from app.core import security
from app.core.config import Settings
from app.core.security import create_token, decode_token
from app.identity.models import User
from tests.conftest import ADMIN_PASSWORD

TOKEN_PATH = "/api/v1/auth/token"
ME_PATH = "/api/v1/auth/me"
PROBLEM_JSON = "application/problem+json"
# Not the default of 30 minutes, so a hard-coded lifetime in the app would show.
TOKEN_LIFETIME_MINUTES = 17


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        environment="development",
        access_token_lifetime_minutes=TOKEN_LIFETIME_MINUTES,
    )


def log_in(client: TestClient, email: str, password: str) -> httpx2.Response:
    return client.post(TOKEN_PATH, data={"username": email, "password": password})


def assert_unauthorized_problem(response: httpx2.Response) -> dict[str, object]:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    body: dict[str, object] = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    return body


def test_login_returns_a_bearer_token_with_the_configured_lifetime(
    client: TestClient, admin: User, settings: Settings
) -> None:
    response = log_in(client, admin.email, ADMIN_PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == TOKEN_LIFETIME_MINUTES * 60
    claims = decode_token(settings, body["access_token"])
    assert claims.subject == f"user:{admin.id}"
    assert set(claims.scopes) == {"records:read", "records:write", "reports:write", "admin"}
    assert claims.expires_at - claims.issued_at == timedelta(minutes=TOKEN_LIFETIME_MINUTES)


def test_login_matches_the_email_case_insensitively(client: TestClient, admin: User) -> None:
    response = log_in(client, admin.email.upper(), ADMIN_PASSWORD)

    assert response.status_code == 200
    assert response.json()["access_token"]


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, admin: User
) -> None:
    wrong_password = log_in(client, admin.email, ADMIN_PASSWORD + "!")
    unknown_email = log_in(client, "nobody@example.org", ADMIN_PASSWORD)

    first = assert_unauthorized_problem(wrong_password)
    second = assert_unauthorized_problem(unknown_email)
    assert first.pop("request_id") != second.pop("request_id")
    assert first == second


def test_nul_byte_in_the_email_is_refused_like_any_wrong_credentials(
    app: FastAPI, admin: User
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = log_in(client, "admin\x00@example.org", ADMIN_PASSWORD)

    assert_unauthorized_problem(response)


def test_deactivated_user_cannot_log_in(client: TestClient, admin: User, session: Session) -> None:
    unknown_email = assert_unauthorized_problem(log_in(client, "nobody@example.org", "x"))
    admin.is_active = False
    session.add(admin)
    session.commit()

    response = log_in(client, admin.email, ADMIN_PASSWORD)

    body = assert_unauthorized_problem(response)
    body.pop("request_id")
    unknown_email.pop("request_id")
    assert body == unknown_email


def test_me_returns_the_token_owner_without_a_password_hash(
    client: TestClient, admin: User
) -> None:
    token = log_in(client, admin.email, ADMIN_PASSWORD).json()["access_token"]

    response = client.get(ME_PATH, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    body = response.json()
    assert body["principal_type"] == "user"
    assert body["user"]["id"] == str(admin.id)
    assert body["user"]["email"] == admin.email
    assert body["role"] == "admin"
    assert body["user"]["is_active"] is True
    assert body["organisation"]["id"] == str(admin.organisation_id)
    assert body["scopes"] == ["admin", "records:read", "records:write", "reports:write"]
    assert [key for key in body["user"] if "password" in key] == []
    assert admin.password_hash not in response.text


def _no_token(settings: Settings, admin: User, session: Session) -> str | None:
    return None


def _garbage(settings: Settings, admin: User, session: Session) -> str | None:
    return "not-a-jwt"


def _expired(settings: Settings, admin: User, session: Session) -> str | None:
    return create_token(settings, subject=f"user:{admin.id}", lifetime=timedelta(minutes=-1))


def _signed_with_another_key(settings: Settings, admin: User, session: Session) -> str | None:
    other = settings.model_copy(update={"secret_key": SecretStr("another-key-" + "x" * 40)})
    return create_token(other, subject=f"user:{admin.id}", lifetime=timedelta(minutes=5))


def _of_a_deleted_user(settings: Settings, admin: User, session: Session) -> str | None:
    token = create_token(settings, subject=f"user:{admin.id}", lifetime=timedelta(minutes=5))
    session.delete(admin)
    session.commit()
    return token


def _of_a_deactivated_user(settings: Settings, admin: User, session: Session) -> str | None:
    token = create_token(settings, subject=f"user:{admin.id}", lifetime=timedelta(minutes=5))
    admin.is_active = False
    session.add(admin)
    session.commit()
    return token


@pytest.mark.parametrize(
    "make_token",
    [
        _no_token,
        _garbage,
        _expired,
        _signed_with_another_key,
        _of_a_deleted_user,
        _of_a_deactivated_user,
    ],
    ids=lambda make: make.__name__.strip("_"),
)
def test_me_refuses_a_missing_or_unusable_token(
    client: TestClient,
    admin: User,
    session: Session,
    settings: Settings,
    make_token: Callable[[Settings, User, Session], str | None],
) -> None:
    token = make_token(settings, admin, session)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}

    response = client.get(ME_PATH, headers=headers)

    assert_unauthorized_problem(response)


def test_me_accepts_a_token_made_the_same_way_for_an_active_user(
    client: TestClient, admin: User, settings: Settings
) -> None:
    # The refusals above are for the reason each names, not for how their tokens are made.
    token = create_token(settings, subject=f"user:{admin.id}", lifetime=timedelta(minutes=5))

    response = client.get(ME_PATH, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


def test_unknown_email_and_wrong_password_cost_one_password_check_each(
    client: TestClient, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Equal work, not a stopwatch: each failure runs exactly one Argon2 verification, so the
    # response time does not tell whether the e-mail has an account.
    checked: list[str] = []
    real_verify = security._password_hash.verify

    def counting_verify(password: str, password_hash: str) -> bool:
        checked.append(password_hash)
        return real_verify(password, password_hash)

    monkeypatch.setattr(security._password_hash, "verify", counting_verify)

    log_in(client, admin.email, ADMIN_PASSWORD + "!")
    log_in(client, "nobody@example.org", ADMIN_PASSWORD)

    assert len(checked) == 2
    assert checked[0] == admin.password_hash
    assert checked[1] == security._UNUSABLE_HASH
