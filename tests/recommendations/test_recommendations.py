"""Recommendations: what a recorded one carries, the status and priority vocabularies, and the
lifecycle it shares (patch, delete, restore, revisions)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation, User
from tests.recommendations.helpers import (
    FAR_AHEAD,
    LONG_AGO,
    NOBODY,
    PRIORITIES,
    RECOMMENDATIONS,
    STATUSES,
    Headers,
    assert_invalid,
    assert_problem,
    body,
    create,
    create_activity,
    create_agreement,
    create_law,
    ok,
    patch,
    read,
    recommendation_count,
    revisions,
)

# The field names partner organisations build on: a response must carry each of them.
CONTRACT_FIELDS = frozenset(
    {
        "text",
        "source_type",
        "source_id",
        "addressed_to",
        "country",
        "agreement_id",
        "law_id",
        "instrument_code",
        "priority",
        "due_on",
        "status",
        "overdue",
        "timeline",
        "visibility",
    }
)
LIFECYCLE_FIELDS = frozenset(
    {"id", "organisation_id", "created_at", "created_by", "updated_at", "updated_by", "version"}
)


# ---- creating and reading ------------------------------------------------------------------


def test_creating_a_recommendation_returns_every_field_as_given_with_location_and_etag(
    client: TestClient, admin: User, admin_headers: Headers, secretariat: Organisation
) -> None:
    activity = create_activity(client, admin_headers)
    agreement = create_agreement(client, admin_headers)
    law = create_law(client, admin_headers)
    full = {
        "text": "Include domestic workers in the minimum wage order.",
        "source_type": "activity",
        "source_id": activity,
        "addressed_to": "Ministry of Human Resources",
        "country": "MY",
        "agreement_id": agreement,
        "law_id": law,
        "instrument_code": "C189",
        "priority": "high",
        "due_on": FAR_AHEAD,
        "status": "in_progress",
        "visibility": "public",
    }

    response = client.post(RECOMMENDATIONS, json=full, headers=admin_headers)

    created = ok(response, 201)
    assert created.keys() == CONTRACT_FIELDS | LIFECYCLE_FIELDS
    assert {name: created[name] for name in full} == full
    assert (created["overdue"], created["timeline"]) == (False, [])
    assert created["version"] == 1
    assert created["organisation_id"] == str(secretariat.id)
    assert created["created_by"] == created["updated_by"] == f"user:{admin.id}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{RECOMMENDATIONS}/{created['id']}")
    reading = client.get(f"{RECOMMENDATIONS}/{created['id']}", headers=admin_headers)
    assert ok(reading) == created
    assert reading.headers["etag"] == '"1"'


def test_fields_left_out_of_a_create_body_get_their_defaults(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(
        client, admin_headers, text="Ratify C189.", addressed_to="Parliament", country=None
    )

    assert (created["status"], created["priority"], created["visibility"]) == (
        "open",
        "medium",
        "partners",
    )
    for name in (
        "source_type",
        "source_id",
        "country",
        "agreement_id",
        "law_id",
        "instrument_code",
        "due_on",
    ):
        assert created[name] is None, name
    assert (created["overdue"], created["timeline"]) == (False, [])


def test_the_text_and_the_addressee_are_required(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    for missing in ("text", "addressed_to"):
        data = body()
        del data[missing]
        assert_invalid(client.post(RECOMMENDATIONS, json=data, headers=admin_headers), missing)
        assert_invalid(
            client.post(RECOMMENDATIONS, json=body(**{missing: ""}), headers=admin_headers),
            missing,
        )
    assert recommendation_count(session) == 0


def test_unknown_fields_are_refused_on_create_and_patch(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    for field, value in (("deadline", "2027-01-01"), ("timeline", []), ("overdue", True)):
        assert_invalid(
            client.post(RECOMMENDATIONS, json=body(**{field: value}), headers=admin_headers), field
        )
    assert recommendation_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(
        patch(client, admin_headers, created["id"], {"deadline": "2027-01-01"}), "deadline"
    )
    assert read(client, admin_headers, created["id"]) == created


def test_a_body_naming_its_owner_or_version_is_refused(
    client: TestClient, session: Session, admin_headers: Headers, partner_organisation: Organisation
) -> None:
    for field, value in (("organisation_id", str(partner_organisation.id)), ("version", 7)):
        assert_problem(
            client.post(RECOMMENDATIONS, json=body(**{field: value}), headers=admin_headers), 422
        )
    assert recommendation_count(session) == 0


def test_an_unknown_country_or_a_malformed_due_date_is_refused_naming_it(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    assert_invalid(
        client.post(RECOMMENDATIONS, json=body(country="ZZ"), headers=admin_headers), "country"
    )
    for due_on in ("31/12/2027", "2027-02-30", 0):
        assert_invalid(
            client.post(RECOMMENDATIONS, json=body(due_on=due_on), headers=admin_headers), "due_on"
        )
    assert recommendation_count(session) == 0


# ---- vocabularies ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_of_the_vocabulary_can_be_set_on_create(
    client: TestClient, admin_headers: Headers, status: str
) -> None:
    created = create(client, admin_headers, status=status)

    assert created["status"] == status
    assert read(client, admin_headers, created["id"])["status"] == status


@pytest.mark.parametrize("status", ["closed", "Open", "done", "", None])
def test_a_status_outside_the_vocabulary_is_refused_naming_status(
    client: TestClient, session: Session, admin_headers: Headers, status: str | None
) -> None:
    response = client.post(RECOMMENDATIONS, json=body(status=status), headers=admin_headers)

    assert_invalid(response, "status")
    assert recommendation_count(session) == 0


@pytest.mark.parametrize("priority", PRIORITIES)
def test_every_priority_of_the_vocabulary_can_be_recorded_and_patched(
    client: TestClient, admin_headers: Headers, priority: str
) -> None:
    created = create(client, admin_headers, priority=priority)
    assert created["priority"] == priority

    other = next(p for p in PRIORITIES if p != priority)
    changed = ok(patch(client, admin_headers, created["id"], {"priority": other}))
    assert changed["priority"] == other


@pytest.mark.parametrize("priority", ["urgent", "High", "", None])
def test_a_priority_outside_the_vocabulary_is_refused_on_create_and_patch(
    client: TestClient, session: Session, admin_headers: Headers, priority: str | None
) -> None:
    assert_invalid(
        client.post(RECOMMENDATIONS, json=body(priority=priority), headers=admin_headers),
        "priority",
    )
    assert recommendation_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {"priority": priority}), "priority")
    assert read(client, admin_headers, created["id"]) == created


@pytest.mark.parametrize("source_type", ["report", "Activity", "none", ""])
def test_a_source_type_outside_the_vocabulary_is_refused_naming_source_type(
    client: TestClient, session: Session, admin_headers: Headers, source_type: str
) -> None:
    response = client.post(
        RECOMMENDATIONS,
        json=body(source_type=source_type, source_id=NOBODY),
        headers=admin_headers,
    )

    assert_invalid(response, "source_type")
    assert recommendation_count(session) == 0


# ---- patching ------------------------------------------------------------------------------


def test_a_patch_changes_only_the_fields_sent_and_bumps_the_version(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, priority="low", due_on=FAR_AHEAD)

    response = patch(
        client,
        admin_headers,
        created["id"],
        {"text": "Include domestic and fishing workers.", "addressed_to": "Cabinet"},
    )

    changed = ok(response)
    assert (changed["text"], changed["addressed_to"]) == (
        "Include domestic and fishing workers.",
        "Cabinet",
    )
    assert changed["version"] == 2
    assert response.headers["etag"] == '"2"'
    kept = {
        k: v
        for k, v in created.items()
        if k not in {"text", "addressed_to", "version", "updated_at"}
    }
    assert {k: changed[k] for k in kept} == kept
    assert read(client, admin_headers, created["id"]) == changed


@pytest.mark.parametrize("status", ["implemented", "open", "closed"])
def test_a_patch_naming_a_status_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: Headers, status: str
) -> None:
    created = create(client, admin_headers)

    response = patch(client, admin_headers, created["id"], {"status": status, "priority": "high"})

    assert_invalid(response, "status")
    assert read(client, admin_headers, created["id"]) == created


def test_null_for_a_required_field_in_a_patch_is_refused_naming_it(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    for name in ("text", "addressed_to", "priority", "visibility"):
        assert_invalid(patch(client, admin_headers, created["id"], {name: None}), name)
    assert read(client, admin_headers, created["id"]) == created


def test_null_clears_an_optional_field_in_a_patch(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    created = create(client, admin_headers, due_on=FAR_AHEAD, instrument_code="C189", law_id=law)

    changed = ok(
        patch(
            client,
            admin_headers,
            created["id"],
            {"due_on": None, "instrument_code": None, "law_id": None, "country": None},
        )
    )

    for name in ("due_on", "instrument_code", "law_id", "country"):
        assert changed[name] is None, name
    assert changed["text"] == created["text"]


def test_a_patch_of_the_due_date_moves_overdue(client: TestClient, admin_headers: Headers) -> None:
    created = create(client, admin_headers, due_on=FAR_AHEAD)
    assert created["overdue"] is False

    late = ok(patch(client, admin_headers, created["id"], {"due_on": LONG_AGO}))
    assert late["overdue"] is True
    assert read(client, admin_headers, created["id"])["overdue"] is True

    cleared = ok(patch(client, admin_headers, created["id"], {"due_on": None}))
    assert cleared["overdue"] is False


def test_a_patch_with_a_stale_if_match_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    ok(patch(client, admin_headers, created["id"], {"priority": "high"}, **{"If-Match": '"1"'}))

    stale = patch(client, admin_headers, created["id"], {"priority": "low"}, **{"If-Match": '"1"'})

    assert_problem(stale, 412)
    assert read(client, admin_headers, created["id"])["priority"] == "high"


def test_a_patch_changing_nothing_keeps_the_version(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, instrument_code="C189", priority="high")

    same = ok(
        patch(client, admin_headers, created["id"], {"instrument_code": "c189", "priority": "high"})
    )

    assert same["version"] == 1
    assert len(revisions(client, admin_headers, created["id"])) == 1


def test_a_patch_to_an_id_that_does_not_exist_is_404(
    client: TestClient, admin_headers: Headers
) -> None:
    assert_problem(patch(client, admin_headers, NOBODY, {"priority": "high"}), 404)
    assert_problem(client.get(f"{RECOMMENDATIONS}/{NOBODY}", headers=admin_headers), 404)
    assert_problem(client.get(f"{RECOMMENDATIONS}/not-an-id", headers=admin_headers), 422)


# ---- delete, restore, revisions --------------------------------------------------------------


def test_a_deleted_recommendation_is_gone_until_restored(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    path = f"{RECOMMENDATIONS}/{created['id']}"

    assert client.delete(path, headers=admin_headers).status_code == 204

    assert_problem(client.get(path, headers=admin_headers), 404)
    assert_problem(patch(client, admin_headers, created["id"], {"priority": "high"}), 404)
    assert_problem(
        client.post(f"{path}/updates", json={"status": "implemented"}, headers=admin_headers), 404
    )
    assert ok(client.get(RECOMMENDATIONS, headers=admin_headers))["items"] == []
    deleted = ok(
        client.get(RECOMMENDATIONS, params={"include_deleted": "true"}, headers=admin_headers)
    )
    assert [item["id"] for item in deleted["items"]] == [created["id"]]

    restored = ok(client.post(f"{path}/restore", headers=admin_headers))
    assert restored["id"] == created["id"]
    assert restored["version"] == 3
    assert restored["status"] == "open"
    assert read(client, admin_headers, created["id"]) == restored
    assert_problem(client.post(f"{path}/restore", headers=admin_headers), 404)


def test_a_delete_with_a_stale_if_match_is_refused(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    ok(patch(client, admin_headers, created["id"], {"priority": "high"}))
    path = f"{RECOMMENDATIONS}/{created['id']}"

    assert_problem(client.delete(path, headers={**admin_headers, "If-Match": '"1"'}), 412)
    assert read(client, admin_headers, created["id"])["version"] == 2
    assert client.delete(path, headers={**admin_headers, "If-Match": '"2"'}).status_code == 204


def test_listing_deleted_recommendations_is_for_secretariat_admins_only(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    assert (
        client.delete(f"{RECOMMENDATIONS}/{created['id']}", headers=admin_headers).status_code
        == 204
    )

    response = client.get(
        RECOMMENDATIONS, params={"include_deleted": "true"}, headers=headers_of("editor")
    )

    assert_problem(response, 403)


def test_every_write_leaves_a_revision_newest_first(
    client: TestClient, admin: User, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, priority="low")
    path = f"{RECOMMENDATIONS}/{created['id']}"
    ok(patch(client, admin_headers, created["id"], {"priority": "high"}))
    ok(client.post(f"{path}/updates", json={"status": "in_progress"}, headers=admin_headers))
    assert client.delete(path, headers=admin_headers).status_code == 204
    restored = ok(client.post(f"{path}/restore", headers=admin_headers))

    history = revisions(client, admin_headers, created["id"])

    assert [r["version"] for r in history] == [5, 4, 3, 2, 1]
    assert [r["action"] for r in history] == [
        "restored",
        "deleted",
        "updated",
        "updated",
        "created",
    ]
    assert history[3]["changed_fields"] == ["priority"]
    assert {"status", "timeline"} <= set(history[2]["changed_fields"])
    assert history[2]["snapshot"]["status"] == "in_progress"
    assert history[4]["snapshot"]["priority"] == "low"
    assert history[4]["snapshot"]["status"] == "open"
    assert history[0]["snapshot"] == restored
    assert all(r["actor"] == f"user:{admin.id}" for r in history)


def test_revisions_of_an_id_that_does_not_exist_are_404(
    client: TestClient, admin_headers: Headers
) -> None:
    assert_problem(client.get(f"{RECOMMENDATIONS}/{NOBODY}/revisions", headers=admin_headers), 404)
