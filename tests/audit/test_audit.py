"""The audit log: who did what, under which request, newest first; append-only in the database."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, func, select

from app.audit.models import AuditEntry
from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.identity.models import Organisation, Role, User
from tests.conftest import ADMIN_PASSWORD, bearer, login_headers, make_user

AUDIT = "/api/v1/audit"
TOKEN_PATH = "/api/v1/auth/token"
NEW_USER_PASSWORD = "Brand-new user passphrase 42"
WRONG_PASSWORD = "Not-the-right-passphrase 17"
CHANGED_PASSWORD = "A changed passphrase, also long"
KATHMANDU = timezone(timedelta(hours=5, minutes=45))


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def entries(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def only(items: list[dict[str, Any]], action: str) -> dict[str, Any]:
    """The one entry for `action` made through the API (fixtures write without a request)."""
    matching = [
        item for item in items if item["action"] == action and item["request_id"] is not None
    ]
    assert len(matching) == 1, [item["action"] for item in items]
    return matching[0]


def entry_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


def rid(name: str) -> dict[str, str]:
    return {"X-Request-ID": name}


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def request_ids(items: list[dict[str, Any]]) -> list[str]:
    """The request ids of the entries made through the API (fixtures write without a request)."""
    return [item["request_id"] for item in items if item["request_id"] is not None]


# ---- access --------------------------------------------------------------------------------


def test_only_admins_read_the_audit_log(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    admin: User,
    settings: Settings,
    session: Session,
    secretariat: Organisation,
) -> None:
    editor = make_user(session, secretariat, Role.editor, "editor@example.org")

    assert client.get(AUDIT, headers=admin_headers).status_code == 200
    for headers in (
        partner_headers,
        login_headers(settings, editor),
        login_headers(settings, admin, scopes=("records:read", "records:write")),
    ):
        assert "admin" in assert_problem(client.get(AUDIT, headers=headers), 403)["detail"]
    assert_problem(client.get(AUDIT), 401)


# ---- what is recorded ----------------------------------------------------------------------


def test_login_success_and_failure_are_recorded_with_the_request_id(
    client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    ok = client.post(
        TOKEN_PATH,
        data={"username": "Admin@Example.org", "password": ADMIN_PASSWORD},
        headers=rid("login-ok-1"),
    )
    wrong = client.post(
        TOKEN_PATH,
        data={"username": admin.email, "password": WRONG_PASSWORD},
        headers=rid("login-wrong-password"),
    )
    unknown = client.post(
        TOKEN_PATH,
        data={"username": "Nobody@Example.org", "password": WRONG_PASSWORD},
        headers=rid("login-unknown-email"),
    )
    assert (ok.status_code, wrong.status_code, unknown.status_code) == (200, 401, 401)

    items = entries(client, admin_headers)

    succeeded = only(items, "auth.login_succeeded")
    assert succeeded["actor_user_id"] == str(admin.id)
    assert succeeded["actor_organisation_id"] == str(admin.organisation_id)
    assert succeeded["request_id"] == "login-ok-1" == ok.headers["X-Request-ID"]
    failed = {item["request_id"]: item for item in items if item["action"] == "auth.login_failed"}
    assert set(failed) == {"login-wrong-password", "login-unknown-email"}
    assert failed["login-wrong-password"]["details"] == {"email": admin.email}
    assert failed["login-wrong-password"]["actor_user_id"] == str(admin.id)
    assert failed["login-unknown-email"]["details"] == {"email": "nobody@example.org"}
    assert failed["login-unknown-email"]["actor_user_id"] is None


def test_a_generated_request_id_is_the_one_in_the_response(
    client: TestClient, admin_headers: dict[str, str], admin: User
) -> None:
    response = client.post(TOKEN_PATH, data={"username": admin.email, "password": "x"})

    assert response.status_code == 401
    entry = only(entries(client, admin_headers), "auth.login_failed")
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert len(entry["request_id"]) == 32


def test_api_token_issue_and_revocation_are_recorded(
    client: TestClient,
    admin: User,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    issued = client.post(
        "/api/v1/api-tokens",
        json={
            "name": "nightly sync",
            "organisation_id": str(partner_organisation.id),
            "scopes": ["records:read", "reports:write"],
        },
        headers=admin_headers | rid("issue-token"),
    )
    assert issued.status_code == 201, issued.text
    token_id = issued.json()["id"]
    revoked = client.delete(
        f"/api/v1/api-tokens/{token_id}", headers=admin_headers | rid("revoke-token")
    )
    assert revoked.status_code == 204

    items = entries(client, admin_headers)

    issue = only(items, "api_token.issued")
    assert issue["actor_user_id"] == str(admin.id)
    assert issue["request_id"] == "issue-token"
    assert issue["subject_type"] == "api_token"
    assert issue["subject_id"] == token_id
    assert issue["details"]["organisation_id"] == str(partner_organisation.id)
    assert issue["details"]["scopes"] == ["records:read", "reports:write"]
    revoke = only(items, "api_token.revoked")
    assert revoke["actor_user_id"] == str(admin.id)
    assert revoke["request_id"] == "revoke-token"
    assert revoke["subject_id"] == token_id
    assert [item["action"] for item in items].index("api_token.revoked") < [
        item["action"] for item in items
    ].index("api_token.issued")


def test_user_and_organisation_changes_are_recorded(
    client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    organisation = client.post(
        "/api/v1/organisations",
        json={"name": "Solidarity Centre", "kind": "trade_union", "country": "BD"},
        headers=admin_headers | rid("create-org"),
    ).json()
    renamed = client.patch(
        f"/api/v1/organisations/{organisation['id']}",
        json={"name": "Solidarity Center", "country": "NP"},
        headers=admin_headers | rid("update-org"),
    )
    user = client.post(
        "/api/v1/users",
        json={
            "email": "organiser@example.org",
            "full_name": "Organiser",
            "role": "partner",
            "organisation_id": organisation["id"],
            "password": NEW_USER_PASSWORD,
        },
        headers=admin_headers | rid("create-user"),
    ).json()
    deactivated = client.patch(
        f"/api/v1/users/{user['id']}",
        json={"is_active": False},
        headers=admin_headers | rid("update-user"),
    )
    assert (renamed.status_code, deactivated.status_code) == (200, 200)

    items = entries(client, admin_headers)

    expected = [
        ("organisation.created", "create-org", "organisation", organisation["id"]),
        ("organisation.updated", "update-org", "organisation", organisation["id"]),
        ("user.created", "create-user", "user", user["id"]),
        ("user.updated", "update-user", "user", user["id"]),
    ]
    for action, request_id, subject_type, subject_id in expected:
        entry = only(items, action)
        assert entry["actor_user_id"] == str(admin.id), action
        assert entry["actor_organisation_id"] == str(admin.organisation_id), action
        assert entry["request_id"] == request_id, action
        assert (entry["subject_type"], entry["subject_id"]) == (subject_type, subject_id)
    assert only(items, "organisation.created")["details"] == {
        "name": "Solidarity Centre",
        "kind": "trade_union",
    }
    assert only(items, "organisation.updated")["details"] == {"fields": ["country", "name"]}
    assert only(items, "user.created")["details"] == {
        "role": "partner",
        "organisation_id": organisation["id"],
    }
    assert only(items, "user.updated")["details"] == {"fields": ["is_active"]}


def test_an_api_token_acting_is_recorded_as_the_token_and_its_organisation(
    client: TestClient,
    admin_headers: dict[str, str],
    secretariat: Organisation,
) -> None:
    issued = client.post(
        "/api/v1/api-tokens",
        json={"name": "script", "organisation_id": str(secretariat.id), "scopes": ["admin"]},
        headers=admin_headers,
    ).json()

    created = client.post(
        "/api/v1/organisations",
        json={"name": "Made by a script", "kind": "other"},
        headers=bearer(issued["token"]) | rid("by-script"),
    )

    assert created.status_code == 201
    entry = only(entries(client, admin_headers), "organisation.created")
    assert entry["request_id"] == "by-script"
    assert entry["actor_user_id"] is None
    assert entry["actor_token_id"] == issued["id"]
    assert entry["actor_organisation_id"] == str(secretariat.id)


def test_entries_are_newest_first(
    client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    for number in range(4):
        client.post(
            TOKEN_PATH,
            data={"username": f"attempt{number}@example.org", "password": "x"},
            headers=rid(f"attempt-{number}"),
        )

    items = entries(client, admin_headers)

    assert request_ids(items) == [f"attempt-{n}" for n in (3, 2, 1, 0)]
    # Including the entries the fixtures wrote before any request.
    assert len(items) > 4
    times = [parse_time(item["occurred_at"]) for item in items]
    assert times == sorted(times, reverse=True)
    assert all(time.utcoffset() == timedelta(0) for time in times)


# ---- filters -------------------------------------------------------------------------------


@pytest.fixture
def history(
    client: TestClient, admin: User, partner: User, admin_headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Five entries by three actors (none, partner, admin), oldest first."""
    client.post(
        TOKEN_PATH, data={"username": "ghost@example.org", "password": "x"}, headers=rid("h0")
    )
    client.post(
        TOKEN_PATH, data={"username": partner.email, "password": ADMIN_PASSWORD}, headers=rid("h1")
    )
    client.post(TOKEN_PATH, data={"username": partner.email, "password": "x"}, headers=rid("h2"))
    client.post(
        "/api/v1/organisations",
        json={"name": "Filtered org", "kind": "media"},
        headers=admin_headers | rid("h3"),
    )
    client.post(
        TOKEN_PATH, data={"username": admin.email, "password": ADMIN_PASSWORD}, headers=rid("h4")
    )
    items = [item for item in entries(client, admin_headers) if item["request_id"] is not None]
    assert request_ids(items) == ["h4", "h3", "h2", "h1", "h0"]
    return items[::-1]


def test_filter_by_actor(
    client: TestClient,
    admin_headers: dict[str, str],
    admin: User,
    partner: User,
    history: list[dict[str, Any]],
) -> None:
    assert request_ids(entries(client, admin_headers, actor=str(partner.id))) == ["h2", "h1"]
    assert request_ids(entries(client, admin_headers, actor=str(admin.id))) == ["h4", "h3"]
    assert entries(client, admin_headers, actor="00000000-0000-4000-8000-000000000000") == []
    assert_problem(client.get(AUDIT, params={"actor": "admin"}, headers=admin_headers), 422)


def test_filter_by_action(
    client: TestClient, admin_headers: dict[str, str], history: list[dict[str, Any]]
) -> None:
    assert request_ids(entries(client, admin_headers, action="auth.login_failed")) == ["h2", "h0"]
    assert request_ids(entries(client, admin_headers, action="auth.login_succeeded")) == [
        "h4",
        "h1",
    ]
    assert request_ids(entries(client, admin_headers, action="organisation.created")) == ["h3"]
    assert entries(client, admin_headers, action="user.deleted") == []
    assert_problem(
        client.get(AUDIT, params={"action": "auth.login_failed' OR 1=1"}, headers=admin_headers),
        422,
    )


def test_since_is_inclusive_and_until_exclusive_whatever_the_offset(
    client: TestClient, admin_headers: dict[str, str], history: list[dict[str, Any]]
) -> None:
    second = parse_time(history[1]["occurred_at"])
    fourth = parse_time(history[3]["occurred_at"])

    def at(moment: datetime) -> str:
        return moment.astimezone(KATHMANDU).isoformat()

    assert at(second).endswith("+05:45")
    assert request_ids(entries(client, admin_headers, since=at(second))) == ["h4", "h3", "h2", "h1"]
    assert request_ids(entries(client, admin_headers, until=at(fourth))) == ["h2", "h1", "h0"]
    assert request_ids(entries(client, admin_headers, since=at(second), until=at(fourth))) == [
        "h2",
        "h1",
    ]
    later = at(second + timedelta(microseconds=1))
    assert request_ids(entries(client, admin_headers, since=later, until=at(fourth))) == ["h2"]
    z_form = fourth.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert request_ids(entries(client, admin_headers, since=z_form)) == ["h4", "h3"]


@pytest.mark.parametrize(
    "value",
    ["2026-01-31T12:00:00", "1700000000", "0", "2026-01-31", "yesterday", "2026-13-01T00:00:00Z"],
    ids=["naive", "unix-seconds", "zero", "date-only", "word", "bad-month"],
)
@pytest.mark.parametrize("name", ["since", "until"])
def test_a_time_without_offset_or_not_rfc3339_is_422(
    client: TestClient, admin_headers: dict[str, str], name: str, value: str
) -> None:
    response = client.get(AUDIT, params={name: value}, headers=admin_headers)

    body = assert_problem(response, 422)
    assert ["query", name] in [error["location"] for error in body["errors"]]


# ---- append-only ---------------------------------------------------------------------------


@pytest.fixture
def logged(session: Session, client: TestClient, admin: User) -> AuditEntry:
    client.post(TOKEN_PATH, data={"username": admin.email, "password": ADMIN_PASSWORD})
    session.expire_all()
    return session.exec(select(AuditEntry).where(AuditEntry.action == "auth.login_succeeded")).one()


def _rows(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    return [
        (entry.id, entry.action, entry.actor_user_id, entry.request_id, entry.details)
        for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    ]


def _assert_refused(session: Session, statement: Any) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        session.execute(statement)
    session.rollback()


def test_update_and_delete_statements_are_refused_by_the_database(
    session: Session, logged: AuditEntry
) -> None:
    before = _rows(session)
    assert before

    _assert_refused(session, sa.update(AuditEntry).values(action="auth.tampered"))
    _assert_refused(
        session, sa.update(AuditEntry).where(AuditEntry.id == logged.id).values(details={})
    )
    _assert_refused(session, sa.delete(AuditEntry))
    _assert_refused(session, sa.delete(AuditEntry).where(AuditEntry.id == logged.id))
    _assert_refused(session, sa.text("DELETE FROM audit_log"))

    assert _rows(session) == before


def test_orm_changes_and_deletes_are_refused_by_the_database(
    session: Session, logged: AuditEntry
) -> None:
    before = _rows(session)

    logged.action = "auth.tampered"
    session.add(logged)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        session.commit()
    session.rollback()

    session.delete(session.get(AuditEntry, logged.id))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        session.commit()
    session.rollback()

    assert _rows(session) == before


def test_inserting_is_still_allowed(session: Session, logged: AuditEntry) -> None:
    # The guard refuses changes, not the log itself: new entries go in.
    before = entry_count(session)
    session.add(AuditEntry(action="test.inserted"))
    session.commit()

    assert entry_count(session) == before + 1


# ---- failed writes and secrets -------------------------------------------------------------


def test_failed_writes_leave_no_entry(
    client: TestClient,
    admin: User,
    admin_headers: dict[str, str],
    partner: User,
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    before = entry_count(session)

    responses = [
        client.post(
            "/api/v1/organisations",
            json={"name": partner_organisation.name, "kind": "cso"},
            headers=admin_headers,
        ),
        client.patch(
            f"/api/v1/organisations/{admin.organisation_id}",
            json={"is_active": False},
            headers=admin_headers,
        ),
        client.post(
            "/api/v1/users",
            json={
                "email": "PARTNER@example.org",
                "full_name": "Duplicate",
                "organisation_id": str(partner_organisation.id),
                "password": NEW_USER_PASSWORD,
            },
            headers=admin_headers,
        ),
        client.post(
            "/api/v1/users",
            json={
                "email": "orphan@example.org",
                "full_name": "Orphan",
                "organisation_id": "00000000-0000-4000-8000-000000000000",
                "password": NEW_USER_PASSWORD,
            },
            headers=admin_headers,
        ),
        client.patch(f"/api/v1/users/{admin.id}", json={"role": "reader"}, headers=admin_headers),
        client.post(
            "/api/v1/api-tokens",
            json={
                "name": "too strong",
                "organisation_id": str(partner_organisation.id),
                "scopes": ["admin"],
            },
            headers=admin_headers,
        ),
        client.post(
            "/api/v1/organisations",
            json={"name": "By partner", "kind": "cso"},
            headers=partner_headers,
        ),
    ]

    assert [response.status_code for response in responses] == [409, 409, 409, 404, 409, 422, 403]
    assert entry_count(session) == before


def test_no_password_or_token_secret_appears_in_any_entry(
    client: TestClient,
    admin: User,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
) -> None:
    login = client.post(TOKEN_PATH, data={"username": admin.email, "password": ADMIN_PASSWORD})
    client.post(TOKEN_PATH, data={"username": admin.email, "password": WRONG_PASSWORD})
    created = client.post(
        "/api/v1/users",
        json={
            "email": "field.officer@example.org",
            "full_name": "Field officer",
            "role": "partner",
            "organisation_id": str(partner_organisation.id),
            "password": NEW_USER_PASSWORD,
        },
        headers=admin_headers,
    )
    officer = client.post(
        TOKEN_PATH, data={"username": "field.officer@example.org", "password": NEW_USER_PASSWORD}
    ).json()["access_token"]
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": NEW_USER_PASSWORD, "new_password": CHANGED_PASSWORD},
        headers=bearer(officer),
    )
    issued = client.post(
        "/api/v1/api-tokens",
        json={
            "name": "sync",
            "organisation_id": str(partner_organisation.id),
            "scopes": ["records:read"],
        },
        headers=admin_headers,
    )
    assert (created.status_code, changed.status_code, issued.status_code) == (201, 204, 201)
    session.expire_all()
    stored_hashes = [user.password_hash for user in session.exec(select(User)).all()]
    secrets = [
        ADMIN_PASSWORD,
        WRONG_PASSWORD,
        NEW_USER_PASSWORD,
        CHANGED_PASSWORD,
        login.json()["access_token"],
        officer,
        issued.json()["token"],
        admin_headers["Authorization"].removeprefix("Bearer "),
        *stored_hashes,
    ]

    listed = client.get(AUDIT, params={"limit": 200}, headers=admin_headers)
    rows = session.exec(select(AuditEntry)).all()

    actions = {item["action"] for item in listed.json()["items"]}
    assert {
        "auth.login_succeeded",
        "auth.login_failed",
        "user.created",
        "auth.password_changed",
        "api_token.issued",
    } <= actions
    dumped = [json.dumps(row.model_dump(mode="json")) for row in rows]
    assert len(dumped) == len(listed.json()["items"])
    for secret in secrets:
        # Also the second half, in case a secret were stored truncated or split.
        for fragment in (secret, secret[len(secret) // 2 :]):
            assert fragment not in listed.text
            assert not [text for text in dumped if fragment in text]
