"""`caucus create-token` and `caucus create-admin --bootstrap`, against the API they serve."""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings
from app.identity.models import Organisation
from app.main import create_app
from tests.conftest import bearer

ME_PATH = "/api/v1/auth/me"
# Not the development default, so the test shows the command signs with the configured key.
SECRET_KEY = "cli-token-test-secret-key-of-more-than-32-bytes"


@pytest.fixture(autouse=True)
def _isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No `.env` from the working directory, no CAUCUS_* setting from the shell, logging restored.

    The commands configure logging for the process; its handler would outlive the runner's
    captured stderr.
    """
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CAUCUS_{name.upper()}", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        environment="development",
        secret_key=SecretStr(SECRET_KEY),
    )


def run(database_url: str, *args: str, **env: str) -> Result:
    environment = {
        "CAUCUS_DATABASE_URL": database_url,
        "CAUCUS_SECRET_KEY": SECRET_KEY,
        "COLUMNS": "200",
        **env,
    }
    return CliRunner().invoke(cli, list(args), env=environment, prog_name="caucus")


def rows(database_url: str, statement: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(statement))]
    finally:
        engine.dispose()


def token_count(database_url: str) -> int:
    return int(rows(database_url, "SELECT count(*) FROM api_tokens")[0][0])


def printed_token(result: Result) -> str:
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith("API token ")
    token = lines[1].strip()
    assert token.count(".") == 2, token  # a JWT
    return token


# ---- create-token --------------------------------------------------------------------------


@pytest.mark.parametrize("identify_by", ["name", "id"])
def test_create_token_prints_a_token_that_works_against_the_api(
    client: TestClient,
    database_url: str,
    partner_organisation: Organisation,
    identify_by: str,
) -> None:
    organisation = (
        partner_organisation.name if identify_by == "name" else str(partner_organisation.id)
    )

    result = run(
        database_url,
        "create-token",
        "--organisation",
        organisation,
        "--scopes",
        "records:read,reports:write",
    )

    token = printed_token(result)
    assert partner_organisation.name in result.stdout
    me = client.get(ME_PATH, headers=bearer(token))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["principal_type"] == "api_token"
    assert body["user"] is None
    assert body["organisation"]["id"] == str(partner_organisation.id)
    assert body["organisation"]["name"] == "Partner CSO"
    assert body["role"] == "partner"
    assert body["scopes"] == ["records:read", "reports:write"]
    assert body["api_token"]["scopes"] == ["records:read", "reports:write"]
    assert body["api_token"]["id"] in result.stdout
    assert body["api_token"]["created_by_user_id"] is None
    assert client.get("/api/v1/organisations", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 403


def test_the_token_has_only_the_scopes_asked_for(
    client: TestClient, database_url: str, partner_organisation: Organisation
) -> None:
    result = run(
        database_url,
        "create-token",
        "--organisation",
        partner_organisation.name,
        "--scopes",
        " reports:write ",
    )

    token = printed_token(result)
    assert client.get(ME_PATH, headers=bearer(token)).json()["scopes"] == ["reports:write"]
    assert client.get("/api/v1/organisations", headers=bearer(token)).status_code == 403


def test_the_name_and_lifetime_options_are_stored(
    client: TestClient,
    admin_headers: dict[str, str],
    database_url: str,
    partner_organisation: Organisation,
) -> None:
    result = run(
        database_url,
        "create-token",
        "--organisation",
        partner_organisation.name,
        "--scopes",
        "records:read",
        "--name",
        "nightly mirror",
        "--days",
        "7",
    )

    printed_token(result)
    listed = client.get("/api/v1/api-tokens", headers=admin_headers).json()["items"]
    assert [token["name"] for token in listed] == ["nightly mirror"]
    created = datetime.fromisoformat(listed[0]["created_at"])
    expires = datetime.fromisoformat(listed[0]["expires_at"])
    assert abs(expires - created - timedelta(days=7)) < timedelta(minutes=1)


def test_a_secretariat_token_may_have_the_admin_scope(
    client: TestClient, database_url: str, secretariat: Organisation
) -> None:
    # The refusal below is about the organisation's role, not the admin scope as such.
    result = run(
        database_url, "create-token", "--organisation", secretariat.name, "--scopes", "admin"
    )

    token = printed_token(result)
    me = client.get(ME_PATH, headers=bearer(token)).json()
    assert me["role"] == "admin"
    assert me["scopes"] == ["admin"]
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "organisation",
    ["No Such Organisation", "partner cso", "00000000-0000-4000-8000-000000000000"],
    ids=["unknown-name", "wrong-case", "unknown-id"],
)
def test_an_unknown_organisation_is_an_error(
    database_url: str, partner_organisation: Organisation, organisation: str
) -> None:
    result = run(
        database_url, "create-token", "--organisation", organisation, "--scopes", "records:read"
    )

    assert result.exit_code == 1, result.output
    assert "No organisation with" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert token_count(database_url) == 0


@pytest.mark.parametrize(
    "scopes", ["admin", "records:read,admin", "records:write"], ids=["admin", "plus-admin", "write"]
)
def test_a_scope_beyond_the_organisations_role_is_an_error(
    database_url: str, partner_organisation: Organisation, scopes: str
) -> None:
    result = run(
        database_url,
        "create-token",
        "--organisation",
        partner_organisation.name,
        "--scopes",
        scopes,
    )

    assert result.exit_code == 1, result.output
    beyond = scopes.split(",")[-1]
    assert f"cso organisation's token cannot have {beyond}" in result.stderr
    assert "Traceback" not in result.output
    assert token_count(database_url) == 0


@pytest.mark.parametrize("scopes", ["records:delete", ",", ""], ids=["unknown", "comma", "empty"])
def test_unknown_or_missing_scopes_are_an_error(
    database_url: str, partner_organisation: Organisation, scopes: str
) -> None:
    result = run(
        database_url,
        "create-token",
        "--organisation",
        partner_organisation.name,
        "--scopes",
        scopes,
    )

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert token_count(database_url) == 0


def test_a_deactivated_organisation_gets_no_token(
    client: TestClient,
    admin_headers: dict[str, str],
    database_url: str,
    partner_organisation: Organisation,
) -> None:
    client.patch(
        f"/api/v1/organisations/{partner_organisation.id}",
        json={"is_active": False},
        headers=admin_headers,
    )

    result = run(
        database_url,
        "create-token",
        "--organisation",
        partner_organisation.name,
        "--scopes",
        "records:read",
    )

    assert result.exit_code == 1, result.output
    assert "deactivated" in result.stderr
    assert token_count(database_url) == 0


# ---- create-admin --bootstrap --------------------------------------------------------------


def _value_after(label: str, output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(label)]
    assert len(lines) == 1, output
    return lines[0].removeprefix(label).strip()


def test_bootstrap_on_an_empty_database_creates_the_secretariat_the_admin_belongs_to(
    database_url: str,
) -> None:
    assert rows(database_url, "SELECT count(*) FROM organisations") == [(0,)]

    result = run(database_url, "create-admin", "--bootstrap")

    assert result.exit_code == 0, result.output
    organisations = rows(database_url, "SELECT id, name, kind, is_active FROM organisations")
    assert len(organisations) == 1
    organisation_id, name, kind, is_active = organisations[0]
    assert (name, kind, bool(is_active)) == ("Migrant Forum in Asia", "secretariat", True)
    users = rows(database_url, "SELECT email, role, organisation_id FROM users")
    assert len(users) == 1
    assert users[0][:2] == (_value_after("Admin account:", result.stdout), "admin")
    assert str(users[0][2]).replace("-", "") == str(organisation_id).replace("-", "")

    # And through the API: the admin logs in as a member of that secretariat.
    app = create_app(
        Settings(_env_file=None, database_url=database_url, secret_key=SecretStr(SECRET_KEY))
    )
    with TestClient(app) as api:
        login = api.post(
            "/api/v1/auth/token",
            data={
                "username": _value_after("Admin account:", result.stdout),
                "password": _value_after("One-time password:", result.stdout),
            },
        )
        assert login.status_code == 200, login.text
        me = api.get(ME_PATH, headers=bearer(login.json()["access_token"])).json()
    app.state.engine.dispose()
    assert me["role"] == "admin"
    assert me["organisation"]["kind"] == "secretariat"
    assert me["organisation"]["name"] == "Migrant Forum in Asia"
    assert "admin" in me["scopes"]


def test_bootstrap_joins_an_existing_secretariat_rather_than_making_another(
    database_url: str, secretariat: Organisation, partner_organisation: Organisation
) -> None:
    result = run(database_url, "create-admin", "--bootstrap")

    assert result.exit_code == 0, result.output
    assert rows(database_url, "SELECT count(*) FROM organisations") == [(2,)]
    (organisation_id,) = rows(database_url, "SELECT organisation_id FROM users")[0]
    assert str(organisation_id).replace("-", "") == secretariat.id.hex
