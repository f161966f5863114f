"""Accounts, managed by the secretariat's admins: roles, organisations, deactivation."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, col, func, select

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.security import verify_password
from app.identity.models import Organisation, Role, User
from tests.conftest import ADMIN_PASSWORD, bearer, login_headers, make_user

USERS = "/api/v1/users"
TOKEN_PATH = "/api/v1/auth/token"
ME_PATH = "/api/v1/auth/me"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NEW_PASSWORD = "a long and quite memorable passphrase"


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    return body


def user_body(organisation: Organisation, **fields: Any) -> dict[str, Any]:
    return {
        "email": "new.person@example.org",
        "full_name": "New Person",
        "role": "editor",
        "organisation_id": str(organisation.id),
        "password": NEW_PASSWORD,
        **fields,
    }


def log_in(client: TestClient, email: str, password: str) -> Response:
    return client.post(TOKEN_PATH, data={"username": email, "password": password})


def stored_user(session: Session, email: str) -> User | None:
    session.expire_all()
    return session.exec(select(User).where(User.email == email)).first()


def user_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(User)).one()


def assert_no_password_in(response: Response, *passwords: str) -> None:
    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [k for key, item in value.items() for k in [key, *keys(item)]]
        if isinstance(value, list):
            return [k for item in value for k in keys(item)]
        return []

    assert [key for key in keys(response.json()) if "password" in key] == []
    for password in passwords:
        assert password not in response.text


# ---- creating ------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_log_in(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    response = client.post(USERS, json=user_body(partner_organisation), headers=admin_headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "new.person@example.org"
    assert body["full_name"] == "New Person"
    assert body["role"] == "editor"
    assert body["organisation_id"] == str(partner_organisation.id)
    assert body["is_active"] is True
    assert_no_password_in(response, NEW_PASSWORD)
    row = stored_user(session, "new.person@example.org")
    assert row is not None
    assert str(row.id) == body["id"]

    token = log_in(client, "new.person@example.org", NEW_PASSWORD)
    assert token.status_code == 200
    me = client.get(ME_PATH, headers=bearer(token.json()["access_token"])).json()
    assert me["user"]["id"] == body["id"]
    assert me["role"] == "editor"
    assert me["organisation"]["id"] == str(partner_organisation.id)
    assert me["scopes"] == ["records:read", "records:write", "reports:write"]


def test_the_password_is_stored_as_an_argon2_hash(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    response = client.post(USERS, json=user_body(partner_organisation), headers=admin_headers)

    assert response.status_code == 201
    row = stored_user(session, "new.person@example.org")
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in row.password_hash
    assert verify_password(NEW_PASSWORD, row.password_hash)
    assert not verify_password(NEW_PASSWORD + "!", row.password_hash)


def test_the_password_is_never_returned(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    created = client.post(USERS, json=user_body(partner_organisation), headers=admin_headers)
    user_id = created.json()["id"]
    row = stored_user(session, "new.person@example.org")
    assert row is not None

    responses = [
        created,
        client.get(f"{USERS}/{user_id}", headers=admin_headers),
        client.get(USERS, headers=admin_headers),
        client.patch(f"{USERS}/{user_id}", json={"full_name": "Renamed"}, headers=admin_headers),
    ]

    for response in responses:
        assert response.status_code in {200, 201}
        assert_no_password_in(response, NEW_PASSWORD, row.password_hash)


@pytest.mark.parametrize("length", [12, 128])
def test_passwords_of_12_to_128_characters_are_accepted(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    length: int,
) -> None:
    password = ("correct-horse-" * 10)[:length]
    assert len(password) == length

    response = client.post(
        USERS, json=user_body(partner_organisation, password=password), headers=admin_headers
    )

    assert response.status_code == 201, response.text
    assert log_in(client, "new.person@example.org", password).status_code == 200


@pytest.mark.parametrize("length", [0, 11, 129])
def test_passwords_outside_12_to_128_characters_are_refused(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
    length: int,
) -> None:
    password = ("Secret-Zebra-" * 10)[:length]
    before = user_count(session)

    response = client.post(
        USERS, json=user_body(partner_organisation, password=password), headers=admin_headers
    )

    body = assert_problem(response, 422)
    assert ["body", "password"] in [error["location"] for error in body["errors"]]
    if password:
        assert password not in response.text
    assert user_count(session) == before


def test_the_email_is_stored_lower_cased(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    response = client.post(
        USERS,
        json=user_body(partner_organisation, email="Mixed.Case@Example.ORG"),
        headers=admin_headers,
    )

    assert response.status_code == 201
    assert response.json()["email"] == "mixed.case@example.org"
    assert log_in(client, "MIXED.case@example.org", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize("email", ["admin@example.org", "ADMIN@Example.org", " Admin@example.ORG"])
def test_an_email_in_use_is_a_conflict_whatever_its_case(
    client: TestClient,
    admin_headers: dict[str, str],
    admin: User,
    partner_organisation: Organisation,
    session: Session,
    email: str,
) -> None:
    before = user_count(session)

    response = client.post(
        USERS, json=user_body(partner_organisation, email=email), headers=admin_headers
    )

    body = assert_problem(response, 409)
    assert "already exists" in body["detail"]
    assert user_count(session) == before
    # The existing account is untouched: still the admin's, with the admin's password.
    assert log_in(client, "admin@example.org", ADMIN_PASSWORD).status_code == 200


@pytest.mark.parametrize("email", ["not-an-address", "someone@localhost.test", ""])
def test_an_invalid_email_is_refused(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
    email: str,
) -> None:
    before = user_count(session)

    response = client.post(
        USERS, json=user_body(partner_organisation, email=email), headers=admin_headers
    )

    assert_problem(response, 422)
    assert user_count(session) == before


@pytest.mark.parametrize("role", ["admin", "editor", "partner", "reader"])
def test_the_role_given_is_the_role_the_user_acts_with(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    role: str,
) -> None:
    created = client.post(
        USERS, json=user_body(partner_organisation, role=role), headers=admin_headers
    )

    assert created.status_code == 201
    assert created.json()["role"] == role
    token = log_in(client, "new.person@example.org", NEW_PASSWORD).json()["access_token"]
    me = client.get(ME_PATH, headers=bearer(token)).json()
    assert me["role"] == role


def test_an_unknown_role_is_refused(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    response = client.post(
        USERS, json=user_body(partner_organisation, role="superuser"), headers=admin_headers
    )

    assert_problem(response, 422)


def test_an_unknown_organisation_is_a_404(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    before = user_count(session)

    response = client.post(
        USERS,
        json=user_body(partner_organisation, organisation_id=UNKNOWN_ID),
        headers=admin_headers,
    )

    body = assert_problem(response, 404)
    assert "organisation" in body["detail"]
    assert user_count(session) == before


def test_a_user_created_inactive_cannot_log_in(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    response = client.post(
        USERS, json=user_body(partner_organisation, is_active=False), headers=admin_headers
    )

    assert response.status_code == 201
    assert response.json()["is_active"] is False
    assert_problem(log_in(client, "new.person@example.org", NEW_PASSWORD), 401)


def test_fields_outside_the_schema_are_refused(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    response = client.post(
        USERS,
        json=user_body(partner_organisation, password_hash="$argon2id$forged"),
        headers=admin_headers,
    )

    assert_problem(response, 422)
    assert stored_user(session, "new.person@example.org") is None


# ---- reading and listing -------------------------------------------------------------------


def test_read_one_user_and_an_unknown_id(
    client: TestClient, admin_headers: dict[str, str], partner: User
) -> None:
    found = client.get(f"{USERS}/{partner.id}", headers=admin_headers)
    missing = client.get(f"{USERS}/{UNKNOWN_ID}", headers=admin_headers)
    patched_missing = client.patch(
        f"{USERS}/{UNKNOWN_ID}", json={"full_name": "Ghost"}, headers=admin_headers
    )

    assert found.status_code == 200
    assert found.json()["email"] == partner.email
    assert found.json()["role"] == "partner"
    for response in (missing, patched_missing):
        assert assert_problem(response, 404)["detail"] == "No user with this id."


@pytest.fixture
def people(
    session: Session, admin: User, partner: User, partner_organisation: Organisation
) -> dict[str, User]:
    secretariat = session.get(Organisation, admin.organisation_id)
    assert secretariat is not None
    editor = make_user(session, secretariat, Role.editor, "editor@example.org")
    reader = make_user(session, partner_organisation, Role.reader, "reader@example.org")
    reader.full_name = "Siti Rahmawati"
    reader.is_active = False
    session.add(reader)
    session.commit()
    return {"admin": admin, "partner": partner, "editor": editor, "reader": reader}


def listed_emails(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get(USERS, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["email"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["admin", "partner", "editor", "reader"]),
        ({"role": "editor"}, ["editor"]),
        ({"role": "reader"}, ["reader"]),
        ({"role": "admin"}, ["admin"]),
        ({"organisation": "partner"}, ["partner", "reader"]),
        ({"organisation": "secretariat"}, ["admin", "editor"]),
        ({"is_active": "false"}, ["reader"]),
        ({"is_active": "true"}, ["admin", "partner", "editor"]),
        ({"q": "EDITOR@"}, ["editor"]),
        ({"q": "rahmawati"}, ["reader"]),
        ({"q": "Test partner"}, ["partner"]),
        ({"q": "example.org"}, ["admin", "partner", "editor", "reader"]),
        ({"q": "nobody"}, []),
        ({"organisation": "partner", "is_active": "true"}, ["partner"]),
        ({"role": "admin", "organisation": "partner"}, []),
    ],
    ids=lambda value: (
        "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None
    ),
)
def test_list_filters(
    client: TestClient,
    admin_headers: dict[str, str],
    people: dict[str, User],
    filters: dict[str, str],
    expected: list[str],
) -> None:
    params = dict(filters)
    if "organisation" in params:
        owner = people["admin" if params.pop("organisation") == "secretariat" else "partner"]
        params["organisation_id"] = str(owner.organisation_id)

    emails = listed_emails(client, admin_headers, **params)

    # Oldest first, as created by the fixture.
    assert emails == [people[key].email for key in expected]


def test_q_matches_underscore_literally(
    client: TestClient, admin_headers: dict[str, str], partner_organisation: Organisation
) -> None:
    for email in ("ann_lee@example.org", "annalee@example.org"):
        created = client.post(
            USERS, json=user_body(partner_organisation, email=email), headers=admin_headers
        )
        assert created.status_code == 201

    assert listed_emails(client, admin_headers, q="ann_") == ["ann_lee@example.org"]


@pytest.mark.parametrize(
    "params",
    [{"role": "superuser"}, {"organisation_id": "acme"}, {"is_active": "sometimes"}, {"q": ""}],
    ids=["role", "organisation_id", "is_active", "empty-q"],
)
def test_invalid_list_filters_are_422(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    assert_problem(client.get(USERS, params=params, headers=admin_headers), 422)


# ---- updating ------------------------------------------------------------------------------


def test_demoting_an_editor_narrows_their_existing_token_at_once(
    client: TestClient,
    admin_headers: dict[str, str],
    session: Session,
    secretariat: Organisation,
) -> None:
    editor = make_user(session, secretariat, Role.editor, "editor@example.org")
    token = log_in(client, editor.email, ADMIN_PASSWORD).json()["access_token"]
    before = client.get(ME_PATH, headers=bearer(token)).json()
    assert "records:write" in before["scopes"]

    response = client.patch(f"{USERS}/{editor.id}", json={"role": "reader"}, headers=admin_headers)

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "reader"
    after = client.get(ME_PATH, headers=bearer(token))
    assert after.status_code == 200
    assert after.json()["role"] == "reader"
    assert after.json()["scopes"] == ["records:read"]
    session.expire_all()
    assert session.get(User, editor.id).role is Role.reader  # type: ignore[union-attr]


def test_promoting_a_reader_does_not_widen_a_token_issued_before(
    client: TestClient,
    admin_headers: dict[str, str],
    session: Session,
    secretariat: Organisation,
) -> None:
    reader = make_user(session, secretariat, Role.reader, "reader@example.org")
    token = log_in(client, reader.email, ADMIN_PASSWORD).json()["access_token"]

    response = client.patch(f"{USERS}/{reader.id}", json={"role": "editor"}, headers=admin_headers)

    assert response.status_code == 200
    assert client.get(ME_PATH, headers=bearer(token)).json()["scopes"] == ["records:read"]
    fresh = log_in(client, reader.email, ADMIN_PASSWORD).json()["access_token"]
    assert "records:write" in client.get(ME_PATH, headers=bearer(fresh)).json()["scopes"]


def test_deactivating_a_user_stops_their_token_and_logins_at_once(
    client: TestClient,
    admin_headers: dict[str, str],
    partner: User,
) -> None:
    token = log_in(client, partner.email, ADMIN_PASSWORD).json()["access_token"]
    assert client.get(ME_PATH, headers=bearer(token)).status_code == 200

    response = client.patch(
        f"{USERS}/{partner.id}", json={"is_active": False}, headers=admin_headers
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_problem(client.get(ME_PATH, headers=bearer(token)), 401)
    assert_problem(client.get("/api/v1/organisations", headers=bearer(token)), 401)
    assert_problem(log_in(client, partner.email, ADMIN_PASSWORD), 401)

    reactivated = client.patch(
        f"{USERS}/{partner.id}", json={"is_active": True}, headers=admin_headers
    )

    assert reactivated.status_code == 200
    assert log_in(client, partner.email, ADMIN_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"role": "editor"}, {"role": "reader"}, {"organisation": "partner"}],
    ids=["deactivate", "demote-to-editor", "demote-to-reader", "leave-the-secretariat"],
)
def test_admin_cannot_deactivate_or_demote_themselves(
    client: TestClient,
    admin_headers: dict[str, str],
    admin: User,
    session: Session,
    partner_organisation: Organisation,
    change: dict[str, Any],
) -> None:
    if change.get("organisation") == "partner":
        change = {"organisation_id": str(partner_organisation.id)}

    response = client.patch(f"{USERS}/{admin.id}", json=change, headers=admin_headers)

    body = assert_problem(response, 409)
    assert "yourself" in body["detail"]
    session.expire_all()
    row = session.get(User, admin.id)
    assert row is not None
    assert (row.role, row.is_active, row.organisation_id) == (
        Role.admin,
        True,
        admin.organisation_id,
    )
    assert client.get(ME_PATH, headers=admin_headers).json()["scopes"] == [
        "admin",
        "records:read",
        "records:write",
        "reports:write",
    ]


def test_admin_may_make_no_op_changes_to_themselves(
    client: TestClient, admin_headers: dict[str, str], admin: User
) -> None:
    response = client.patch(
        f"{USERS}/{admin.id}",
        json={"role": "admin", "is_active": True, "full_name": "Head of secretariat"},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Head of secretariat"


def test_admin_can_deactivate_and_demote_another_admin(
    client: TestClient,
    admin_headers: dict[str, str],
    session: Session,
    secretariat: Organisation,
) -> None:
    other = make_user(session, secretariat, Role.admin, "second.admin@example.org")
    other_headers = bearer(log_in(client, other.email, ADMIN_PASSWORD).json()["access_token"])

    demoted = client.patch(f"{USERS}/{other.id}", json={"role": "editor"}, headers=admin_headers)

    assert demoted.status_code == 200
    assert_problem(client.get(USERS, headers=other_headers), 403)

    deactivated = client.patch(
        f"{USERS}/{other.id}", json={"is_active": False}, headers=admin_headers
    )

    assert deactivated.status_code == 200
    assert_problem(client.get(ME_PATH, headers=other_headers), 401)


def test_changing_the_email_to_one_in_use_is_a_conflict(
    client: TestClient, admin_headers: dict[str, str], partner: User, session: Session
) -> None:
    response = client.patch(
        f"{USERS}/{partner.id}", json={"email": "Admin@Example.org"}, headers=admin_headers
    )

    assert_problem(response, 409)
    assert stored_user(session, "partner@example.org") is not None


def test_moving_a_user_to_an_unknown_organisation_is_a_404(
    client: TestClient, admin_headers: dict[str, str], partner: User, session: Session
) -> None:
    response = client.patch(
        f"{USERS}/{partner.id}", json={"organisation_id": UNKNOWN_ID}, headers=admin_headers
    )

    assert_problem(response, 404)
    session.expire_all()
    assert session.get(User, partner.id).organisation_id == partner.organisation_id  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["email", "full_name", "role", "organisation_id", "is_active"])
def test_required_fields_cannot_be_nulled(
    client: TestClient, admin_headers: dict[str, str], partner: User, field: str
) -> None:
    response = client.patch(f"{USERS}/{partner.id}", json={field: None}, headers=admin_headers)

    assert_problem(response, 422)


def test_the_password_cannot_be_set_through_patch(
    client: TestClient, admin_headers: dict[str, str], partner: User
) -> None:
    response = client.patch(
        f"{USERS}/{partner.id}", json={"password": NEW_PASSWORD}, headers=admin_headers
    )

    assert_problem(response, 422)
    assert log_in(client, partner.email, ADMIN_PASSWORD).status_code == 200


# ---- who may -------------------------------------------------------------------------------


@pytest.fixture
def non_admins(
    session: Session, partner: User, secretariat: Organisation, settings: Settings
) -> dict[str, dict[str, str]]:
    editor = make_user(session, secretariat, Role.editor, "editor@example.org")
    return {
        "partner": login_headers(settings, partner),
        "secretariat editor": login_headers(settings, editor),
    }


@pytest.mark.parametrize("who", ["partner", "secretariat editor"])
def test_non_admins_are_refused_every_user_operation(
    client: TestClient,
    non_admins: dict[str, dict[str, str]],
    partner: User,
    partner_organisation: Organisation,
    session: Session,
    who: str,
) -> None:
    headers = non_admins[who]
    before = user_count(session)

    responses = [
        client.get(USERS, headers=headers),
        client.get(f"{USERS}/{partner.id}", headers=headers),
        client.post(USERS, json=user_body(partner_organisation), headers=headers),
        client.patch(f"{USERS}/{partner.id}", json={"role": "admin"}, headers=headers),
    ]

    for response in responses:
        assert "admin" in assert_problem(response, 403)["detail"]
    assert user_count(session) == before
    session.expire_all()
    assert session.get(User, partner.id).role is Role.partner  # type: ignore[union-attr]


def test_an_admin_token_narrowed_at_login_cannot_manage_users(
    client: TestClient, admin: User, settings: Settings
) -> None:
    narrowed = login_headers(settings, admin, scopes=("records:read",))

    assert_problem(client.get(USERS, headers=narrowed), 403)
    assert client.get(USERS, headers=login_headers(settings, admin)).status_code == 200


def test_anonymous_callers_are_401(client: TestClient, partner: User) -> None:
    assert_problem(client.get(USERS), 401)
    assert_problem(client.get(f"{USERS}/{partner.id}"), 401)


def test_users_are_listed_with_their_organisation(
    client: TestClient, admin_headers: dict[str, str], people: dict[str, User], session: Session
) -> None:
    response = client.get(USERS, headers=admin_headers)

    session.expire_all()
    expected = {
        str(user.id): str(user.organisation_id)
        for user in session.exec(select(User).order_by(col(User.created_at))).all()
    }
    assert {item["id"]: item["organisation_id"] for item in response.json()["items"]} == expected
