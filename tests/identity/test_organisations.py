"""Organisations: the secretariat registers and curates them; every signed-in caller reads them."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.identity import service as identity
from app.identity.models import (
    ApiTokenCreate,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    Role,
    Scope,
    User,
)
from tests.conftest import ADMIN_PASSWORD, bearer, login_headers, make_user

ORGANISATIONS = "/api/v1/organisations"
TOKEN_PATH = "/api/v1/auth/token"
ME_PATH = "/api/v1/auth/me"
ALL_KINDS = [
    "secretariat",
    "cso",
    "trade_union",
    "parliament",
    "government",
    "research",
    "media",
    "placement_agency",
    "other",
]
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    return body


def create(client: TestClient, headers: dict[str, str], **fields: Any) -> Response:
    return client.post(ORGANISATIONS, json=fields, headers=headers)


def listed_names(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get(ORGANISATIONS, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    return {item["name"] for item in body["items"]}


def stored(session: Session, name: str) -> Organisation | None:
    session.expire_all()
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def add_organisation(session: Session, name: str, kind: str, **fields: Any) -> Organisation:
    return identity.create_organisation(
        session, actor=None, data=OrganisationCreate(name=name, kind=kind, **fields)
    )


# ---- creating ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_admin_creates_an_organisation_of_each_kind(
    client: TestClient, admin_headers: dict[str, str], session: Session, kind: str
) -> None:
    name = f"An organisation of kind {kind}"

    response = create(client, admin_headers, name=name, kind=kind, country="NP")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == name
    assert body["kind"] == kind
    assert body["country"] == "NP"
    assert body["is_active"] is True
    row = stored(session, name)
    assert row is not None
    assert str(row.id) == body["id"]
    assert row.kind == OrganisationKind(kind)
    read = client.get(f"{ORGANISATIONS}/{body['id']}", headers=admin_headers)
    assert read.status_code == 200
    assert read.json() == body


def test_the_kinds_are_exactly_the_documented_ones() -> None:
    assert sorted(kind.value for kind in OrganisationKind) == sorted(ALL_KINDS)


def test_an_unknown_kind_is_refused(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    response = create(client, admin_headers, name="Kindless", kind="lobby")

    body = assert_problem(response, 422)
    assert ["body", "kind"] in [error["location"] for error in body["errors"]]
    assert stored(session, "Kindless") is None


def test_country_is_an_iso_alpha_2_code(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    known = create(client, admin_headers, name="In Bangladesh", kind="cso", country="BD")
    unknown = create(client, admin_headers, name="In Nowhere", kind="cso", country="ZZ")
    alpha_3 = create(client, admin_headers, name="In Three Letters", kind="cso", country="BGD")

    assert known.status_code == 201
    assert known.json()["country"] == "BD"
    for refused in (unknown, alpha_3):
        body = assert_problem(refused, 422)
        assert ["body", "country"] in [error["location"] for error in body["errors"]]
        # The submitted value is not echoed.
        assert "ZZ" not in refused.text
    assert stored(session, "In Nowhere") is None
    assert stored(session, "In Three Letters") is None


def test_country_is_optional(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = create(client, admin_headers, name="Regional network", kind="research")

    assert response.status_code == 201
    assert response.json()["country"] is None


def test_website_is_normalised(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    response = create(
        client, admin_headers, name="Shouting CSO", kind="cso", website="HTTPS://Example.ORG"
    )

    assert response.status_code == 201, response.text
    assert response.json()["website"] == "https://example.org/"
    row = stored(session, "Shouting CSO")
    assert row is not None
    assert row.website == "https://example.org/"


@pytest.mark.parametrize(
    "website",
    ["ftp://files.example.org/", "javascript:alert(1)", "mailto:info@example.org", "example.org"],
)
def test_a_website_that_is_not_http_is_refused(
    client: TestClient, admin_headers: dict[str, str], session: Session, website: str
) -> None:
    response = create(client, admin_headers, name="Odd website", kind="cso", website=website)

    body = assert_problem(response, 422)
    assert ["body", "website"] in [error["location"] for error in body["errors"]]
    assert stored(session, "Odd website") is None


def test_an_organisation_can_be_created_inactive(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = create(
        client, admin_headers, name="Dormant union", kind="trade_union", is_active=False
    )

    assert response.status_code == 201
    assert response.json()["is_active"] is False


def test_a_duplicate_name_is_a_conflict(
    client: TestClient,
    admin_headers: dict[str, str],
    session: Session,
    partner_organisation: Organisation,
) -> None:
    response = create(client, admin_headers, name=partner_organisation.name, kind="media")

    body = assert_problem(response, 409)
    assert "already exists" in body["detail"]
    session.expire_all()
    same_name = session.exec(
        select(Organisation).where(Organisation.name == partner_organisation.name)
    ).all()
    assert [row.id for row in same_name] == [partner_organisation.id]


def test_renaming_to_a_taken_name_is_a_conflict(
    client: TestClient,
    admin_headers: dict[str, str],
    session: Session,
    partner_organisation: Organisation,
) -> None:
    other = add_organisation(session, "Another union", "trade_union")

    response = client.patch(
        f"{ORGANISATIONS}/{other.id}",
        json={"name": partner_organisation.name},
        headers=admin_headers,
    )

    assert_problem(response, 409)
    session.expire_all()
    assert session.get(Organisation, other.id).name == "Another union"  # type: ignore[union-attr]


def test_unknown_fields_are_refused(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = create(
        client,
        admin_headers,
        name="Smuggler",
        kind="cso",
        id="11111111-1111-4111-8111-111111111111",
    )

    assert_problem(response, 422)


# ---- reading and listing -------------------------------------------------------------------


def test_an_unknown_id_is_a_404_problem(client: TestClient, admin_headers: dict[str, str]) -> None:
    read = client.get(f"{ORGANISATIONS}/{UNKNOWN_ID}", headers=admin_headers)
    patched = client.patch(
        f"{ORGANISATIONS}/{UNKNOWN_ID}", json={"name": "Ghost"}, headers=admin_headers
    )

    for response in (read, patched):
        body = assert_problem(response, 404)
        assert body["title"] == "Not Found"
        assert body["detail"] == "No organisation with this id."


def test_a_malformed_id_is_a_422_problem(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert_problem(client.get(f"{ORGANISATIONS}/not-a-uuid", headers=admin_headers), 422)


@pytest.fixture
def catalogue(session: Session, secretariat: Organisation) -> dict[str, Organisation]:
    """A few organisations that differ in each filtered field."""
    return {
        "secretariat": secretariat,
        "nepal_cso": add_organisation(session, "Pourakhi Nepal", "cso", country="NP"),
        "malaysia_union": add_organisation(
            session, "Malaysian Trades Union Congress", "trade_union", country="MY"
        ),
        "nepal_union": add_organisation(session, "GEFONT", "trade_union", country="NP"),
        "inactive_cso": add_organisation(
            session, "Dormant Nepal Network", "cso", country="NP", is_active=False
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"secretariat", "nepal_cso", "malaysia_union", "nepal_union", "inactive_cso"}),
        ({"kind": "cso"}, {"nepal_cso", "inactive_cso"}),
        ({"kind": "trade_union"}, {"malaysia_union", "nepal_union"}),
        ({"kind": "media"}, set()),
        ({"country": "NP"}, {"nepal_cso", "nepal_union", "inactive_cso"}),
        ({"country": "MY"}, {"malaysia_union"}),
        (
            {"is_active": "true"},
            {"secretariat", "nepal_cso", "malaysia_union", "nepal_union"},
        ),
        ({"is_active": "false"}, {"inactive_cso"}),
        ({"q": "nepal"}, {"nepal_cso", "inactive_cso"}),
        ({"q": "UNION CON"}, {"malaysia_union"}),
        ({"kind": "cso", "country": "NP", "is_active": "true"}, {"nepal_cso"}),
        ({"kind": "trade_union", "q": "gef"}, {"nepal_union"}),
    ],
    ids=lambda value: (
        "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None
    ),
)
def test_list_filters(
    client: TestClient,
    admin_headers: dict[str, str],
    catalogue: dict[str, Organisation],
    params: dict[str, str],
    expected: set[str],
) -> None:
    names = listed_names(client, admin_headers, **params)

    assert names == {catalogue[key].name for key in expected}


@pytest.mark.parametrize(
    "params",
    [{"kind": "lobby"}, {"country": "ZZ"}, {"is_active": "perhaps"}, {"q": ""}],
    ids=["kind", "country", "is_active", "empty-q"],
)
def test_invalid_list_filters_are_422(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    response = client.get(ORGANISATIONS, params=params, headers=admin_headers)

    assert_problem(response, 422)


def test_q_matches_underscore_and_percent_literally(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisation(session, "Network_Asia", "cso")
    add_organisation(session, "Network-Asia", "cso")
    add_organisation(session, "Fund 100% migrant-led", "research")
    add_organisation(session, "Fund 1000 migrants", "research")

    assert listed_names(client, admin_headers, q="k_a") == {"Network_Asia"}
    assert listed_names(client, admin_headers, q="100%") == {"Fund 100% migrant-led"}


def test_q_ignores_case_beyond_ascii(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisation(session, "Réseau Asie Migrations", "research")
    add_organisation(session, "Reseau without accents", "research")

    assert listed_names(client, admin_headers, q="RÉSEAU") == {"Réseau Asie Migrations"}


def test_list_is_oldest_first(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, Organisation]
) -> None:
    response = client.get(ORGANISATIONS, headers=admin_headers)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["name"] for item in items] == [
        organisation.name
        for organisation in sorted(catalogue.values(), key=lambda o: (o.created_at, str(o.id)))
    ]


def test_partner_can_read_but_not_write(
    client: TestClient,
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
    secretariat: Organisation,
    session: Session,
) -> None:
    listed = client.get(ORGANISATIONS, headers=partner_headers)
    read = client.get(f"{ORGANISATIONS}/{secretariat.id}", headers=partner_headers)
    created = create(client, partner_headers, name="Partner's friend", kind="cso")
    patched = client.patch(
        f"{ORGANISATIONS}/{partner_organisation.id}",
        json={"name": "Renamed by partner"},
        headers=partner_headers,
    )

    assert listed.status_code == 200
    assert {item["id"] for item in listed.json()["items"]} == {
        str(secretariat.id),
        str(partner_organisation.id),
    }
    assert read.status_code == 200
    assert read.json()["kind"] == "secretariat"
    for refused in (created, patched):
        body = assert_problem(refused, 403)
        assert "admin" in body["detail"]
    assert stored(session, "Partner's friend") is None
    assert stored(session, "Renamed by partner") is None


def test_a_token_without_records_read_cannot_list(
    client: TestClient, partner: User, settings: Settings
) -> None:
    headers = login_headers(settings, partner, scopes=("reports:write",))

    response = client.get(ORGANISATIONS, headers=headers)

    body = assert_problem(response, 403)
    assert "records:read" in body["detail"]


def test_anonymous_callers_are_401(client: TestClient, secretariat: Organisation) -> None:
    assert_problem(client.get(ORGANISATIONS), 401)
    assert_problem(client.get(f"{ORGANISATIONS}/{secretariat.id}"), 401)
    assert_problem(create(client, {}, name="Anonymous", kind="cso"), 401)


# ---- updating ------------------------------------------------------------------------------


def test_admin_updates_fields_and_leaves_the_others(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    before = client.get(f"{ORGANISATIONS}/{partner_organisation.id}", headers=admin_headers).json()

    response = client.patch(
        f"{ORGANISATIONS}/{partner_organisation.id}",
        json={"kind": "trade_union", "website": "http://Union.Example.org/about"},
        headers=admin_headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "trade_union"
    assert body["website"] == "http://union.example.org/about"
    assert body["name"] == before["name"]
    assert body["country"] == before["country"] == "MY"
    assert body["created_at"] == before["created_at"]
    assert body["updated_at"] > before["updated_at"]
    session.expire_all()
    row = session.get(Organisation, partner_organisation.id)
    assert row is not None
    assert row.kind is OrganisationKind.trade_union


def test_patch_can_clear_country_and_website(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    organisation = add_organisation(
        session, "With details", "cso", country="PH", website="https://details.example.org"
    )

    response = client.patch(
        f"{ORGANISATIONS}/{organisation.id}",
        json={"country": None, "website": None},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.json()["country"] is None
    assert response.json()["website"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"kind": None},
        {"is_active": None},
        {"country": "XX"},
        {"website": "ftp://x"},
    ],
    ids=["null-name", "null-kind", "null-is_active", "unknown-country", "ftp-website"],
)
def test_invalid_updates_are_422_and_change_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
    change: dict[str, Any],
) -> None:
    response = client.patch(
        f"{ORGANISATIONS}/{partner_organisation.id}", json=change, headers=admin_headers
    )

    assert_problem(response, 422)
    session.expire_all()
    row = session.get(Organisation, partner_organisation.id)
    assert row is not None
    assert (row.name, row.kind, row.is_active, row.country, row.website) == (
        "Partner CSO",
        OrganisationKind.cso,
        True,
        "MY",
        None,
    )


def test_admin_cannot_deactivate_their_own_organisation(
    client: TestClient, admin_headers: dict[str, str], admin: User, session: Session
) -> None:
    response = client.patch(
        f"{ORGANISATIONS}/{admin.organisation_id}", json={"is_active": False}, headers=admin_headers
    )

    body = assert_problem(response, 409)
    assert "own organisation" in body["detail"]
    session.expire_all()
    assert session.get(Organisation, admin.organisation_id).is_active is True  # type: ignore[union-attr]
    assert client.get(ME_PATH, headers=admin_headers).status_code == 200


def test_admin_can_rename_their_own_organisation(
    client: TestClient, admin_headers: dict[str, str], admin: User
) -> None:
    # The 409 above is about deactivation alone, not any change to one's own organisation.
    response = client.patch(
        f"{ORGANISATIONS}/{admin.organisation_id}",
        json={"name": "MFA secretariat", "is_active": True},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.json()["name"] == "MFA secretariat"


def _log_in(client: TestClient, email: str) -> Response:
    return client.post(TOKEN_PATH, data={"username": email, "password": ADMIN_PASSWORD})


def test_deactivating_an_organisation_stops_its_logins_and_tokens_at_once(
    client: TestClient,
    admin_headers: dict[str, str],
    partner: User,
    partner_organisation: Organisation,
    session: Session,
    settings: Settings,
) -> None:
    colleague = make_user(session, partner_organisation, Role.reader, "colleague@example.org")
    login_token = _log_in(client, partner.email).json()["access_token"]
    api_token = identity.issue_api_token(
        session,
        settings=settings,
        actor=None,
        data=ApiTokenCreate(
            name="sync", organisation_id=partner_organisation.id, scopes=[Scope.records_read]
        ),
    ).token
    for token in (login_token, api_token):
        assert client.get(ME_PATH, headers=bearer(token)).status_code == 200

    response = client.patch(
        f"{ORGANISATIONS}/{partner_organisation.id}",
        json={"is_active": False},
        headers=admin_headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    for token in (login_token, api_token):
        assert_problem(client.get(ME_PATH, headers=bearer(token)), 401)
        assert_problem(client.get(ORGANISATIONS, headers=bearer(token)), 401)
    for user in (partner, colleague):
        assert_problem(_log_in(client, user.email), 401)
    # The admin's own organisation is untouched.
    assert _log_in(client, "admin@example.org").status_code == 200

    reactivated = client.patch(
        f"{ORGANISATIONS}/{partner_organisation.id}",
        json={"is_active": True},
        headers=admin_headers,
    )

    assert reactivated.status_code == 200
    assert client.get(ME_PATH, headers=bearer(api_token)).status_code == 200
    assert _log_in(client, partner.email).status_code == 200


def test_deactivating_one_organisation_leaves_another_alone(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    session: Session,
) -> None:
    other = add_organisation(session, "Unrelated", "media")

    response = client.patch(
        f"{ORGANISATIONS}/{other.id}", json={"is_active": False}, headers=admin_headers
    )

    assert response.status_code == 200
    assert client.get(ME_PATH, headers=partner_headers).status_code == 200
