"""Who learns of a write: those who may find the record, by the event's visibility and, for
assessments and unpublished reports, by their kind's own rule; deletions included."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation
from app.records.models import Visibility
from tests.activities.helpers import create_law, record_law
from tests.assessments import helpers as assessments
from tests.field_visits import helpers as field_visits
from tests.integrations.helpers import Headers, changes_of, ids_in

LAWS = "/api/v1/laws"


def test_a_restricted_record_s_changes_reach_only_the_secretariat_and_its_organisation(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    office = headers_of("parliament-editor")
    own = create_law(client, office, visibility="restricted")
    shared = create_law(client, office, title="Shared act")

    assert ids_in(client, office) == {own, shared}
    assert ids_in(client, admin_headers) == {own, shared}
    assert ids_in(client, headers_of("partner")) == {shared}


def test_the_deletion_of_a_record_reaches_those_who_could_see_it(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    office = headers_of("parliament-editor")
    public = create_law(client, admin_headers, visibility="public")
    hidden = create_law(client, admin_headers, title="Hidden act", visibility="restricted")
    for law in (public, hidden):
        assert client.delete(f"{LAWS}/{law}", headers=admin_headers).status_code == 204

    assert changes_of(client, office) == [(public, "created"), (public, "deleted")]
    assert (hidden, "deleted") in changes_of(client, admin_headers)


def test_the_write_that_restricts_a_record_reaches_those_who_could_see_it(
    client: TestClient, admin_headers: Headers, partner_headers: Headers
) -> None:
    law = create_law(client, admin_headers, visibility="partners")
    restricted = client.patch(
        f"{LAWS}/{law}", json={"visibility": "restricted"}, headers=admin_headers
    )
    assert restricted.status_code == 200, restricted.text
    retitled = client.patch(f"{LAWS}/{law}", json={"title": "Retitled"}, headers=admin_headers)
    assert retitled.status_code == 200, retitled.text

    # Told once that it changed (reading it now answers 404), then no more.
    assert changes_of(client, partner_headers) == [(law, "created"), (law, "updated")]


def test_an_assessment_of_a_law_the_caller_cannot_see_is_not_in_its_feed(
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    admin_headers: Headers,
    partner_headers: Headers,
) -> None:
    hidden_law = record_law(session, secretariat, Visibility.restricted)
    seen_law = create_law(client, admin_headers, visibility="public")
    hidden = assessments.create(client, admin_headers, hidden_law, visibility="public")
    seen = assessments.create(client, admin_headers, seen_law, visibility="public")
    assessments.publish(client, admin_headers, hidden["id"])
    assert (
        client.delete(f"{assessments.ASSESSMENTS}/{seen['id']}", headers=admin_headers).status_code
        == 204
    )

    assert changes_of(client, partner_headers, types="assessment") == [
        (seen["id"], "created"),
        (seen["id"], "deleted"),
    ]
    assert ids_in(client, admin_headers, types="assessment") == {hidden["id"], seen["id"]}


def test_a_report_s_changes_before_publication_reach_only_its_organisation_and_the_secretariat(
    client: TestClient,
    admin_headers: Headers,
    partner_headers: Headers,
    headers_of: Callable[[str], Headers],
) -> None:
    other = headers_of("reader")
    draft = field_visits.create(client, partner_headers, visibility="public")
    report = field_visits.published_report(
        client, partner_headers, admin_headers, visibility="public"
    )

    assert changes_of(client, other, types="field_visit") == [(report["id"], "published")]
    assert ids_in(client, partner_headers, types="field_visit") == {draft["id"], report["id"]}
    assert ids_in(client, admin_headers, types="field_visit") == {draft["id"], report["id"]}
