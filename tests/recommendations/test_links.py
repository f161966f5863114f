"""What a recommendation links to: its source (a field-visit report or an activity, or none),
the agreement, law and instrument it concerns. Each is checked when written and, where the
caller may not see the record linked to, read as null everywhere. Recommendations written in a
field-visit report become records of their own when the report is published."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation
from app.records.models import Visibility
from tests.recommendations.helpers import (
    ACTIVITIES,
    FAR_AHEAD,
    FIELD_VISITS,
    LAWS,
    NOBODY,
    RECOMMENDATIONS,
    Headers,
    add_update,
    assert_invalid,
    assert_problem,
    body,
    create,
    create_activity,
    create_agreement,
    create_law,
    csv_rows,
    draft_report,
    listed,
    listed_ids,
    ok,
    patch,
    published_report,
    read,
    recommendation_count,
    record_activity,
    record_agreement,
    record_law,
    revisions,
)

# ---- agreement, law, instrument ----------------------------------------------------------------


@pytest.mark.parametrize("field", ["agreement_id", "law_id"])
def test_an_id_naming_no_record_is_refused_naming_the_field(
    client: TestClient, session: Session, admin_headers: Headers, field: str
) -> None:
    problem = assert_invalid(
        client.post(RECOMMENDATIONS, json=body(**{field: NOBODY}), headers=admin_headers), field
    )

    assert NOBODY in problem["detail"]
    assert recommendation_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {field: NOBODY}), field)
    assert read(client, admin_headers, created["id"]) == created


@pytest.mark.parametrize("field", ["agreement_id", "law_id", "source_id"])
def test_an_id_that_is_not_a_uuid_is_refused_naming_the_field(
    client: TestClient, admin_headers: Headers, field: str
) -> None:
    extra = {"source_type": "activity"} if field == "source_id" else {}
    response = client.post(
        RECOMMENDATIONS, json=body(**{field: "not-an-id"}, **extra), headers=admin_headers
    )

    assert_invalid(response, field)


def test_an_agreement_id_naming_a_law_is_refused(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    agreement = create_agreement(client, admin_headers)

    assert_invalid(
        client.post(RECOMMENDATIONS, json=body(agreement_id=law), headers=admin_headers),
        "agreement_id",
    )
    assert_invalid(
        client.post(RECOMMENDATIONS, json=body(law_id=agreement), headers=admin_headers),
        "law_id",
    )


@pytest.mark.parametrize(
    ("field", "path"), [("agreement_id", "/api/v1/agreements"), ("law_id", LAWS)]
)
def test_a_deleted_record_cannot_be_linked(
    client: TestClient, admin_headers: Headers, field: str, path: str
) -> None:
    gone = (
        create_agreement(client, admin_headers)
        if field == "agreement_id"
        else create_law(client, admin_headers)
    )
    assert client.delete(f"{path}/{gone}", headers=admin_headers).status_code == 204

    assert_invalid(
        client.post(RECOMMENDATIONS, json=body(**{field: gone}), headers=admin_headers), field
    )
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {field: gone}), field)


@pytest.mark.parametrize("field", ["agreement_id", "law_id"])
def test_a_restricted_record_of_another_organisation_is_refused_like_an_unknown_one(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    secretariat: Organisation,
    field: str,
) -> None:
    """An editor of a member's office cannot link what only the secretariat sees."""
    office = headers_of("parliament-editor")
    record = record_agreement if field == "agreement_id" else record_law
    hidden = record(session, secretariat, Visibility.restricted)
    shared = record(session, secretariat, Visibility.partners)

    problem = assert_invalid(
        client.post(RECOMMENDATIONS, json=body(**{field: hidden}), headers=office), field
    )

    assert hidden in problem["detail"]
    assert recommendation_count(session) == 0
    assert create(client, office, **{field: shared})[field] == shared


def test_the_secretariat_may_link_a_restricted_record_of_another_organisation(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    law = record_law(session, partner_organisation, Visibility.restricted)
    agreement = record_agreement(session, partner_organisation, Visibility.restricted)

    created = create(client, admin_headers, law_id=law, agreement_id=agreement)

    assert (created["law_id"], created["agreement_id"]) == (law, agreement)


@pytest.mark.parametrize(("sent", "kept"), [("C189", "C189"), ("c087", "C087"), ("icrmw", "ICRMW")])
def test_an_instrument_code_in_any_case_is_stored_upper_case(
    client: TestClient, admin_headers: Headers, sent: str, kept: str
) -> None:
    created = create(client, admin_headers, instrument_code=sent)

    assert created["instrument_code"] == kept
    assert read(client, admin_headers, created["id"])["instrument_code"] == kept
    changed = ok(patch(client, admin_headers, created["id"], {"instrument_code": "c143"}))
    assert changed["instrument_code"] == "C143"


@pytest.mark.parametrize("code", ["C999", "c999", "189", "C 189", ""])
def test_an_unknown_instrument_is_refused_naming_instrument_code(
    client: TestClient, session: Session, admin_headers: Headers, code: str
) -> None:
    response = client.post(RECOMMENDATIONS, json=body(instrument_code=code), headers=admin_headers)

    assert_invalid(response, "instrument_code")
    assert recommendation_count(session) == 0
    created = create(client, admin_headers, instrument_code="C189")
    assert_invalid(
        patch(client, admin_headers, created["id"], {"instrument_code": code}), "instrument_code"
    )
    assert read(client, admin_headers, created["id"])["instrument_code"] == "C189"


def test_a_patch_may_keep_a_linked_law_deleted_since(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    created = create(client, admin_headers, law_id=law)
    assert client.delete(f"{LAWS}/{law}", headers=admin_headers).status_code == 204

    changed = ok(patch(client, admin_headers, created["id"], {"law_id": law, "priority": "high"}))

    assert (changed["law_id"], changed["priority"]) == (law, "high")


# ---- the source -------------------------------------------------------------------------------


def test_an_activity_can_be_the_source(client: TestClient, admin_headers: Headers) -> None:
    activity = create_activity(client, admin_headers)

    created = create(client, admin_headers, source_type="activity", source_id=activity)

    assert (created["source_type"], created["source_id"]) == ("activity", activity)
    assert read(client, admin_headers, created["id"])["source_id"] == activity


@pytest.mark.parametrize(
    "fields",
    [
        {"source_type": "activity"},
        {"source_id": NOBODY},
        {"source_type": None, "source_id": NOBODY},
    ],
)
def test_source_type_and_source_id_must_go_together(
    client: TestClient, session: Session, admin_headers: Headers, fields: dict[str, Any]
) -> None:
    response = client.post(RECOMMENDATIONS, json=body(**fields), headers=admin_headers)

    problem = assert_problem(response, 422)
    locations = {tuple(error["location"][:2]) for error in problem.get("errors", [])}
    assert locations & {("body", "source_type"), ("body", "source_id")}, locations
    assert recommendation_count(session) == 0


def test_a_patch_may_not_leave_half_a_source(client: TestClient, admin_headers: Headers) -> None:
    activity = create_activity(client, admin_headers)
    sourced = create(client, admin_headers, source_type="activity", source_id=activity)
    bare = create(client, admin_headers)

    assert_problem(patch(client, admin_headers, sourced["id"], {"source_id": None}), 422)
    assert_problem(patch(client, admin_headers, sourced["id"], {"source_type": None}), 422)
    assert_problem(patch(client, admin_headers, bare["id"], {"source_type": "activity"}), 422)
    assert read(client, admin_headers, sourced["id"]) == sourced
    assert read(client, admin_headers, bare["id"]) == bare

    cleared = ok(
        patch(client, admin_headers, sourced["id"], {"source_type": None, "source_id": None})
    )
    assert (cleared["source_type"], cleared["source_id"]) == (None, None)


def test_a_patch_may_name_a_new_source(client: TestClient, admin_headers: Headers) -> None:
    first = create_activity(client, admin_headers)
    second = create_activity(client, admin_headers, title="Another seminar")
    created = create(client, admin_headers)

    sourced = ok(
        patch(client, admin_headers, created["id"], {"source_type": "activity", "source_id": first})
    )
    assert sourced["source_id"] == first
    moved = ok(patch(client, admin_headers, created["id"], {"source_id": second}))
    assert (moved["source_type"], moved["source_id"]) == ("activity", second)


@pytest.mark.parametrize("source_type", ["activity", "field_visit"])
def test_a_source_naming_no_record_of_its_type_is_refused_naming_source_id(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    source_type: str,
) -> None:
    activity = create_activity(client, admin_headers)
    report = draft_report(client, headers_of("partner"))["id"]
    wrong = report if source_type == "activity" else activity

    for source_id in (NOBODY, wrong):
        response = client.post(
            RECOMMENDATIONS,
            json=body(source_type=source_type, source_id=source_id),
            headers=admin_headers,
        )
        assert source_id in assert_invalid(response, "source_id")["detail"]
    assert recommendation_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(
        patch(
            client, admin_headers, created["id"], {"source_type": source_type, "source_id": NOBODY}
        ),
        "source_id",
    )


def test_a_deleted_activity_cannot_be_named_as_the_source(
    client: TestClient, admin_headers: Headers
) -> None:
    activity = create_activity(client, admin_headers)
    assert client.delete(f"{ACTIVITIES}/{activity}", headers=admin_headers).status_code == 204

    response = client.post(
        RECOMMENDATIONS,
        json=body(source_type="activity", source_id=activity),
        headers=admin_headers,
    )

    assert_invalid(response, "source_id")


def test_a_restricted_activity_of_the_secretariat_is_refused_as_source_to_another_office(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    secretariat: Organisation,
) -> None:
    office = headers_of("parliament-editor")
    hidden = record_activity(session, secretariat, Visibility.restricted)
    shared = record_activity(session, secretariat, Visibility.public)

    assert_invalid(
        client.post(
            RECOMMENDATIONS, json=body(source_type="activity", source_id=hidden), headers=office
        ),
        "source_id",
    )
    assert create(client, office, source_type="activity", source_id=shared)["source_id"] == shared


# ---- hidden from those who cannot see what is linked ----------------------------------------


def test_links_the_caller_cannot_see_read_as_null_everywhere(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    partner = headers_of("partner")
    agreement = record_agreement(session, secretariat, Visibility.restricted)
    law = record_law(session, secretariat, Visibility.restricted)
    activity = record_activity(session, secretariat, Visibility.restricted)
    created = create(
        client,
        admin_headers,
        visibility="public",
        agreement_id=agreement,
        law_id=law,
        source_type="activity",
        source_id=activity,
    )
    add_update(client, admin_headers, created["id"], note="Moving.")
    hidden = (agreement, law, activity)

    for field, value in zip(("agreement_id", "law_id", "source_id"), hidden, strict=True):
        assert read(client, admin_headers, created["id"])[field] == value
        assert read(client, partner, created["id"])[field] is None
        assert [item[field] for item in listed(client, partner)] == [None]
        assert [row[field] for row in csv_rows(client, partner)] == [""]
        assert [row[field] for row in csv_rows(client, admin_headers)] == [value]
        assert [r["snapshot"][field] for r in revisions(client, partner, created["id"])] == [
            None
        ] * 2
    texts = [
        client.get(f"{RECOMMENDATIONS}/{created['id']}", headers=partner).text,
        client.get(f"{RECOMMENDATIONS}/{created['id']}/revisions", headers=partner).text,
        client.get(RECOMMENDATIONS, headers=partner).text,
        client.get(RECOMMENDATIONS, headers={**partner, "Accept": "text/csv"}).text,
        client.post(
            f"{RECOMMENDATIONS}/{created['id']}/updates",
            json={"status": "in_progress"},
            headers=partner,
        ).text,
    ]
    for text in texts:
        for value in hidden:
            assert value not in text


def test_links_the_caller_can_see_are_shown(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    reader = headers_of("reader")
    agreement = create_agreement(client, admin_headers)
    law = create_law(client, admin_headers)
    activity = create_activity(client, admin_headers, visibility="public")
    created = create(
        client,
        admin_headers,
        agreement_id=agreement,
        law_id=law,
        source_type="activity",
        source_id=activity,
    )

    seen = read(client, reader, created["id"])

    assert (seen["agreement_id"], seen["law_id"], seen["source_id"]) == (agreement, law, activity)


def test_a_link_to_a_record_deleted_since_is_hidden_from_callers_outside_the_secretariat(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    partner = headers_of("partner")
    law = create_law(client, admin_headers)
    created = create(client, admin_headers, law_id=law)
    assert client.delete(f"{LAWS}/{law}", headers=admin_headers).status_code == 204

    assert read(client, partner, created["id"])["law_id"] is None
    assert read(client, admin_headers, created["id"])["law_id"] == law


def test_a_revision_does_not_name_a_change_to_links_the_caller_cannot_see(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    partner = headers_of("partner")
    hidden = record_law(session, secretariat, Visibility.restricted)
    created = create(client, admin_headers)
    ok(patch(client, admin_headers, created["id"], {"law_id": hidden, "priority": "high"}))

    newest = revisions(client, partner, created["id"])[0]

    assert newest["changed_fields"] == ["priority"]
    assert newest["snapshot"]["law_id"] is None
    assert revisions(client, admin_headers, created["id"])[0]["changed_fields"] == [
        "law_id",
        "priority",
    ]


def test_an_editor_who_cannot_see_the_linked_law_keeps_it_by_patching_other_fields(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    office = headers_of("parliament-editor")
    hidden = record_law(session, secretariat, Visibility.restricted)
    created = create(client, admin_headers, law_id=hidden)

    changed = ok(patch(client, office, created["id"], {"priority": "high"}))

    assert changed["law_id"] is None
    assert read(client, admin_headers, created["id"])["law_id"] == hidden


def test_the_source_id_filter_does_not_reveal_a_source_the_caller_cannot_see(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    partner = headers_of("partner")
    hidden = record_activity(session, secretariat, Visibility.restricted)
    created = create(client, admin_headers, source_type="activity", source_id=hidden)["id"]
    assert listed_ids(client, admin_headers, source_id=hidden) == {created}

    # The partner reads the recommendation as having no source id: filtering by it must agree.
    assert read(client, partner, created)["source_id"] is None
    assert listed_ids(client, partner, source_id=hidden) == set()


# ---- made in a field-visit report --------------------------------------------------------------


def test_a_published_reports_recommendations_become_records_of_their_own(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    partner_organisation: Organisation,
) -> None:
    partner = headers_of("partner")
    editor = headers_of("editor")
    report = published_report(
        client,
        partner,
        editor,
        recommendations=[
            {
                "text": "Open a labour desk in every shelter.",
                "addressed_to": "Labour Department of Peninsular Malaysia",
                "priority": "high",
                "due_on": FAR_AHEAD,
            },
            {
                "text": "Issue passports to workers whose employers hold theirs.",
                "addressed_to": "Embassy of Indonesia in Kuala Lumpur",
                "country": "ID",
            },
        ],
    )
    made = [item["recommendation_id"] for item in report["recommendations"]]
    assert all(made)
    assert len(set(made)) == 2

    first, second = (read(client, partner, made_id) for made_id in made)

    for recommendation in (first, second):
        assert (recommendation["source_type"], recommendation["source_id"]) == (
            "field_visit",
            report["id"],
        )
        assert recommendation["status"] == "open"
        assert recommendation["timeline"] == []
        assert recommendation["organisation_id"] == str(partner_organisation.id)
        assert recommendation["visibility"] == report["visibility"]
    assert first["country"] == "MY"  # the report's country, none being given
    assert second["country"] == "ID"
    assert (first["text"], first["addressed_to"], first["priority"], first["due_on"]) == (
        "Open a labour desk in every shelter.",
        "Labour Department of Peninsular Malaysia",
        "high",
        FAR_AHEAD,
    )
    assert (second["priority"], second["due_on"]) == ("medium", None)
    assert [
        item["id"] for item in listed(client, partner, source="field_visit", source_id=report["id"])
    ] == made
    assert listed_ids(client, editor, source_id=report["id"]) == set(made)
    assert listed_ids(client, editor, source="activity", source_id=report["id"]) == set()


def test_a_reports_recommendations_are_not_records_before_it_is_published(
    client: TestClient, session: Session, headers_of: Callable[[str], Headers]
) -> None:
    partner = headers_of("partner")
    report = draft_report(client, partner)
    ok(client.post(f"{FIELD_VISITS}/{report['id']}/submit", headers=partner))

    assert recommendation_count(session) == 0
    assert listed(client, headers_of("editor"), source_id=report["id"]) == []


def test_a_recommendation_from_a_report_moves_through_updates_by_its_partner(
    client: TestClient, headers_of: Callable[[str], Headers]
) -> None:
    partner = headers_of("partner-api-token")
    editor = headers_of("editor")
    report = published_report(client, partner, editor)
    [made] = [item["recommendation_id"] for item in report["recommendations"]]

    updated = add_update(client, partner, made, status="in_progress", note="Desk opened in KL.")

    assert updated["status"] == "in_progress"
    assert (updated["source_type"], updated["source_id"]) == ("field_visit", report["id"])
    assert listed_ids(client, editor, source="field_visit", status="in_progress") == {made}


def test_a_restricted_reports_recommendations_are_restricted_to_its_organisation(
    client: TestClient, headers_of: Callable[[str], Headers]
) -> None:
    partner = headers_of("partner")
    report = published_report(client, partner, headers_of("editor"), visibility="restricted")
    [made] = [item["recommendation_id"] for item in report["recommendations"]]

    assert read(client, partner, made)["visibility"] == "restricted"
    reader = headers_of("reader")
    assert_problem(client.get(f"{RECOMMENDATIONS}/{made}", headers=reader), 404)
    assert listed_ids(client, reader, source_id=report["id"]) == set()


def test_an_editor_may_name_a_published_report_as_the_source_and_readers_see_it(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    report = published_report(client, headers_of("partner"), headers_of("editor"))

    created = create(client, admin_headers, source_type="field_visit", source_id=report["id"])

    assert created["source_id"] == report["id"]
    assert read(client, headers_of("reader"), created["id"])["source_id"] == report["id"]


def test_a_source_report_the_caller_cannot_find_reads_as_null(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    """An unpublished report is its authors' and reviewers' alone, so is its id."""
    draft = draft_report(client, headers_of("partner"))["id"]
    created = create(client, admin_headers, source_type="field_visit", source_id=draft)

    assert read(client, admin_headers, created["id"])["source_id"] == draft
    reader_view = client.get(f"{RECOMMENDATIONS}/{created['id']}", headers=headers_of("reader"))
    assert ok(reader_view)["source_id"] is None
    assert draft not in reader_view.text
