"""Contact details are personal data: the secretariat (its users and its API tokens) sees them;
every other caller gets `contact: null` in every read, list, CSV row, revision and write
response; and neither the change feed nor the audit log ever holds them."""

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.members.helpers import (
    CONTACT,
    CONTACT_MARKERS,
    PARLIAMENTARIANS,
    Headers,
    create,
    csv_rows,
    csv_text,
    ok,
    patch,
    read,
)

SECRETARIAT = ["admin", "editor", "secretariat-api-token"]
OUTSIDERS = ["partner", "partner-api-token", "reader", "parliament-editor"]

NEW_CONTACT = {"email": "m.santos.new@example.org", "phone": "+63 2 8931 7777"}
NEW_MARKERS = ("m.santos.new", "8931 7777")


def assert_no_contact_in(text: str) -> None:
    for marker in (*CONTACT_MARKERS, *NEW_MARKERS):
        assert marker not in text, marker


def with_history(client: TestClient, admin_headers: Headers) -> dict[str, Any]:
    """A public parliamentarian whose contact was recorded, then changed: three revisions."""
    created = create(client, admin_headers, visibility="public", contact=CONTACT)
    ok(patch(client, admin_headers, created["id"], {"party": "Akbayan"}))
    ok(patch(client, admin_headers, created["id"], {"contact": {**CONTACT, **NEW_CONTACT}}))
    return created


def revisions_of(client: TestClient, headers: Headers, record_id: str) -> tuple[list[Any], str]:
    response = client.get(f"{PARLIAMENTARIANS}/{record_id}/revisions", headers=headers)
    return ok(response)["items"], response.text


# ---- the secretariat ------------------------------------------------------------------------


@pytest.mark.parametrize("caller", SECRETARIAT)
def test_the_secretariat_sees_contact_details_everywhere(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers, caller: str
) -> None:
    headers = headers_of(caller)
    created = with_history(client, admin_headers)
    current = {**CONTACT, **NEW_CONTACT}

    assert read(client, headers, created["id"])["contact"] == current
    listed = ok(client.get(PARLIAMENTARIANS, headers=headers))["items"]
    assert [item["contact"] for item in listed] == [current]
    text = csv_text(client, headers)
    assert NEW_CONTACT["email"] in text
    assert NEW_CONTACT["phone"] in text
    revisions, _ = revisions_of(client, headers, created["id"])
    assert [r["snapshot"]["contact"] for r in revisions] == [current, CONTACT, CONTACT]


@pytest.mark.parametrize("caller", SECRETARIAT)
def test_a_secretariat_writer_gets_the_contact_back_from_its_writes(
    client: TestClient, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)

    created = create(client, headers, contact=CONTACT)
    changed = ok(patch(client, headers, created["id"], {"contact": NEW_CONTACT}))

    assert created["contact"] == CONTACT
    assert changed["contact"] == {**NEW_CONTACT, "address": None, "notes": None}


def test_empty_contact_parts_are_not_kept_and_an_empty_contact_is_none(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, contact={"email": None, "phone": "", "notes": None})
    assert created["contact"] is None

    some = ok(patch(client, admin_headers, created["id"], {"contact": {"phone": "+66 2 000"}}))
    assert some["contact"] == {"email": None, "phone": "+66 2 000", "address": None, "notes": None}

    cleared = ok(patch(client, admin_headers, created["id"], {"contact": None}))
    assert cleared["contact"] is None
    assert read(client, admin_headers, created["id"])["contact"] is None


# ---- everyone else --------------------------------------------------------------------------


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_other_callers_never_receive_contact_details(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers, caller: str
) -> None:
    headers = headers_of(caller)
    created = with_history(client, admin_headers)
    path = f"{PARLIAMENTARIANS}/{created['id']}"

    one = client.get(path, headers=headers)
    assert ok(one)["contact"] is None
    assert ok(one)["party"] == "Akbayan"  # the rest of the record is there
    assert_no_contact_in(one.text)

    listing = client.get(PARLIAMENTARIANS, headers=headers)
    assert [item["contact"] for item in ok(listing)["items"]] == [None]
    assert_no_contact_in(listing.text)

    text = csv_text(client, headers)
    assert_no_contact_in(text)
    assert [(row["id"], row["contact"]) for row in csv_rows(client, headers)] == [
        (created["id"], "")
    ]

    revisions, raw = revisions_of(client, headers, created["id"])
    assert [r["version"] for r in revisions] == [3, 2, 1]
    assert [r["snapshot"]["contact"] for r in revisions] == [None, None, None]
    assert_no_contact_in(raw)


def test_only_the_secretariat_sets_contact_details_and_a_null_sent_back_wipes_nothing(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    office = headers_of("parliament-editor")
    with_contact = {
        "name": "Maria Santos",
        "country": "PH",
        "parliament": "House of Representatives of the Philippines",
        "contact": CONTACT,
    }

    refused_post = client.post(PARLIAMENTARIANS, json=with_contact, headers=office)
    assert refused_post.status_code == 403, refused_post.text
    assert ok(client.get(PARLIAMENTARIANS, headers=admin_headers))["items"] == []

    created = create(client, admin_headers, visibility="public", contact=CONTACT)
    refused_patch = patch(client, office, created["id"], {"contact": NEW_CONTACT})
    assert refused_patch.status_code == 403, refused_patch.text
    assert_no_contact_in(refused_patch.text)

    # What the office read, sent back whole: its null contact changes nothing.
    shown = read(client, office, created["id"])
    assert shown["contact"] is None
    echoed = ok(patch(client, office, created["id"], {"contact": None, "name": shown["name"]}))
    assert echoed["version"] == created["version"]
    assert read(client, admin_headers, created["id"])["contact"] == CONTACT


@pytest.mark.parametrize(
    "changes",
    [
        {"party": "Akbayan"},
        {"memberships": [{"role": "member", "started_on": "2024-01-01"}]},
        {"name": "Maria L. Santos", "other_names": ["M. Santos"], "visibility": "partners"},
    ],
    ids=["party", "memberships", "several"],
)
def test_a_non_secretariat_editor_patching_other_fields_keeps_the_stored_contact(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    changes: dict[str, Any],
) -> None:
    office = headers_of("parliament-editor")
    created = create(client, admin_headers, visibility="public", contact=CONTACT)

    response = patch(client, office, created["id"], changes)

    changed = ok(response)
    assert changed["contact"] is None
    assert changed["version"] == 2
    assert_no_contact_in(response.text)
    after = read(client, admin_headers, created["id"])
    assert after["contact"] == CONTACT
    assert {name: after[name] for name in changes} == {name: changed[name] for name in changes}
    revisions, _ = revisions_of(client, admin_headers, created["id"])
    assert revisions[0]["snapshot"]["contact"] == CONTACT
    assert "contact" not in revisions[0]["changed_fields"]


def test_a_non_secretariat_editor_restoring_gets_no_contact(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    office = headers_of("parliament-editor")
    created = create(client, admin_headers, visibility="public", contact=CONTACT)
    path = f"{PARLIAMENTARIANS}/{created['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204

    restored = client.post(f"{path}/restore", headers=office)

    assert ok(restored)["contact"] is None
    assert_no_contact_in(restored.text)
    assert read(client, admin_headers, created["id"])["contact"] == CONTACT


# ---- what the lifecycle writes beside the record --------------------------------------------


def rows_about(session: Session, table: str, column: str, record_id: str) -> list[dict[str, Any]]:
    """Every row of `table` whose `column` names the record, with all of its columns.

    Compared without dashes: SQLite may keep a UUID as 32 hex digits, PostgreSQL as a uuid."""
    wanted = record_id.replace("-", "")
    statement = sa.text(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
    rows = [dict(row._mapping) for row in session.connection().execute(statement)]
    return [row for row in rows if str(row[column]).replace("-", "") == wanted]


def test_change_events_and_audit_entries_never_hold_the_contact(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
) -> None:
    created = with_history(client, admin_headers)
    record_id = created["id"]
    ok(patch(client, admin_headers, record_id, {"contact": CONTACT, "gender": "woman"}))
    assert (
        client.delete(f"{PARLIAMENTARIANS}/{record_id}", headers=admin_headers).status_code == 204
    )
    ok(client.post(f"{PARLIAMENTARIANS}/{record_id}/restore", headers=admin_headers))

    events = rows_about(session, "change_events", "record_id", record_id)
    audits = rows_about(session, "audit_log", "subject_id", record_id)

    assert [event["action"] for event in events] == [
        "created",
        "updated",
        "updated",
        "updated",
        "deleted",
        "restored",
    ]
    assert len(audits) == 6
    assert {audit["action"] for audit in audits} == {
        f"parliamentarian.{action}" for action in ("created", "updated", "deleted", "restored")
    }
    for row in [*events, *audits]:
        assert_no_contact_in(json.dumps(row, default=str, ensure_ascii=False))
        assert_no_contact_in(json.dumps(row, default=str))
