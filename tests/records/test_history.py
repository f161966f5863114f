"""Every write leaves, in its own transaction, a revision snapshot, an audit entry and a change
event; a write that fails leaves none of them, and a write that changes nothing writes nothing."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEntry
from app.identity.models import Organisation, User
from app.records.models import ChangeEvent
from tests.records.helpers import (
    AGREEMENTS,
    body,
    create,
    ok,
    problem,
    read,
    table_contents,
    table_of,
)


class InjectedFailureError(Exception):
    """A statement the database refuses, as a full disk or a broken constraint would."""


def _is_change_event_insert(statement: str) -> bool:
    return statement.lstrip().lower().startswith("insert into change_events")


@contextmanager
def failing(engine: sa.Engine, at: str) -> Iterator[None]:
    """Make the next record write fail: at its change-event insert, or at its commit.

    `commit_refused`: the database refuses the COMMIT and ends the transaction (PostgreSQL, or
    SQLite on most errors). `commit_left_open`: it refuses the COMMIT and the transaction stays
    open, as SQLite's SQLITE_BUSY does ("the COMMIT can be retried later").
    """
    dialect = engine.dialect
    commit = dialect.do_commit
    armed = {"commit": False}

    def before_cursor_execute(*args: Any) -> None:
        if _is_change_event_insert(args[2]):
            if at == "change_event":
                raise InjectedFailureError("change event insert refused")
            armed["commit"] = True

    def do_commit(dbapi_connection: Any) -> None:
        if not armed["commit"]:
            commit(dbapi_connection)
            return
        armed["commit"] = False
        if at == "commit_refused":
            dbapi_connection.rollback()
        raise dialect.loaded_dbapi.OperationalError("injected: commit refused")

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)
        del dialect.do_commit


def _events(session: Session) -> list[Any]:
    table = table_of(ChangeEvent)
    return list(session.execute(sa.select(table).order_by(table.c.seq)))


def _audit_actions(session: Session, record_id: str) -> list[Any]:
    table = table_of(AuditEntry)
    return list(
        session.execute(
            sa.select(table)
            .where(table.c.subject_type == "agreement", table.c.subject_id == record_id)
            .order_by(table.c.occurred_at)
        )
    )


def _write_all_four(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Create, update, delete and restore one agreement; the record as the API returned it
    after the create, the update and the restore."""
    created = create(client, headers)
    path = f"{AGREEMENTS}/{created['id']}"
    updated = ok(
        client.patch(path, json={"title": "Renamed", "sectors": ["care"]}, headers=headers)
    )
    assert client.delete(path, headers=headers).status_code == 204
    restored = ok(client.post(f"{path}/restore", headers=headers))
    return [created, updated, restored]


def test_each_write_leaves_a_revision_listed_newest_first(
    client: TestClient, admin: User, admin_headers: dict[str, str], secretariat: Organisation
) -> None:
    created, updated, restored = _write_all_four(client, admin_headers)

    page = ok(client.get(f"{AGREEMENTS}/{created['id']}/revisions", headers=admin_headers))

    assert page["next_cursor"] is None
    revisions = page["items"]
    assert [r["version"] for r in revisions] == [4, 3, 2, 1]
    assert [r["action"] for r in revisions] == ["restored", "deleted", "updated", "created"]
    assert [r["changed_fields"] for r in revisions] == [
        [],
        [],
        ["sectors", "title"],
        ["kind", "parties", "status", "title", "visibility"],
    ]
    for revision in revisions:
        assert revision["actor"] == f"user:{admin.id}"
        assert revision["actor_organisation_id"] == str(secretariat.id)
        assert revision["occurred_at"] == revision["snapshot"]["updated_at"]
    assert [revisions[3]["snapshot"], revisions[2]["snapshot"], revisions[0]["snapshot"]] == [
        created,
        updated,
        restored,
    ]
    deleted = revisions[1]["snapshot"]
    assert deleted == {**updated, "version": 3, "updated_at": deleted["updated_at"]}
    moments = [datetime.fromisoformat(s["updated_at"]) for s in (updated, deleted, restored)]
    assert moments == sorted(set(moments))


def test_revisions_are_paged_newest_first(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    record_id = _write_all_four(client, admin_headers)[0]["id"]
    path = f"{AGREEMENTS}/{record_id}/revisions"

    first = ok(client.get(path, params={"limit": 3}, headers=admin_headers))
    rest = ok(client.get(path, params={"cursor": first["next_cursor"]}, headers=admin_headers))

    assert [r["version"] for r in first["items"]] == [4, 3, 2]
    assert [r["version"] for r in rest["items"]] == [1]
    assert rest["next_cursor"] is None


def test_each_write_leaves_an_audit_entry(
    client: TestClient,
    session: Session,
    admin: User,
    admin_headers: dict[str, str],
    secretariat: Organisation,
) -> None:
    record_id = _write_all_four(client, admin_headers)[0]["id"]

    entries = _audit_actions(session, record_id)

    assert [entry.action for entry in entries] == [
        "agreement.created",
        "agreement.updated",
        "agreement.deleted",
        "agreement.restored",
    ]
    assert [entry.details["version"] for entry in entries] == [1, 2, 3, 4]
    assert entries[1].details["fields"] == ["sectors", "title"]
    for entry in entries:
        assert entry.actor_user_id == admin.id
        assert entry.actor_organisation_id == secretariat.id


def test_each_write_leaves_a_change_event_numbered_in_the_order_of_the_writes(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    partner_editor_headers: dict[str, str],
    partner_organisation: Organisation,
    secretariat: Organisation,
) -> None:
    first = create(client, admin_headers)
    second = create(client, partner_editor_headers, visibility="restricted")
    a, b = (f"{AGREEMENTS}/{first['id']}", f"{AGREEMENTS}/{second['id']}")
    ok(client.patch(a, json={"status": "expired"}, headers=admin_headers))
    assert client.delete(b, headers=partner_editor_headers).status_code == 204
    ok(client.patch(a, json={"visibility": "public"}, headers=admin_headers))
    ok(client.post(f"{b}/restore", headers=partner_editor_headers))

    events = _events(session)

    assert [(str(event.record_id), event.action) for event in events] == [
        (first["id"], "created"),
        (second["id"], "created"),
        (first["id"], "updated"),
        (second["id"], "deleted"),
        (first["id"], "updated"),
        (second["id"], "restored"),
    ]
    seqs = [event.seq for event in events]
    assert seqs == sorted(set(seqs))
    assert {event.record_type for event in events} == {"agreement"}
    # Who may see the record after each write travels with its event.
    assert [event.visibility for event in events] == [
        "partners",
        "restricted",
        "partners",
        "restricted",
        "public",
        "restricted",
    ]
    owners = [event.organisation_id for event in events]
    assert owners == [secretariat.id, partner_organisation.id] * 3


# ---- failed writes -------------------------------------------------------------------------


def _prepare(client: TestClient, headers: dict[str, str], action: str) -> str | None:
    """The agreement the action will write to, if any."""
    if action == "create":
        return None
    record_id: str = create(client, headers)["id"]
    if action == "restore":
        assert client.delete(f"{AGREEMENTS}/{record_id}", headers=headers).status_code == 204
    return record_id


def _attempt(
    client: TestClient, headers: dict[str, str], action: str, record_id: str | None
) -> Any:
    path = f"{AGREEMENTS}/{record_id}"
    if action == "create":
        return client.post(AGREEMENTS, json=body(title="Never recorded"), headers=headers)
    if action == "update":
        return client.patch(path, json={"title": "Never renamed"}, headers=headers)
    if action == "delete":
        return client.delete(path, headers=headers)
    return client.post(f"{path}/restore", headers=headers)


@pytest.mark.parametrize("at", ["change_event", "commit_refused"])
@pytest.mark.parametrize("action", ["create", "update", "delete", "restore"])
def test_a_write_that_fails_leaves_no_change_revision_audit_entry_or_event(
    app: FastAPI,
    failing_client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    action: str,
    at: str,
) -> None:
    record_id = _prepare(failing_client, admin_headers, action)
    before = table_contents(session)
    readable_before = None
    if record_id is not None:
        readable_before = failing_client.get(f"{AGREEMENTS}/{record_id}", headers=admin_headers)

    with failing(app.state.engine, at):
        response = _attempt(failing_client, admin_headers, action, record_id)

    # A database that refuses is worth retrying; a failure of the service's own is not.
    problem(response, 503 if at == "commit_refused" else 500)
    assert table_contents(session) == before
    if record_id is not None:
        assert readable_before is not None
        after = failing_client.get(f"{AGREEMENTS}/{record_id}", headers=admin_headers)
        assert after.status_code == readable_before.status_code
        if after.status_code == 200:
            assert after.json() == readable_before.json()


def test_a_write_whose_commit_fails_leaves_no_transaction_open_for_later_requests(
    app: FastAPI,
    failing_client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
) -> None:
    record_id = create(failing_client, admin_headers)["id"]
    before = table_contents(session)

    with failing(app.state.engine, "commit_left_open"):
        response = _attempt(failing_client, admin_headers, "update", record_id)

    problem(response, 503)
    assert table_contents(session) == before
    # Whatever pooled connection they get, later writes and reads work and see nothing of it.
    for n in range(3):
        create(failing_client, admin_headers, title=f"Later {n}")
    assert read(failing_client, admin_headers, record_id)["version"] == 1
    assert len(_events(session)) == len(before["change_events"]) + 3


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": body()["title"]},
        {"parties": body()["parties"]},
        {"sectors": ["care", "domestic_work"]},
        {"status": "in_force", "visibility": "partners"},
    ],
    ids=["empty", "same-title", "same-parties", "same-sectors", "same-several"],
)
def test_a_patch_that_changes_nothing_writes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str], changes: dict[str, Any]
) -> None:
    created = create(client, admin_headers, sectors=["care", "domestic_work"])
    before = table_contents(session)

    response = client.patch(f"{AGREEMENTS}/{created['id']}", json=changes, headers=admin_headers)

    assert ok(response) == created
    assert response.headers["etag"] == '"1"'
    assert read(client, admin_headers, created["id"]) == created
    assert table_contents(session) == before


def test_revisions_of_a_record_are_its_own(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = create(client, admin_headers)
    second = create(client, admin_headers, title="Another")
    ok(client.patch(f"{AGREEMENTS}/{second['id']}", json={"title": "B"}, headers=admin_headers))

    page = ok(client.get(f"{AGREEMENTS}/{first['id']}/revisions", headers=admin_headers))

    assert [(r["version"], r["snapshot"]["id"]) for r in page["items"]] == [(1, first["id"])]
    problem(client.get(f"{AGREEMENTS}/{uuid.uuid4()}/revisions", headers=admin_headers), 404)
