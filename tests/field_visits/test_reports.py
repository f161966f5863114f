"""Field-visit reports (issue 5, items 3 and 7): what a new report carries and who may start
one, the rules its fields follow, patches by its authors, reading, filtering, paging and
exporting, deletion by editors, revisions, and who can find a report before it is published."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity.models import Organisation
from app.records.models import Visibility
from tests.field_visits.helpers import (
    FIELD_VISITS,
    MISSING,
    Headers,
    assert_invalid,
    assert_problem,
    body,
    by_id,
    counting_statements,
    create,
    create_agreement,
    create_law,
    create_parliamentarian,
    csv_rows,
    listed,
    listed_ids,
    ok,
    other_organisation,
    partner_of,
    patch,
    path_of,
    publish,
    read,
    record_law,
    record_parliamentarian,
    record_report,
    report_count,
    return_,
    revisions,
    step,
    stored_writes,
    submit,
    submitted_report,
)

# The field names partner organisations build on (item 7): a response carries each of them.
CONTRACT_FIELDS = frozenset(
    {
        "title",
        "country",
        "start_date",
        "end_date",
        "places",
        "communities",
        "delegation",
        "partner_organisation_ids",
        "agreement_ids",
        "law_ids",
        "findings",
        "testimonies",
        "recommendations",
        "attachments",
        "status",
        "visibility",
    }
)
WORKFLOW_FIELDS = frozenset({"returned_reason", "submitted_at", "published_at"})
LIFECYCLE_FIELDS = frozenset(
    {"id", "organisation_id", "created_at", "created_by", "updated_at", "updated_by", "version"}
)


@pytest.fixture
def author(headers_of: Callable[[str], Headers]) -> Headers:
    """A partner user of the partner organisation, which owns the reports it starts."""
    return headers_of("partner")


@pytest.fixture
def reviewer(headers_of: Callable[[str], Headers]) -> Headers:
    return headers_of("editor")


@pytest.fixture
def other_partner(session: Session, settings: Settings) -> Headers:
    """A partner user of another partner organisation."""
    return partner_of(session, settings, other_organisation(session), "other@example.org")


# ---- creating -------------------------------------------------------------------------------


def test_a_partner_starts_a_draft_owned_by_its_organisation_with_every_field_as_given(
    client: TestClient,
    admin_headers: Headers,
    author: Headers,
    partner_organisation: Organisation,
    secretariat: Organisation,
) -> None:
    member = create_parliamentarian(client, admin_headers)
    agreement = create_agreement(client, admin_headers)
    law = create_law(client, admin_headers, country="MY", title="Employment Act 1955")
    full = {
        "title": "Visit to domestic workers' shelters in Kuala Lumpur",
        "country": "MY",
        "start_date": "2026-03-10",
        "end_date": "2026-03-12",
        "places": ["Kuala Lumpur", "Petaling Jaya"],
        "communities": [
            {"sector": "domestic_work", "origin_countries": ["ID", "PH"], "workers_met": 40},
            {"sector": "construction", "origin_countries": ["NP"], "workers_met": 0},
        ],
        "delegation": [member],
        "partner_organisation_ids": by_id(str(partner_organisation.id), str(secretariat.id)),
        "agreement_ids": [agreement],
        "law_ids": [law],
        "findings": "Passports kept by employers; wages withheld for months.",
        "recommendations": [
            {
                "text": "Include domestic workers in the minimum wage order.",
                "addressed_to": "Ministry of Human Resources",
                "country": "MY",
                "priority": "high",
                "due_on": "2027-06-30",
            }
        ],
        "attachments": ["https://example.org/visit-photos.zip"],
        "visibility": "public",
    }

    response = client.post(FIELD_VISITS, json=full, headers=author)

    created = ok(response, 201)
    assert created.keys() == CONTRACT_FIELDS | WORKFLOW_FIELDS | LIFECYCLE_FIELDS
    assert {name: created[name] for name in full if name != "recommendations"} == {
        name: value for name, value in full.items() if name != "recommendations"
    }
    assert created["recommendations"] == [{**full["recommendations"][0], "recommendation_id": None}]
    assert created["status"] == "draft"
    assert (created["submitted_at"], created["published_at"], created["returned_reason"]) == (
        None,
        None,
        None,
    )
    assert created["testimonies"] == []
    assert created["organisation_id"] == str(partner_organisation.id)
    assert created["created_by"].startswith("user:")
    assert created["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(path_of(created["id"]))
    reading = client.get(path_of(created["id"]), headers=author)
    assert ok(reading) == created
    assert reading.headers["etag"] == '"1"'


def test_fields_left_out_of_a_create_body_get_their_defaults(
    client: TestClient, author: Headers
) -> None:
    minimal = {"title": "Visit to Johor", "country": "MY", "start_date": "2026-03-10"}

    created = ok(client.post(FIELD_VISITS, json=minimal, headers=author), 201)

    assert created["visibility"] == "partners"
    assert created["status"] == "draft"
    for name in (
        "places",
        "communities",
        "delegation",
        "partner_organisation_ids",
        "agreement_ids",
        "law_ids",
        "recommendations",
        "attachments",
        "testimonies",
    ):
        assert created[name] == [], name
    assert (created["end_date"], created["findings"]) == (None, None)


def test_a_partner_api_token_with_reports_write_starts_a_report_of_its_organisation(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    partner_organisation: Organisation,
) -> None:
    created = create(client, headers_of("partner-api-token"))

    assert created["organisation_id"] == str(partner_organisation.id)
    assert created["created_by"].startswith("token:")
    assert created["status"] == "draft"


@pytest.mark.parametrize("caller", ["admin", "editor"])
def test_editors_and_admins_start_reports_owned_by_the_secretariat(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    secretariat: Organisation,
    caller: str,
) -> None:
    created = create(client, headers_of(caller))

    assert created["organisation_id"] == str(secretariat.id)
    assert created["status"] == "draft"


def test_a_reader_cannot_start_a_report_and_nothing_is_stored(
    client: TestClient, session: Session, headers_of: Callable[[str], Headers]
) -> None:
    response = client.post(FIELD_VISITS, json=body(), headers=headers_of("reader"))

    assert_problem(response, 403)
    assert report_count(session) == 0


def test_a_caller_without_a_token_gets_401_on_every_route(
    client: TestClient, session: Session, author: Headers
) -> None:
    created = create(client, author)
    path = path_of(created["id"])
    before = stored_writes(session)

    for response in (
        client.get(FIELD_VISITS),
        client.post(FIELD_VISITS, json=body()),
        client.post(FIELD_VISITS, json={"broken": True}),
        client.get(path),
        client.patch(path, json={"findings": "Changed."}),
        client.post(f"{path}/submit"),
        client.post(f"{path}/publish"),
        client.post(f"{path}/return", json={"reason": "No."}),
        client.delete(path),
        client.get(f"{path}/revisions"),
    ):
        assert_problem(response, 401)
    assert stored_writes(session) == before


# ---- validation -----------------------------------------------------------------------------


def test_an_end_date_before_the_start_date_is_refused_naming_end_date(
    client: TestClient, session: Session, author: Headers
) -> None:
    response = client.post(
        FIELD_VISITS, json=body(start_date="2026-03-10", end_date="2026-03-09"), headers=author
    )

    assert_invalid(response, "body", "end_date")
    assert report_count(session) == 0


def test_a_patch_putting_a_date_out_of_order_with_the_stored_one_is_refused_naming_it(
    client: TestClient, author: Headers
) -> None:
    created = create(client, author, start_date="2026-03-10", end_date="2026-03-12")

    assert_invalid(
        patch(client, author, created["id"], {"end_date": "2026-03-01"}), "body", "end_date"
    )
    assert_invalid(
        patch(client, author, created["id"], {"start_date": "2026-04-01"}), "body", "start_date"
    )
    assert read(client, author, created["id"]) == created


@pytest.mark.parametrize("sector", ["mining", "Domestic_Work", "", None])
def test_a_community_of_an_unknown_sector_is_refused(
    client: TestClient, session: Session, author: Headers, sector: str | None
) -> None:
    communities = [{"sector": sector, "origin_countries": ["PH"], "workers_met": 3}]

    response = client.post(FIELD_VISITS, json=body(communities=communities), headers=author)

    assert_invalid(response, "body", "communities", 0, "sector")
    assert report_count(session) == 0


@pytest.mark.parametrize("workers_met", [-1, True, False, 1.5, "twelve"])
def test_workers_met_must_be_a_whole_number_not_below_zero(
    client: TestClient, session: Session, author: Headers, workers_met: Any
) -> None:
    communities = [{"sector": "fishing", "origin_countries": ["MM"], "workers_met": workers_met}]

    response = client.post(FIELD_VISITS, json=body(communities=communities), headers=author)

    assert_invalid(response, "body", "communities", 0, "workers_met")
    assert report_count(session) == 0
    created = create(client, author)
    assert_invalid(
        patch(client, author, created["id"], {"communities": communities}),
        "body",
        "communities",
        0,
        "workers_met",
    )
    assert read(client, author, created["id"]) == created


def test_an_origin_country_that_is_not_a_country_code_is_refused(
    client: TestClient, session: Session, author: Headers
) -> None:
    communities = [{"sector": "fishing", "origin_countries": ["Myanmar"], "workers_met": 2}]

    response = client.post(FIELD_VISITS, json=body(communities=communities), headers=author)

    assert_invalid(response, "body", "communities", 0, "origin_countries")
    assert report_count(session) == 0


@pytest.mark.parametrize("field", ["delegation", "agreement_ids", "law_ids"])
def test_a_link_to_a_record_that_does_not_exist_is_refused_naming_the_field(
    client: TestClient, session: Session, author: Headers, field: str
) -> None:
    response = client.post(FIELD_VISITS, json=body(**{field: [MISSING]}), headers=author)

    assert_invalid(response, "body", field)
    assert report_count(session) == 0


def test_a_link_to_a_record_the_partner_cannot_see_is_refused_naming_the_field(
    client: TestClient,
    session: Session,
    author: Headers,
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    hidden_member = record_parliamentarian(session, secretariat, Visibility.restricted)
    hidden_law = record_law(session, secretariat, Visibility.restricted)

    assert_invalid(
        client.post(FIELD_VISITS, json=body(delegation=[hidden_member]), headers=author),
        "body",
        "delegation",
    )
    assert_invalid(
        client.post(FIELD_VISITS, json=body(law_ids=[hidden_law]), headers=author),
        "body",
        "law_ids",
    )
    assert report_count(session) == 0
    # The secretariat sees both, so its report may name them.
    created = create(client, admin_headers, delegation=[hidden_member], law_ids=[hidden_law])
    assert (created["delegation"], created["law_ids"]) == ([hidden_member], [hidden_law])


def test_a_patch_linking_a_record_the_partner_cannot_see_is_refused_and_changes_nothing(
    client: TestClient, session: Session, author: Headers, secretariat: Organisation
) -> None:
    created = create(client, author)
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)

    assert_invalid(
        patch(client, author, created["id"], {"delegation": [hidden]}), "body", "delegation"
    )
    assert read(client, author, created["id"]) == created


def test_partner_organisation_ids_must_name_organisations_that_exist(
    client: TestClient, session: Session, author: Headers, partner_organisation: Organisation
) -> None:
    response = client.post(
        FIELD_VISITS,
        json=body(partner_organisation_ids=[str(partner_organisation.id), MISSING]),
        headers=author,
    )

    assert_invalid(response, "body", "partner_organisation_ids")
    assert report_count(session) == 0
    created = create(client, author, partner_organisation_ids=[str(partner_organisation.id)])
    assert created["partner_organisation_ids"] == [str(partner_organisation.id)]


def test_links_given_twice_are_kept_once_in_id_order(
    client: TestClient, admin_headers: Headers, author: Headers
) -> None:
    first = create_parliamentarian(client, admin_headers)
    second = create_parliamentarian(client, admin_headers, name="Sita Gurung", country="NP")

    created = create(client, author, delegation=[second, first, second])

    assert created["delegation"] == by_id(first, second)


@pytest.mark.parametrize("missing", ["title", "country", "start_date"])
def test_a_body_missing_a_required_field_is_refused_naming_it(
    client: TestClient, session: Session, author: Headers, missing: str
) -> None:
    data = body()
    del data[missing]

    assert_invalid(client.post(FIELD_VISITS, json=data, headers=author), "body", missing)
    assert report_count(session) == 0


def test_a_body_naming_its_owner_or_status_is_refused(
    client: TestClient, session: Session, author: Headers, secretariat: Organisation
) -> None:
    for smuggled in ({"organisation_id": str(secretariat.id)}, {"status": "published"}):
        response = client.post(FIELD_VISITS, json=body(**smuggled), headers=author)
        assert_invalid(response, "body", *smuggled)
    assert report_count(session) == 0


# ---- patching -------------------------------------------------------------------------------


def test_the_author_patches_its_draft_changing_only_the_fields_sent(
    client: TestClient, author: Headers
) -> None:
    created = create(client, author)

    response = patch(
        client,
        author,
        created["id"],
        {
            "findings": "Most workers had no day off.",
            "communities": [{"sector": "care", "origin_countries": ["LK"], "workers_met": 12}],
        },
    )

    changed = ok(response)
    assert changed["findings"] == "Most workers had no day off."
    assert changed["communities"] == [
        {"sector": "care", "origin_countries": ["LK"], "workers_met": 12}
    ]
    assert changed["version"] == 2
    assert changed["status"] == "draft"
    assert response.headers["etag"] == '"2"'
    untouched = {"findings", "communities", "version", "updated_at"}
    assert {k: v for k, v in changed.items() if k not in untouched} == {
        k: v for k, v in created.items() if k not in untouched
    }
    assert read(client, author, created["id"]) == changed


def test_the_author_patches_its_returned_report(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author)
    return_(client, reviewer, report["id"])

    changed = ok(patch(client, author, report["id"], {"places": ["Petaling Jaya", "Klang"]}))

    assert changed["places"] == ["Petaling Jaya", "Klang"]
    assert changed["status"] == "returned"
    assert read(client, author, report["id"])["places"] == ["Petaling Jaya", "Klang"]


def test_the_author_replaces_the_recommendations_of_its_draft(
    client: TestClient, author: Headers
) -> None:
    created = create(client, author)
    new = [
        {"text": "Ratify C189.", "addressed_to": "Parliament of Malaysia", "priority": "high"},
        {"text": "Licence recruitment agencies.", "addressed_to": "Ministry of Labour"},
    ]

    changed = ok(patch(client, author, created["id"], {"recommendations": new}))

    assert [(r["text"], r["priority"]) for r in changed["recommendations"]] == [
        ("Ratify C189.", "high"),
        ("Licence recruitment agencies.", "medium"),
    ]
    assert all(r["recommendation_id"] is None for r in changed["recommendations"])


@pytest.mark.parametrize(
    "name", ["title", "country", "start_date", "places", "communities", "recommendations"]
)
def test_null_for_a_required_field_in_a_patch_is_refused_naming_it(
    client: TestClient, author: Headers, name: str
) -> None:
    created = create(client, author)

    assert_invalid(patch(client, author, created["id"], {name: None}), "body", name)
    assert read(client, author, created["id"]) == created


def test_unknown_fields_in_a_patch_are_refused(client: TestClient, author: Headers) -> None:
    created = create(client, author)

    assert_invalid(patch(client, author, created["id"], {"venue": "Hall A"}), "body", "venue")
    assert read(client, author, created["id"]) == created


def test_a_patch_with_a_stale_if_match_is_refused_and_changes_nothing(
    client: TestClient, author: Headers
) -> None:
    created = create(client, author)
    ok(patch(client, author, created["id"], {"findings": "First."}, **{"If-Match": '"1"'}))

    stale = patch(client, author, created["id"], {"findings": "Second."}, **{"If-Match": '"1"'})

    assert_problem(stale, 412)
    assert read(client, author, created["id"])["findings"] == "First."


def test_a_patch_changing_nothing_keeps_the_version(client: TestClient, author: Headers) -> None:
    created = create(client, author)

    same = ok(patch(client, author, created["id"], {"title": created["title"]}))

    assert same["version"] == 1
    assert len(revisions(client, author, created["id"])) == 1


def test_a_patch_to_an_id_that_does_not_exist_is_404(client: TestClient, author: Headers) -> None:
    assert_problem(patch(client, author, MISSING, {"findings": "x"}), 404)
    assert_problem(client.get(path_of(MISSING), headers=author), 404)


# ---- lists, filters, pages, CSV -------------------------------------------------------------


@pytest.fixture
def catalogue(client: TestClient, author: Headers, reviewer: Headers) -> dict[str, str]:
    """Four reports of the partner organisation, different in every field a filter reads."""
    kl = create(
        client,
        author,
        title="Shelters in Kuala Lumpur",
        country="MY",
        findings="Passports confiscated.",
    )["id"]
    riyadh = create(
        client,
        author,
        title="Domestic workers in Riyadh",
        country="SA",
        findings="Wage THEFT reported widely.",
    )["id"]
    dubai = create(
        client, author, title="Construction camps", country="AE", findings="Heat stress."
    )["id"]
    doha = create(client, author, title="Stadium sites", country="QA", findings=None)["id"]
    submit(client, author, riyadh)
    submit(client, author, dubai)
    publish(client, reviewer, dubai)
    submit(client, author, doha)
    return_(client, reviewer, doha)
    return {"kl": kl, "riyadh": riyadh, "dubai": dubai, "doha": doha}


def test_the_list_filters_by_country(
    client: TestClient, author: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, author, country="SA") == {catalogue["riyadh"]}
    assert listed_ids(client, author, country="MY") == {catalogue["kl"]}
    assert listed_ids(client, author, country="NP") == set()


@pytest.mark.parametrize(
    ("status", "name"),
    [("draft", "kl"), ("submitted", "riyadh"), ("published", "dubai"), ("returned", "doha")],
)
def test_the_list_filters_by_status(
    client: TestClient,
    author: Headers,
    reviewer: Headers,
    catalogue: dict[str, str],
    status: str,
    name: str,
) -> None:
    for headers in (author, reviewer):
        items = listed(client, headers, status=status)
        assert [item["id"] for item in items] == [catalogue[name]]
        assert items[0]["status"] == status


def test_the_list_filters_by_words_in_the_title_or_the_findings_in_any_case(
    client: TestClient, author: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, author, q="kuala") == {catalogue["kl"]}
    assert listed_ids(client, author, q="wage theft") == {catalogue["riyadh"]}
    assert listed_ids(client, author, q="STRESS") == {catalogue["dubai"]}
    # Places are not searched.
    assert listed_ids(client, author, q="Petaling") == set()


def test_the_filters_combine(
    client: TestClient, author: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, author, status="submitted", country="SA", q="wage") == {
        catalogue["riyadh"]
    }
    assert listed_ids(client, author, status="draft", country="SA") == set()


@pytest.mark.parametrize(
    "params", [{"status": "archived"}, {"status": "Draft"}, {"country": "Malaysia"}]
)
def test_a_filter_value_that_does_not_exist_is_refused(
    client: TestClient, author: Headers, params: dict[str, str]
) -> None:
    (name,) = params

    assert_invalid(client.get(FIELD_VISITS, params=params, headers=author), "query", name)


def test_pages_follow_the_cursor_and_the_link_header_through_every_report_once(
    client: TestClient, author: Headers
) -> None:
    made = {create(client, author, title=f"Visit {n}")["id"] for n in range(5)}

    seen: list[str] = []
    url, params = FIELD_VISITS, {"limit": 2}
    pages = 0
    while True:
        response = client.get(url, params=params, headers=author)
        page = ok(response)
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
        assert page["next_cursor"] in response.headers["link"]
        params = {"limit": 2, "cursor": page["next_cursor"]}

    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == made


def test_the_list_refuses_a_limit_out_of_range(client: TestClient, author: Headers) -> None:
    for limit in (0, 201):
        assert_invalid(
            client.get(FIELD_VISITS, params={"limit": limit}, headers=author), "query", "limit"
        )


def test_the_csv_export_has_a_column_per_field_and_the_same_filters(
    client: TestClient, author: Headers, catalogue: dict[str, str]
) -> None:
    rows = csv_rows(client, author)

    assert {row["id"] for row in rows} == set(catalogue.values())
    assert rows[0].keys() >= CONTRACT_FIELDS
    (riyadh,) = csv_rows(client, author, country="SA")
    assert riyadh["id"] == catalogue["riyadh"]
    assert riyadh["status"] == "submitted"
    assert riyadh["title"] == "Domestic workers in Riyadh"
    assert riyadh["places"] == "Kuala Lumpur;Petaling Jaya"
    assert [row["id"] for row in csv_rows(client, author, status="published")] == [
        catalogue["dubai"]
    ]


# ---- delete, restore, revisions -------------------------------------------------------------


@pytest.mark.parametrize("caller", ["partner", "partner-api-token"])
def test_partners_cannot_delete_or_restore_even_their_own_drafts(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    created = create(client, headers)
    path = path_of(created["id"])

    assert_problem(client.delete(path, headers=headers), 403)
    assert read(client, headers, created["id"]) == created

    assert client.delete(path, headers=admin_headers).status_code == 204
    assert_problem(client.post(f"{path}/restore", headers=headers), 403)
    assert_problem(client.get(path, headers=headers), 404)


def test_an_editor_deletes_a_report_and_restores_it(
    client: TestClient, author: Headers, reviewer: Headers, admin_headers: Headers
) -> None:
    created = create(client, author)
    path = path_of(created["id"])

    assert client.delete(path, headers=reviewer).status_code == 204

    for headers in (author, reviewer):
        assert_problem(client.get(path, headers=headers), 404)
        assert created["id"] not in listed_ids(client, headers)
    assert_problem(step(client, author, created["id"], "submit"), 404)
    assert created["id"] in listed_ids(client, admin_headers, include_deleted="true")

    restored = ok(client.post(f"{path}/restore", headers=reviewer))
    assert (restored["status"], restored["version"]) == ("draft", 3)
    assert read(client, author, created["id"]) == restored


def test_a_delete_with_a_stale_if_match_is_refused(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    created = create(client, author)
    ok(patch(client, author, created["id"], {"findings": "Changed."}))
    path = path_of(created["id"])

    assert_problem(client.delete(path, headers={**reviewer, "If-Match": '"1"'}), 412)
    assert read(client, author, created["id"])["version"] == 2
    assert client.delete(path, headers={**reviewer, "If-Match": '"2"'}).status_code == 204


def test_every_write_leaves_a_revision_newest_first(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    created = create(client, author)
    changed = ok(patch(client, author, created["id"], {"findings": "Revised.", "places": ["Ipoh"]}))
    path = path_of(created["id"])
    assert client.delete(path, headers=reviewer).status_code == 204
    restored = ok(client.post(f"{path}/restore", headers=reviewer))

    history = revisions(client, author, created["id"])

    assert [(r["version"], r["action"]) for r in history] == [
        (4, "restored"),
        (3, "deleted"),
        (2, "updated"),
        (1, "created"),
    ]
    assert history[2]["changed_fields"] == ["findings", "places"]
    assert history[3]["snapshot"] == created
    assert history[2]["snapshot"] == changed
    assert history[0]["snapshot"] == restored
    assert history[3]["actor"] == history[2]["actor"] == created["created_by"]
    assert history[1]["actor"] != created["created_by"]


# ---- who can find a report before it is published -------------------------------------------


@pytest.mark.parametrize("visibility", ["partners", "public"])
def test_another_partner_organisation_cannot_find_a_draft_or_submitted_report(
    client: TestClient,
    author: Headers,
    other_partner: Headers,
    headers_of: Callable[[str], Headers],
    visibility: str,
) -> None:
    reader = headers_of("reader")
    draft = create(client, author, visibility=visibility)
    submitted = submitted_report(client, author, visibility=visibility, country="SA")

    for outsider in (other_partner, reader):
        for report in (draft, submitted):
            assert_problem(client.get(path_of(report["id"]), headers=outsider), 404)
            assert_problem(client.get(f"{path_of(report['id'])}/revisions", headers=outsider), 404)
        assert listed_ids(client, outsider) == set()
        assert listed_ids(client, outsider, status="submitted") == set()
        assert csv_rows(client, outsider) == []
    # Not found either when the other partner tries to write to it.
    assert_problem(patch(client, other_partner, draft["id"], {"findings": "Mine."}), 404)
    assert_problem(step(client, other_partner, draft["id"], "submit"), 404)
    assert read(client, author, draft["id"]) == draft


def test_a_returned_report_is_hidden_from_another_partner_organisation(
    client: TestClient, author: Headers, reviewer: Headers, other_partner: Headers
) -> None:
    report = submitted_report(client, author)
    return_(client, reviewer, report["id"])

    assert_problem(client.get(path_of(report["id"]), headers=other_partner), 404)
    assert listed_ids(client, other_partner) == set()


@pytest.mark.parametrize("caller", ["admin", "editor", "secretariat-api-token"])
def test_the_secretariat_and_reviewers_find_every_unpublished_report(
    client: TestClient, author: Headers, headers_of: Callable[[str], Headers], caller: str
) -> None:
    draft = create(client, author, visibility="restricted")
    submitted = submitted_report(client, author)
    headers = headers_of(caller)

    assert read(client, headers, draft["id"])["status"] == "draft"
    assert read(client, headers, submitted["id"])["status"] == "submitted"
    assert listed_ids(client, headers) == {draft["id"], submitted["id"]}


def test_the_owning_organisation_finds_its_unpublished_reports_through_each_of_its_callers(
    client: TestClient, author: Headers, headers_of: Callable[[str], Headers]
) -> None:
    draft = create(client, author)
    submitted = submitted_report(client, author)
    token = headers_of("partner-api-token")

    assert listed_ids(client, token) == {draft["id"], submitted["id"]}
    assert read(client, token, draft["id"])["id"] == draft["id"]


@pytest.mark.parametrize("visibility", ["partners", "public"])
def test_another_partner_organisation_finds_a_report_once_it_is_published(
    client: TestClient,
    author: Headers,
    reviewer: Headers,
    other_partner: Headers,
    visibility: str,
) -> None:
    report = submitted_report(client, author, visibility=visibility)
    assert_problem(client.get(path_of(report["id"]), headers=other_partner), 404)

    published = publish(client, reviewer, report["id"])

    seen = read(client, other_partner, report["id"])
    assert seen["status"] == "published"
    assert seen["title"] == published["title"]
    assert listed_ids(client, other_partner) == {report["id"]}
    assert listed_ids(client, other_partner, status="published") == {report["id"]}


def test_a_restricted_report_stays_hidden_from_another_partner_after_publication(
    client: TestClient,
    author: Headers,
    reviewer: Headers,
    other_partner: Headers,
    headers_of: Callable[[str], Headers],
) -> None:
    report = submitted_report(client, author, visibility="restricted")
    publish(client, reviewer, report["id"])
    reader = headers_of("reader")

    for outsider in (other_partner, reader):
        assert_problem(client.get(path_of(report["id"]), headers=outsider), 404)
        assert listed_ids(client, outsider) == set()
    assert read(client, author, report["id"])["status"] == "published"


def test_publication_reveals_only_the_published_report_to_other_partners(
    client: TestClient, author: Headers, reviewer: Headers, other_partner: Headers
) -> None:
    published = submitted_report(client, author, title="Published")
    publish(client, reviewer, published["id"])
    still_draft = create(client, author, title="Still a draft")

    assert listed_ids(client, other_partner) == {published["id"]}
    assert_problem(client.get(path_of(still_draft["id"]), headers=other_partner), 404)


# ---- what a list costs ----------------------------------------------------------------------


def test_listing_5_or_50_reports_costs_the_same_number_of_statements(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    author: Headers,
    partner_organisation: Organisation,
    secretariat: Organisation,
) -> None:
    member = create_parliamentarian(client, admin_headers)
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)
    law = create_law(client, admin_headers)
    other = other_organisation(session)

    def add(count: int) -> None:
        for n in range(count):
            record_report(
                session,
                partner_organisation,
                title=f"Visit {n}",
                delegation=[member, hidden],
                law_ids=[law],
            )
            # Another organisation's draft, which the partner cannot find.
            record_report(session, other, title=f"Other visit {n}", law_ids=[law])

    def list_page() -> tuple[int, int]:
        client.get(FIELD_VISITS, params={"limit": 1}, headers=author)  # warm up
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(FIELD_VISITS, params={"limit": 50}, headers=author))
        assert all(item["law_ids"] == [law] for item in page["items"])
        assert all(hidden not in item["delegation"] for item in page["items"])
        assert all(
            item["organisation_id"] == str(partner_organisation.id) for item in page["items"]
        )
        return len(page["items"]), len(statements)

    add(5)
    few, cost_of_few = list_page()
    add(45)
    many, cost_of_many = list_page()

    assert (few, many) == (5, 50)
    assert cost_of_many == cost_of_few
