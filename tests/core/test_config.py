"""Settings come from CAUCUS_* variables and .env; production refuses a weak secret key."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.core.config import DEVELOPMENT_SECRET_KEY, Environment, Settings
from app.main import create_app

PARTNER_ORIGIN = "https://partner.example.org"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CAUCUS_* variable set and no .env file in the working directory."""
    for name in list(os.environ):
        if name.upper().startswith("CAUCUS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- sources ----------------------------------------------------------------------------------


def test_settings_are_read_from_caucus_prefixed_variables(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAUCUS_DATABASE_URL", "sqlite:///./from-env.db")
    monkeypatch.setenv("CAUCUS_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("CAUCUS_LOG_LEVEL", "DEBUG")

    settings = Settings()

    assert settings.database_url == "sqlite:///./from-env.db"
    assert settings.max_body_bytes == 4096
    assert settings.log_level == "DEBUG"


def test_unprefixed_variables_are_ignored(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://someone-else/db")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)

    settings = Settings()

    assert settings.database_url == "sqlite:///./caucus.db"
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY


def test_settings_are_read_from_a_dotenv_file_in_the_working_directory(
    clean_environment: Path,
) -> None:
    (clean_environment / ".env").write_text(
        "CAUCUS_DATABASE_URL=sqlite:///./from-dotenv.db\nCAUCUS_MAX_BODY_BYTES=8192\n",
        encoding="utf-8",
    )

    settings = Settings()

    assert settings.database_url == "sqlite:///./from-dotenv.db"
    assert settings.max_body_bytes == 8192


def test_environment_variables_take_precedence_over_the_dotenv_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environment / ".env").write_text(
        "CAUCUS_DATABASE_URL=sqlite:///./from-dotenv.db\n", encoding="utf-8"
    )
    monkeypatch.setenv("CAUCUS_DATABASE_URL", "sqlite:///./from-env.db")

    assert Settings().database_url == "sqlite:///./from-env.db"


def test_a_named_env_file_is_read(clean_environment: Path) -> None:
    env_file = clean_environment / "deploy.env"
    env_file.write_text("CAUCUS_LOG_FORMAT=json\n", encoding="utf-8")

    assert Settings(_env_file=env_file).log_format == "json"


def test_cors_origins_are_read_as_one_comma_separated_variable(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CAUCUS_CORS_ORIGINS", f" {PARTNER_ORIGIN} ,https://secretariat.example.org,, "
    )

    settings = Settings()

    assert settings.cors_origins == [PARTNER_ORIGIN, "https://secretariat.example.org"]


def test_a_single_cors_origin_is_a_list_of_one(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAUCUS_CORS_ORIGINS", PARTNER_ORIGIN)

    assert Settings().cors_origins == [PARTNER_ORIGIN]


def test_cors_origins_default_to_none_allowed(clean_environment: Path) -> None:
    assert Settings().cors_origins == []


# --- the secret key ---------------------------------------------------------------------------


def test_development_accepts_the_default_key(clean_environment: Path) -> None:
    settings = Settings()

    assert settings.environment is Environment.development
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY


@pytest.mark.parametrize(
    "secret_key",
    [None, DEVELOPMENT_SECRET_KEY, "", "k" * 31],
    ids=["missing", "default", "empty", "31-bytes"],
)
def test_production_refuses_a_missing_default_or_short_key_and_says_how_to_make_one(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, secret_key: str | None
) -> None:
    monkeypatch.setenv("CAUCUS_ENVIRONMENT", "production")
    if secret_key is not None:
        monkeypatch.setenv("CAUCUS_SECRET_KEY", secret_key)

    with pytest.raises(ValidationError) as refused:
        Settings()

    message = str(refused.value)
    assert "CAUCUS_SECRET_KEY" in message
    assert "at least 32 bytes" in message
    assert "secrets.token_urlsafe" in message


def test_production_refuses_a_weak_key_given_in_a_dotenv_file(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(
        "CAUCUS_ENVIRONMENT=production\nCAUCUS_SECRET_KEY=too-short\n", encoding="utf-8"
    )

    with pytest.raises(ValidationError, match="CAUCUS_SECRET_KEY"):
        Settings()


def test_production_refusal_does_not_print_the_refused_key(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused_key = secrets.token_hex(15)  # 30 bytes: one short of the minimum
    monkeypatch.setenv("CAUCUS_ENVIRONMENT", "production")
    monkeypatch.setenv("CAUCUS_SECRET_KEY", refused_key)

    with pytest.raises(ValidationError) as refused:
        Settings()

    message = str(refused.value)
    # Pydantic shortens long inputs in the middle, so look for any part of the key.
    fragments = {refused_key[i : i + 8] for i in range(len(refused_key) - 7)}
    assert not [fragment for fragment in fragments if fragment in message]


@pytest.mark.parametrize("key_bytes", [32, 48])
def test_production_accepts_a_key_of_at_least_32_bytes(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, key_bytes: int
) -> None:
    key = secrets.token_urlsafe(key_bytes)[:key_bytes]
    assert len(key.encode()) == key_bytes
    monkeypatch.setenv("CAUCUS_ENVIRONMENT", "production")
    monkeypatch.setenv("CAUCUS_SECRET_KEY", key)

    settings = Settings()

    assert settings.environment is Environment.production
    assert settings.secret_key.get_secret_value() == key


def test_the_secret_key_is_not_shown_in_the_settings_repr(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = secrets.token_urlsafe(48)
    monkeypatch.setenv("CAUCUS_SECRET_KEY", key)

    settings = Settings()

    assert key not in repr(settings)
    assert key not in str(settings.model_dump())


# --- CORS in the application ------------------------------------------------------------------


@pytest.fixture
def cors_client(settings: Settings) -> Iterator[TestClient]:
    application = create_app(settings.model_copy(update={"cors_origins": [PARTNER_ORIGIN]}))
    try:
        with TestClient(application) as test_client:
            yield test_client
    finally:
        application.state.engine.dispose()


def test_preflight_from_an_allowed_origin_is_answered_with_that_origin(
    cors_client: TestClient,
) -> None:
    response = cors_client.options(
        "/api/v1/auth/token",
        headers={
            "Origin": PARTNER_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_preflight_from_another_origin_is_not_allowed(cors_client: TestClient) -> None:
    response = cors_client.options(
        "/api/v1/auth/token",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "X-Request-ID" in response.headers


def test_cross_origin_response_exposes_the_request_id(cors_client: TestClient) -> None:
    response = cors_client.get("/healthz", headers={"Origin": PARTNER_ORIGIN})

    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower().split(",")
    assert "x-request-id" in [header.strip() for header in exposed]


def test_without_cors_origins_no_origin_is_allowed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Origin": PARTNER_ORIGIN})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
