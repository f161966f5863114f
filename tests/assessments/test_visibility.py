"""Who finds an assessment: those who may see it and what it assesses; a restricted one is a 404
to other organisations and never counts in their latest score."""

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assessments import service
from app.assessments.models import SubjectType
from app.identity.models import ROLE_SCOPES, Organisation, Role
from app.identity.service import Principal
from app.records.models import Visibility
from tests.assessments.helpers import (
    ASSESSMENTS,
    LAWS,
    Headers,
    assert_problem,
    create,
    create_law,
    listed_ids,
    ok,
    publish,
    published,
    read,
    record_law,
)


def test_a_restricted_assessment_is_a_404_to_other_organisations(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    law = create_law(client, admin_headers, visibility="public")
    hidden = create(client, admin_headers, law, visibility="restricted")
    for caller in ("partner", "parliament-editor"):
        headers = headers_of(caller)
        assert_problem(client.get(f"{ASSESSMENTS}/{hidden['id']}", headers=headers), 404)
        assert_problem(
            client.post(f"{ASSESSMENTS}/{hidden['id']}/publish", headers=headers),
            403 if caller == "partner" else 404,
        )
        assert listed_ids(client, headers) == set()
    assert read(client, headers_of("editor"), hidden["id"])["id"] == hidden["id"]


def test_the_owning_organisation_finds_its_restricted_assessment(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    law = create_law(client, admin_headers, visibility="public")
    office = headers_of("parliament-editor")
    own = create(client, office, law, visibility="restricted")
    assert read(client, office, own["id"])["id"] == own["id"]
    assert_problem(client.get(f"{ASSESSMENTS}/{own['id']}", headers=headers_of("partner")), 404)


def test_an_assessment_of_a_law_the_caller_cannot_see_is_not_found(
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    partner_organisation: Organisation,
    admin_headers: Headers,
    partner_headers: Headers,
) -> None:
    law = record_law(session, secretariat, Visibility.restricted)
    shared = create(client, admin_headers, law, visibility="public")
    assert_problem(client.get(f"{ASSESSMENTS}/{shared['id']}", headers=partner_headers), 404)
    assert listed_ids(client, partner_headers, subject_id=law) == set()
    publish(client, admin_headers, shared["id"])
    partner = Principal(
        organisation=partner_organisation,
        role=Role.partner,
        scopes=ROLE_SCOPES[Role.partner],
    )
    # Asked of a law it cannot see, the service tells the partner nothing either.
    scores = service.latest_published_scores(session, partner, SubjectType.law, {uuid.UUID(law)})
    assert scores == {}


def test_a_restricted_published_assessment_is_left_out_of_other_callers_latest_score(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
    headers_of: Callable[[str], Headers],
) -> None:
    law = create_law(client, admin_headers, visibility="public")
    shared = published(client, admin_headers, law, assessed_on="2026-01-01")
    restricted = published(
        client,
        admin_headers,
        law,
        assessed_on="2026-06-01",
        visibility="restricted",
        ratings=[{"criterion": "transparency", "rating": "not_met"}],
    )
    seen = ok(client.get(f"{LAWS}/{law}", headers=partner_headers))["latest_score"]
    assert seen == {"assessment_id": shared["id"], "score": 100.0, "assessed_on": "2026-01-01"}
    secretariat_sees = ok(client.get(f"{LAWS}/{law}", headers=admin_headers))["latest_score"]
    assert secretariat_sees["assessment_id"] == restricted["id"]
    assert secretariat_sees["score"] == 0.0

    # With no caller, as for a script, every published assessment counts.
    scores = service.latest_published_scores(session, None, SubjectType.law, {uuid.UUID(law)})
    assert scores[uuid.UUID(law)].assessment_id == uuid.UUID(restricted["id"])
