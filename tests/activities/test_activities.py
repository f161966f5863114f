"""Activities: what a recorded one carries, the year and date rules, the kind vocabulary, and
the lifecycle it shares (patch, delete, restore, revisions)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation, User
from tests.activities.helpers import (
    ACTIVITIES,
    KINDS,
    Headers,
    activity_count,
    assert_invalid,
    assert_problem,
    body,
    by_id,
    create,
    create_agreement,
    create_law,
    create_parliamentarian,
    ok,
    patch,
    read,
    revisions,
)

# The field names partner organisations build on: a response must carry each of them.
CONTRACT_FIELDS = frozenset(
    {
        "kind",
        "title",
        "start_date",
        "end_date",
        "year",
        "country",
        "city",
        "summary",
        "outcomes",
        "links",
        "parliamentarian_ids",
        "partner_organisation_ids",
        "agreement_ids",
        "law_ids",
        "instrument_codes",
        "visibility",
    }
)
LIFECYCLE_FIELDS = frozenset(
    {"id", "organisation_id", "created_at", "created_by", "updated_at", "updated_by", "version"}
)


# ---- creating and reading ------------------------------------------------------------------


def test_creating_an_activity_returns_every_field_as_given_with_location_and_etag(
    client: TestClient,
    admin: User,
    admin_headers: Headers,
    secretariat: Organisation,
    partner_organisation: Organisation,
) -> None:
    member = create_parliamentarian(client, admin_headers)
    agreement = create_agreement(client, admin_headers)
    law = create_law(client, admin_headers)
    full = {
        "kind": "exchange_visit",
        "title": "Exchange visit of Nepali parliamentarians to Kuala Lumpur",
        "start_date": "2026-03-10",
        "end_date": "2026-03-12",
        "year": 2026,
        "country": "MY",
        "city": "Kuala Lumpur",
        "summary": "Met migrant workers from Nepal and the Ministry of Human Resources.",
        "outcomes": ["A joint statement on recruitment fees", "A follow-up visit in 2027"],
        "links": ["https://example.org/programme.pdf"],
        "parliamentarian_ids": [member],
        "partner_organisation_ids": [str(partner_organisation.id)],
        "agreement_ids": [agreement],
        "law_ids": [law],
        "instrument_codes": ["C189", "ICRMW"],
        "visibility": "public",
    }

    response = client.post(ACTIVITIES, json=full, headers=admin_headers)

    created = ok(response, 201)
    assert created.keys() == CONTRACT_FIELDS | LIFECYCLE_FIELDS
    assert {name: created[name] for name in full} == full
    assert created["version"] == 1
    assert created["organisation_id"] == str(secretariat.id)
    assert created["created_by"] == created["updated_by"] == f"user:{admin.id}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{ACTIVITIES}/{created['id']}")
    reading = client.get(f"{ACTIVITIES}/{created['id']}", headers=admin_headers)
    assert ok(reading) == created
    assert reading.headers["etag"] == '"1"'


def test_fields_left_out_of_a_create_body_get_their_defaults(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    assert created["visibility"] == "partners"
    for name in (
        "outcomes",
        "links",
        "parliamentarian_ids",
        "partner_organisation_ids",
        "agreement_ids",
        "law_ids",
        "instrument_codes",
    ):
        assert created[name] == [], name
    for name in ("start_date", "end_date", "year", "country", "city", "summary"):
        assert created[name] is None, name


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_the_vocabulary_can_be_recorded(
    client: TestClient, admin_headers: Headers, kind: str
) -> None:
    created = create(client, admin_headers, kind=kind)

    assert created["kind"] == kind
    assert read(client, admin_headers, created["id"])["kind"] == kind


@pytest.mark.parametrize("kind", ["workshop", "Seminar", "", None])
def test_a_kind_outside_the_vocabulary_is_refused_naming_kind(
    client: TestClient, session: Session, admin_headers: Headers, kind: str | None
) -> None:
    response = client.post(ACTIVITIES, json=body(kind=kind), headers=admin_headers)

    assert_invalid(response, "kind")
    assert activity_count(session) == 0


def test_a_patch_to_an_unknown_kind_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    assert_invalid(patch(client, admin_headers, created["id"], {"kind": "workshop"}), "kind")
    assert read(client, admin_headers, created["id"]) == created


def test_a_body_missing_the_title_or_the_kind_is_refused_naming_it(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    for missing in ("title", "kind"):
        data = body()
        del data[missing]
        assert_invalid(client.post(ACTIVITIES, json=data, headers=admin_headers), missing)
    assert activity_count(session) == 0


def test_unknown_fields_are_refused_on_create_and_patch(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    assert_invalid(
        client.post(ACTIVITIES, json=body(venue="Hall A"), headers=admin_headers), "venue"
    )
    assert activity_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {"venue": "Hall A"}), "venue")


def test_outcomes_and_links_given_twice_are_kept_once_in_first_order(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(
        client,
        admin_headers,
        outcomes=["B agreed", "A agreed", "B agreed"],
        links=["https://example.org/b", "https://example.org/a", "https://example.org/b"],
    )

    assert created["outcomes"] == ["B agreed", "A agreed"]
    assert created["links"] == ["https://example.org/b", "https://example.org/a"]


# ---- year and dates ------------------------------------------------------------------------


def test_the_year_is_set_from_the_start_date(client: TestClient, admin_headers: Headers) -> None:
    created = create(client, admin_headers, start_date="2024-11-28", end_date="2024-11-29")

    assert created["year"] == 2024
    assert read(client, admin_headers, created["id"])["year"] == 2024


def test_a_year_matching_the_start_date_is_accepted(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, start_date="2024-01-01", year=2024)

    assert (created["start_date"], created["year"]) == ("2024-01-01", 2024)


def test_a_year_alone_is_accepted_with_no_start_date(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, year=2019)

    assert (created["year"], created["start_date"], created["end_date"]) == (2019, None, None)
    assert read(client, admin_headers, created["id"])["year"] == 2019


def test_a_year_contradicting_the_start_date_is_refused_naming_year(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    response = client.post(
        ACTIVITIES, json=body(start_date="2024-12-31", year=2025), headers=admin_headers
    )

    assert_invalid(response, "year")
    assert activity_count(session) == 0


@pytest.mark.parametrize("year", [0, 10_000, "soon"])
def test_a_year_no_date_could_have_is_refused_naming_year(
    client: TestClient, session: Session, admin_headers: Headers, year: int | str
) -> None:
    assert_invalid(client.post(ACTIVITIES, json=body(year=year), headers=admin_headers), "year")
    assert activity_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {"year": year}), "year")


def test_a_patch_of_the_start_date_moves_the_year_with_it(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, start_date="2023-05-01")

    changed = ok(patch(client, admin_headers, created["id"], {"start_date": "2025-02-03"}))

    assert (changed["start_date"], changed["year"]) == ("2025-02-03", 2025)
    assert read(client, admin_headers, created["id"])["year"] == 2025


def test_a_patch_of_the_year_alone_contradicting_the_stored_start_date_is_refused(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, start_date="2023-05-01")

    assert_invalid(patch(client, admin_headers, created["id"], {"year": 2022}), "year")
    assert read(client, admin_headers, created["id"]) == created


def test_a_patch_of_the_year_of_an_activity_without_a_start_date_is_accepted(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, year=2019)

    changed = ok(patch(client, admin_headers, created["id"], {"year": 2018}))

    assert (changed["year"], changed["start_date"]) == (2018, None)


def test_a_patch_giving_a_start_date_to_a_year_only_activity_must_agree_with_the_year_sent(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, year=2019)

    assert_invalid(
        patch(client, admin_headers, created["id"], {"start_date": "2020-03-01", "year": 2019}),
        "year",
    )
    changed = ok(patch(client, admin_headers, created["id"], {"start_date": "2020-03-01"}))
    assert (changed["start_date"], changed["year"]) == ("2020-03-01", 2020)


def test_a_patch_nulling_the_year_keeps_the_year_of_the_start_date(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, start_date="2023-05-01")

    changed = ok(patch(client, admin_headers, created["id"], {"year": None, "city": "Male"}))

    assert (changed["start_date"], changed["year"]) == ("2023-05-01", 2023)


def test_an_end_date_before_the_start_date_is_refused_naming_end_date(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    response = client.post(
        ACTIVITIES, json=body(start_date="2024-03-10", end_date="2024-03-09"), headers=admin_headers
    )

    assert_invalid(response, "end_date")
    assert activity_count(session) == 0


def test_an_activity_ending_the_day_it_starts_is_accepted(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, start_date="2024-03-10", end_date="2024-03-10")

    assert (created["start_date"], created["end_date"]) == ("2024-03-10", "2024-03-10")


def test_a_patch_putting_a_date_out_of_order_with_the_stored_one_is_refused_naming_it(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, start_date="2024-03-10", end_date="2024-03-12")

    assert_invalid(
        patch(client, admin_headers, created["id"], {"end_date": "2024-03-01"}), "end_date"
    )
    assert_invalid(
        patch(client, admin_headers, created["id"], {"start_date": "2024-04-01"}), "start_date"
    )
    assert read(client, admin_headers, created["id"])["version"] == 1


# ---- patching ------------------------------------------------------------------------------


def test_a_patch_changes_only_the_fields_sent_and_bumps_the_version(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, city="Kathmandu", summary="Before.")

    response = patch(client, admin_headers, created["id"], {"summary": "After."})

    changed = ok(response)
    assert changed["summary"] == "After."
    assert changed["version"] == 2
    assert response.headers["etag"] == '"2"'
    unchanged = {k: v for k, v in created.items() if k not in {"summary", "version", "updated_at"}}
    assert {k: changed[k] for k in unchanged} == unchanged
    assert read(client, admin_headers, created["id"]) == changed


def test_null_for_a_required_field_in_a_patch_is_refused_naming_it(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    for name in ("kind", "title", "outcomes", "parliamentarian_ids", "instrument_codes"):
        assert_invalid(patch(client, admin_headers, created["id"], {name: None}), name)
    assert read(client, admin_headers, created["id"]) == created


def test_null_clears_an_optional_field_in_a_patch(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, city="Manila", summary="Notes.", country="PH")

    changed = ok(patch(client, admin_headers, created["id"], {"city": None, "summary": None}))

    assert (changed["city"], changed["summary"], changed["country"]) == (None, None, "PH")


def test_a_patch_with_a_stale_if_match_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    ok(patch(client, admin_headers, created["id"], {"city": "Dhaka"}, **{"If-Match": '"1"'}))

    stale = patch(client, admin_headers, created["id"], {"city": "Colombo"}, **{"If-Match": '"1"'})

    assert_problem(stale, 412)
    assert read(client, admin_headers, created["id"])["city"] == "Dhaka"


def test_a_patch_changing_nothing_keeps_the_version(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, city="Dhaka", instrument_codes=["C189"])

    same = ok(
        patch(client, admin_headers, created["id"], {"city": "Dhaka", "instrument_codes": ["c189"]})
    )

    assert same["version"] == 1
    assert len(revisions(client, admin_headers, created["id"])) == 1


def test_a_patch_to_an_id_that_does_not_exist_is_404(
    client: TestClient, admin_headers: Headers
) -> None:
    missing = "5d70e6d8-033e-452a-a1bf-f36a6c165897"

    assert_problem(patch(client, admin_headers, missing, {"city": "Dhaka"}), 404)
    assert_problem(client.get(f"{ACTIVITIES}/{missing}", headers=admin_headers), 404)


# ---- delete, restore, revisions --------------------------------------------------------------


def test_a_deleted_activity_is_gone_until_restored(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    path = f"{ACTIVITIES}/{created['id']}"

    assert client.delete(path, headers=admin_headers).status_code == 204

    assert_problem(client.get(path, headers=admin_headers), 404)
    assert_problem(patch(client, admin_headers, created["id"], {"city": "Dhaka"}), 404)
    assert ok(client.get(ACTIVITIES, headers=admin_headers))["items"] == []
    deleted = ok(client.get(ACTIVITIES, params={"include_deleted": "true"}, headers=admin_headers))
    assert [item["id"] for item in deleted["items"]] == [created["id"]]

    restored = ok(client.post(f"{path}/restore", headers=admin_headers))
    assert restored["id"] == created["id"]
    assert restored["version"] == 3
    assert read(client, admin_headers, created["id"]) == restored
    assert_problem(client.post(f"{path}/restore", headers=admin_headers), 404)


def test_a_delete_with_a_stale_if_match_is_refused(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    ok(patch(client, admin_headers, created["id"], {"city": "Dhaka"}))
    path = f"{ACTIVITIES}/{created['id']}"

    assert_problem(client.delete(path, headers={**admin_headers, "If-Match": '"1"'}), 412)
    assert read(client, admin_headers, created["id"])["version"] == 2
    assert client.delete(path, headers={**admin_headers, "If-Match": '"2"'}).status_code == 204


def test_every_write_leaves_a_revision_newest_first(
    client: TestClient, admin: User, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, city="Manila")
    changed = ok(patch(client, admin_headers, created["id"], {"city": "Cebu", "year": 2020}))
    path = f"{ACTIVITIES}/{created['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204
    restored = ok(client.post(f"{path}/restore", headers=admin_headers))

    history = revisions(client, admin_headers, created["id"])

    assert [(r["version"], r["action"]) for r in history] == [
        (4, "restored"),
        (3, "deleted"),
        (2, "updated"),
        (1, "created"),
    ]
    assert history[2]["changed_fields"] == ["city", "year"]
    assert history[3]["snapshot"] == created
    assert history[2]["snapshot"] == changed
    assert history[0]["snapshot"] == restored
    assert {r["actor"] for r in history} == {f"user:{admin.id}"}


def test_a_patch_of_the_links_names_them_in_its_revision(
    client: TestClient, admin_headers: Headers
) -> None:
    first = create_parliamentarian(client, admin_headers)
    second = create_parliamentarian(client, admin_headers, name="Sita Gurung", country="NP")
    created = create(client, admin_headers, parliamentarian_ids=[first])

    ok(
        patch(
            client,
            admin_headers,
            created["id"],
            {"parliamentarian_ids": [second, first], "instrument_codes": ["c087"]},
        )
    )

    newest = revisions(client, admin_headers, created["id"])[0]
    assert newest["changed_fields"] == ["instrument_codes", "parliamentarian_ids"]
    assert newest["snapshot"]["parliamentarian_ids"] == by_id(first, second)
    assert newest["snapshot"]["instrument_codes"] == ["C087"]


def test_a_create_retried_with_the_same_idempotency_key_records_one_activity(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "activity-0001"}
    data: dict[str, Any] = body(year=2024)

    first = client.post(ACTIVITIES, json=data, headers=headers)
    again = client.post(ACTIVITIES, json=data, headers=headers)

    assert ok(first, 201) == ok(again, 201)
    assert again.headers["location"] == first.headers["location"]
    assert activity_count(session) == 1
    assert_problem(client.post(ACTIVITIES, json=body(year=2023), headers=headers), 422)
