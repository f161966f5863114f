"""API tokens: issued once by the secretariat, listed without their secret, scoped no wider than
the organisation's role, revoked at once."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import (
    ApiToken,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    User,
)
from app.identity.service import create_organisation
from tests.conftest import bearer

API = "/api/v1"
ME_PATH = f"{API}/auth/me"
ORGANISATIONS_PATH = f"{API}/organisations"
USERS_PATH = f"{API}/users"
API_TOKENS_PATH = f"{API}/api-tokens"
PROBLEM_JSON = "application/problem+json"
ALL_SCOPES = ["admin", "records:read", "records:write", "reports:write"]
DEFAULT_LIFETIME = timedelta(days=365)
# A few seconds either way for the time a request takes and timestamps rounded by the database.
SLACK = timedelta(seconds=5)


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def issue(
    client: TestClient,
    headers: dict[str, str],
    organisation_id: uuid.UUID | str,
    scopes: list[str],
    **extra: Any,
) -> httpx2.Response:
    return client.post(
        API_TOKENS_PATH,
        headers=headers,
        json={"name": "nightly sync", "organisation_id": str(organisation_id), "scopes": scopes}
        | extra,
    )


def issued_token(
    client: TestClient, headers: dict[str, str], organisation_id: uuid.UUID, scopes: list[str]
) -> dict[str, Any]:
    response = issue(client, headers, organisation_id, scopes)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get(API_TOKENS_PATH, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def token_rows(app: FastAPI) -> int:
    with app.state.engine.connect() as connection:
        count: int = connection.execute(
            sa.select(sa.func.count()).select_from(ApiToken.__table__)
        ).scalar_one()
    return count


def add_organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    return create_organisation(session, actor=None, data=OrganisationCreate(name=name, kind=kind))


# ---- issuing -------------------------------------------------------------------------------


def test_issuing_returns_the_token_once_and_it_works(
    client: TestClient,
    admin: User,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    before = datetime.now(UTC)

    response = issue(client, admin_headers, partner_organisation.id, ["records:read"])

    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["token"], str)
    assert body["token"].count(".") == 2
    assert body["name"] == "nightly sync"
    assert body["organisation_id"] == str(partner_organisation.id)
    assert body["scopes"] == ["records:read"]
    assert body["created_by_user_id"] == str(admin.id)
    assert body["last_used_at"] is None
    assert body["revoked_at"] is None
    expires_at = parse_time(body["expires_at"])
    assert before + DEFAULT_LIFETIME - SLACK <= expires_at
    assert expires_at <= datetime.now(UTC) + DEFAULT_LIFETIME + SLACK
    me = client.get(ME_PATH, headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["api_token"]["id"] == body["id"]


def test_the_list_never_shows_the_token(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    body = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])

    for params in ({}, {"include_revoked": "true"}):
        response = client.get(API_TOKENS_PATH, headers=admin_headers, params=params)
        assert response.status_code == 200
        [item] = response.json()["items"]
        assert item["id"] == body["id"]
        assert "token" not in item
        assert {key: value for key, value in body.items() if key != "token"} == item
        assert body["token"] not in response.text
        # Nor its signature, the part that makes it a secret.
        assert body["token"].rsplit(".", 1)[1] not in response.text


def test_lifetime_days_sets_the_expiry(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    before = datetime.now(UTC)

    body = issue(
        client, admin_headers, partner_organisation.id, ["records:read"], lifetime_days=7
    ).json()

    expires_at = parse_time(body["expires_at"])
    assert before + timedelta(days=7) - SLACK <= expires_at
    assert expires_at <= datetime.now(UTC) + timedelta(days=7) + SLACK


@pytest.mark.parametrize(
    "change",
    [
        {"scopes": []},
        {"scopes": ["records:delete"]},
        {"scopes": "records:read"},
        {"name": ""},
        {"lifetime_days": 0},
        {"lifetime_days": 3651},
        {"organisation_id": "not-a-uuid"},
    ],
    ids=[
        "no-scopes",
        "unknown-scope",
        "scopes-not-a-list",
        "empty-name",
        "zero-lifetime",
        "lifetime-over-ten-years",
        "organisation-not-a-uuid",
    ],
)
def test_an_invalid_request_issues_nothing(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    change: dict[str, Any],
) -> None:
    valid = {
        "name": "nightly sync",
        "organisation_id": str(partner_organisation.id),
        "scopes": ["records:read"],
    }

    response = client.post(API_TOKENS_PATH, headers=admin_headers, json=valid | change)

    assert_problem(response, 422)
    assert token_rows(app) == 0


def test_a_token_for_an_unknown_organisation_is_a_404(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_problem(issue(client, admin_headers, uuid.uuid4(), ["records:read"]), 404)
    assert token_rows(app) == 0


def test_a_deactivated_organisation_gets_no_token(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    response = client.patch(
        f"{ORGANISATIONS_PATH}/{partner_organisation.id}",
        headers=admin_headers,
        json={"is_active": False},
    )
    assert response.status_code == 200

    assert_problem(issue(client, admin_headers, partner_organisation.id, ["records:read"]), 409)
    assert token_rows(app) == 0


def test_only_an_admin_manages_tokens(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    existing = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    own_token = bearer(existing["token"])

    for headers in (partner_headers, own_token):
        assert_problem(issue(client, headers, partner_organisation.id, ["records:read"]), 403)
        assert_problem(client.get(API_TOKENS_PATH, headers=headers), 403)
        assert_problem(client.delete(f"{API_TOKENS_PATH}/{existing['id']}", headers=headers), 403)

    assert token_rows(app) == 1
    assert client.get(ME_PATH, headers=own_token).status_code == 200


# ---- scopes no wider than the organisation's role -----------------------------------------


@pytest.mark.parametrize("kind", [OrganisationKind.cso, OrganisationKind.trade_union])
@pytest.mark.parametrize(
    "scopes",
    [["admin"], ["records:write"], ["records:read", "admin"], ["records:read", "records:write"]],
    ids=["admin", "records-write", "read-and-admin", "read-and-write"],
)
def test_a_partner_organisation_token_cannot_have_admin_or_records_write(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    kind: OrganisationKind,
    scopes: list[str],
) -> None:
    organisation = add_organisation(session, "Migrant Workers Network", kind)

    assert_problem(issue(client, admin_headers, organisation.id, scopes), 422)
    assert token_rows(app) == 0
    # What the role allows is issued.
    assert issue(client, admin_headers, organisation.id, ["reports:write"]).status_code == 201


def test_a_secretariat_token_can_have_every_scope_and_acts_as_admin(
    client: TestClient, admin_headers: dict[str, str], secretariat: Organisation
) -> None:
    body = issued_token(client, admin_headers, secretariat.id, ALL_SCOPES)
    headers = bearer(body["token"])

    assert body["scopes"] == ALL_SCOPES
    me = client.get(ME_PATH, headers=headers).json()
    assert me["principal_type"] == "api_token"
    assert me["user"] is None
    assert me["api_token"]["id"] == body["id"]
    assert me["organisation"]["id"] == str(secretariat.id)
    assert me["role"] == "admin"
    assert me["scopes"] == ALL_SCOPES
    assert client.get(USERS_PATH, headers=headers).status_code == 200


def test_me_with_a_partner_organisation_token(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    body = issued_token(
        client, admin_headers, partner_organisation.id, ["records:read", "reports:write"]
    )

    response = client.get(ME_PATH, headers=bearer(body["token"]))

    assert response.status_code == 200
    me = response.json()
    assert me["principal_type"] == "api_token"
    assert me["user"] is None
    assert me["api_token"]["id"] == body["id"]
    assert "token" not in me["api_token"]
    assert me["organisation"]["id"] == str(partner_organisation.id)
    assert me["organisation"]["name"] == partner_organisation.name
    assert me["role"] == "partner"
    assert me["scopes"] == ["records:read", "reports:write"]


def test_a_token_has_only_the_scopes_it_was_issued(
    client: TestClient, admin_headers: dict[str, str], secretariat: Organisation
) -> None:
    # The secretariat's role allows everything; this token was given reports:write alone.
    headers = bearer(
        issued_token(client, admin_headers, secretariat.id, ["reports:write"])["token"]
    )

    me = client.get(ME_PATH, headers=headers).json()
    assert me["role"] == "admin"
    assert me["scopes"] == ["reports:write"]
    assert_problem(client.get(ORGANISATIONS_PATH, headers=headers), 403)
    assert_problem(client.get(USERS_PATH, headers=headers), 403)


def test_effective_scopes_are_the_token_scopes_within_the_current_role(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    scripts = add_organisation(session, "Secretariat scripts", OrganisationKind.secretariat)
    headers = bearer(
        issued_token(client, admin_headers, scripts.id, ["admin", "records:read"])["token"]
    )
    assert client.get(ME_PATH, headers=headers).json()["scopes"] == ["admin", "records:read"]
    assert client.get(USERS_PATH, headers=headers).status_code == 200

    response = client.patch(
        f"{ORGANISATIONS_PATH}/{scripts.id}", headers=admin_headers, json={"kind": "cso"}
    )
    assert response.status_code == 200

    me = client.get(ME_PATH, headers=headers).json()
    assert me["role"] == "partner"
    assert me["scopes"] == ["records:read"]
    assert_problem(client.get(USERS_PATH, headers=headers), 403)
    assert client.get(ORGANISATIONS_PATH, headers=headers).status_code == 200


# ---- listing and last use ------------------------------------------------------------------


def test_last_used_at_is_null_until_the_token_is_used(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    body = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    unused = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    assert listed(client, admin_headers)[body["id"]]["last_used_at"] is None

    before = datetime.now(UTC)
    assert client.get(ORGANISATIONS_PATH, headers=bearer(body["token"])).status_code == 200
    after = datetime.now(UTC)

    tokens = listed(client, admin_headers)
    last_used_at = parse_time(tokens[body["id"]]["last_used_at"])
    assert before - SLACK <= last_used_at <= after + SLACK
    assert tokens[unused["id"]]["last_used_at"] is None


def test_list_filters_by_organisation(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    secretariat: Organisation,
) -> None:
    partners = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    ours = issued_token(client, admin_headers, secretariat.id, ["admin"])

    assert set(listed(client, admin_headers)) == {partners["id"], ours["id"]}
    only = listed(client, admin_headers, organisation_id=str(partner_organisation.id))
    assert set(only) == {partners["id"]}


# ---- revoking ------------------------------------------------------------------------------


def test_revoking_stops_the_token_at_once_and_hides_it(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    revoked = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    kept = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    revoked_headers = bearer(revoked["token"])
    assert client.get(ORGANISATIONS_PATH, headers=revoked_headers).status_code == 200

    before = datetime.now(UTC)
    response = client.delete(f"{API_TOKENS_PATH}/{revoked['id']}", headers=admin_headers)

    assert response.status_code == 204
    assert response.content == b""
    for path in (ME_PATH, ORGANISATIONS_PATH):
        refused = client.get(path, headers=revoked_headers)
        assert_problem(refused, 401)
        assert refused.headers["www-authenticate"] == "Bearer"
    assert client.get(ME_PATH, headers=bearer(kept["token"])).status_code == 200

    assert set(listed(client, admin_headers)) == {kept["id"]}
    everything = listed(client, admin_headers, include_revoked="true")
    assert set(everything) == {revoked["id"], kept["id"]}
    revoked_at = parse_time(everything[revoked["id"]]["revoked_at"])
    assert before - SLACK <= revoked_at <= datetime.now(UTC) + SLACK
    assert everything[kept["id"]]["revoked_at"] is None


def test_revoking_again_keeps_the_first_revocation(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    body = issued_token(client, admin_headers, partner_organisation.id, ["records:read"])
    assert (
        client.delete(f"{API_TOKENS_PATH}/{body['id']}", headers=admin_headers).status_code == 204
    )
    first = listed(client, admin_headers, include_revoked="true")[body["id"]]["revoked_at"]

    again = client.delete(f"{API_TOKENS_PATH}/{body['id']}", headers=admin_headers)

    assert again.status_code == 204
    assert listed(client, admin_headers, include_revoked="true")[body["id"]]["revoked_at"] == first
    assert_problem(client.get(ME_PATH, headers=bearer(body["token"])), 401)


def test_revoking_an_unknown_token_is_a_404(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_problem(client.delete(f"{API_TOKENS_PATH}/{uuid.uuid4()}", headers=admin_headers), 404)


def test_a_secretariat_token_can_revoke_itself_and_is_refused_after(
    client: TestClient, admin_headers: dict[str, str], secretariat: Organisation
) -> None:
    body = issued_token(client, admin_headers, secretariat.id, ["admin"])
    headers = bearer(body["token"])

    assert client.delete(f"{API_TOKENS_PATH}/{body['id']}", headers=headers).status_code == 204

    assert_problem(client.get(API_TOKENS_PATH, headers=headers), 401)
