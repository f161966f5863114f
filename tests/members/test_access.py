"""Who may write parliamentarians: editors and admins (records:write) do, wherever they work;
partner users, partner API tokens and readers only read, and a refused write changes nothing."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.members.models import Membership, Parliamentarian
from app.records.models import ChangeEvent, Revision
from tests.members.helpers import (
    CONTACT,
    PARLIAMENTARIANS,
    Headers,
    assert_problem,
    body,
    create,
    listed_ids,
    ok,
    read,
)

READ_ONLY = ["partner", "partner-api-token", "reader"]
WRITERS = ["admin", "editor", "secretariat-api-token", "parliament-editor"]


def stored(session: Session) -> tuple[int, int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Parliamentarian)).one(),
        session.exec(select(func.count()).select_from(Membership)).one(),
        session.exec(select(func.count()).select_from(Revision)).one(),
        session.exec(select(func.count()).select_from(ChangeEvent)).one(),
    )


@pytest.mark.parametrize("caller", READ_ONLY)
def test_read_only_callers_get_403_on_every_write_and_nothing_changes(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    given = [{"role": "member", "started_on": "2020-01-01", "ended_on": None}]
    created = create(client, admin_headers, visibility="public", memberships=given, contact=CONTACT)
    path = f"{PARLIAMENTARIANS}/{created['id']}"
    before = stored(session)

    assert_problem(client.post(PARLIAMENTARIANS, json=body(name="New"), headers=headers), 403)
    assert_problem(
        client.patch(path, json={"party": "Akbayan", "memberships": []}, headers=headers), 403
    )
    assert_problem(client.delete(path, headers=headers), 403)

    assert stored(session) == before
    assert read(client, admin_headers, created["id"]) == created
    assert listed_ids(client, headers) == {created["id"]}  # they still read it

    assert client.delete(path, headers=admin_headers).status_code == 204
    assert_problem(client.post(f"{path}/restore", headers=headers), 403)
    assert_problem(client.get(path, headers=admin_headers), 404)


@pytest.mark.parametrize("caller", WRITERS)
def test_editors_and_admins_create_patch_and_delete(
    client: TestClient, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)

    created = create(client, headers)
    path = f"{PARLIAMENTARIANS}/{created['id']}"
    changed = ok(client.patch(path, json={"party": "Akbayan"}, headers=headers))
    assert (changed["party"], changed["version"]) == ("Akbayan", 2)
    assert client.delete(path, headers=headers).status_code == 204
    assert_problem(client.get(path, headers=headers), 404)


def test_a_caller_without_a_token_gets_401(client: TestClient) -> None:
    assert_problem(client.get(PARLIAMENTARIANS), 401)
    assert_problem(client.post(PARLIAMENTARIANS, json=body()), 401)
