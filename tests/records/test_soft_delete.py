"""DELETE hides a record from everyone but keeps it, with its history; restore brings it back;
only secretariat admins list deleted records."""

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.agreements.models import Agreement
from app.core.config import Settings
from app.identity.models import User
from tests.conftest import login_headers
from tests.records.helpers import (
    AGREEMENTS,
    create,
    listed_ids,
    ok,
    problem,
    read,
    revisions_of,
    table_of,
)


def _deleted_at(session: Session, record_id: str) -> object:
    table = table_of(Agreement)
    return session.execute(
        sa.select(table.c.deleted_at).where(table.c.id == uuid.UUID(record_id))
    ).scalar_one()


def test_a_deleted_record_is_not_found_anywhere_but_is_kept(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    kept = create(client, admin_headers, title="Kept")
    gone = create(client, admin_headers, title="Gone")
    path = f"{AGREEMENTS}/{gone['id']}"

    response = client.delete(path, headers=admin_headers)

    assert response.status_code == 204
    assert response.content == b""
    problem(client.get(path, headers=admin_headers), 404)
    problem(client.get(f"{path}/revisions", headers=admin_headers), 404)
    problem(client.patch(path, json={"title": "Changed"}, headers=admin_headers), 404)
    problem(client.delete(path, headers=admin_headers), 404)
    assert listed_ids(client, admin_headers) == [kept["id"]]
    assert listed_ids(client, admin_headers, q="gone") == []
    # Kept, with its history: a soft delete.
    assert _deleted_at(session, gone["id"]) is not None
    assert revisions_of(session, gone["id"]) == 2


def test_restoring_brings_the_record_back_as_it_was_with_a_new_version(
    client: TestClient, admin_headers: dict[str, str], editor: User, editor_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, sectors=["care"], summary="As it was.")
    path = f"{AGREEMENTS}/{created['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204

    response = client.post(f"{path}/restore", headers=editor_headers)

    restored = ok(response)
    assert response.headers["etag"] == '"3"'
    assert restored["version"] == 3
    assert restored["updated_by"] == f"user:{editor.id}"
    bookkeeping = {"version", "updated_at", "updated_by"}
    assert {k: v for k, v in restored.items() if k not in bookkeeping} == {
        k: v for k, v in created.items() if k not in bookkeeping
    }
    assert read(client, admin_headers, created["id"]) == restored
    assert listed_ids(client, admin_headers) == [created["id"]]


def test_restoring_a_record_that_is_not_deleted_is_404(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)

    problem(client.post(f"{AGREEMENTS}/{created['id']}/restore", headers=admin_headers), 404)
    problem(client.post(f"{AGREEMENTS}/{uuid.uuid4()}/restore", headers=admin_headers), 404)
    assert read(client, admin_headers, created["id"])["version"] == 1
    assert revisions_of(session, created["id"]) == 1


def test_an_admin_lists_deleted_records_with_include_deleted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    kept = create(client, admin_headers, title="Kept")
    gone = create(client, admin_headers, title="Gone")
    assert client.delete(f"{AGREEMENTS}/{gone['id']}", headers=admin_headers).status_code == 204

    listed = ok(client.get(AGREEMENTS, params={"include_deleted": "true"}, headers=admin_headers))

    assert [item["id"] for item in listed["items"]] == [kept["id"], gone["id"]]
    assert listed["items"][1]["version"] == 2
    assert listed_ids(client, admin_headers, include_deleted="false") == [kept["id"]]
    assert listed_ids(client, admin_headers, include_deleted="true", q="gone") == [gone["id"]]


@pytest.mark.parametrize("caller", ["editor", "partner", "narrowed_admin"])
def test_include_deleted_is_403_for_anyone_but_a_secretariat_admin(
    client: TestClient,
    request: pytest.FixtureRequest,
    settings: Settings,
    admin_headers: dict[str, str],
    caller: str,
) -> None:
    gone = create(client, admin_headers)
    assert client.delete(f"{AGREEMENTS}/{gone['id']}", headers=admin_headers).status_code == 204
    if caller == "narrowed_admin":
        # An admin's token narrowed to reading records lacks the admin scope.
        headers = login_headers(settings, request.getfixturevalue("admin"), ("records:read",))
    else:
        headers = request.getfixturevalue(f"{caller}_headers")

    response = client.get(AGREEMENTS, params={"include_deleted": "true"}, headers=headers)

    problem(response, 403)
    csv = client.get(
        AGREEMENTS, params={"include_deleted": "true"}, headers={**headers, "Accept": "text/csv"}
    )
    problem(csv, 403)
