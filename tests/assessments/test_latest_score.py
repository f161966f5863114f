"""Agreements and laws show the score of their latest published assessment the caller can see,
in a read, a list and a CSV alike, for a page at the cost of one query."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.agreements import service as agreements
from app.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    PartyRole,
)
from app.assessments import service
from app.assessments.models import DEFAULT_RUBRIC_ID, Assessment, AssessmentStatus, SubjectType
from app.audit.service import Actor
from app.core.db import utcnow
from app.identity.models import Organisation
from app.laws import service as laws
from app.laws.models import Law, LawKind, LawStatus
from app.records import service as records
from app.records.models import Record
from app.records.service import RecordKind
from tests.api import RecordCollection
from tests.assessments.helpers import (
    AGREEMENTS,
    ASSESSMENTS,
    LAWS,
    Headers,
    counting_statements,
    create,
    create_agreement,
    create_law,
    ok,
    patch,
    published,
)


def test_an_agreement_shows_its_latest_published_score_in_a_read_and_a_list(
    client: TestClient, admin_headers: Headers, partner_headers: Headers
) -> None:
    agreement = create_agreement(client, admin_headers)
    assert (
        ok(client.get(f"{AGREEMENTS}/{agreement}", headers=partner_headers))["latest_score"] is None
    )
    newest = published(
        client, admin_headers, agreement, subject_type="agreement", assessed_on="2026-05-01"
    )
    # Recorded later but assessed earlier: not the latest.
    published(
        client,
        admin_headers,
        agreement,
        subject_type="agreement",
        assessed_on="2025-05-01",
        ratings=[{"criterion": "transparency", "rating": "not_met"}],
    )
    # A draft never counts.
    create(client, admin_headers, agreement, subject_type="agreement", assessed_on="2026-11-01")
    expected = {"assessment_id": newest["id"], "score": 100.0, "assessed_on": "2026-05-01"}
    assert (
        ok(client.get(f"{AGREEMENTS}/{agreement}", headers=partner_headers))["latest_score"]
        == expected
    )
    [listed] = ok(client.get(AGREEMENTS, headers=partner_headers))["items"]
    assert listed["latest_score"] == expected


def test_a_law_shows_its_latest_score_in_a_read_a_list_and_a_csv(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    unassessed = create_law(client, admin_headers, title="Migrant Workers Act")
    made = published(
        client,
        admin_headers,
        law,
        ratings=[
            {"criterion": "transparency", "rating": "met"},
            {"criterion": "gender", "rating": "not_met"},
        ],
    )
    expected = {"assessment_id": made["id"], "score": 50.0, "assessed_on": "2026-11-30"}
    assert ok(client.get(f"{LAWS}/{law}", headers=admin_headers))["latest_score"] == expected
    scores = {
        item["id"]: item["latest_score"]
        for item in ok(client.get(LAWS, headers=admin_headers))["items"]
    }
    assert scores == {law: expected, unassessed: None}
    rows = {row["id"]: row for row in RecordCollection(LAWS).csv_rows(client, admin_headers)}
    assert rows[law]["latest_score"] == f"{made['id']}:50.0:2026-11-30"
    assert rows[unassessed]["latest_score"] == ""


def test_a_correction_or_deletion_changes_the_latest_score(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    earlier = published(client, admin_headers, law, assessed_on="2025-01-01")
    later = published(client, admin_headers, law, assessed_on="2026-01-01")
    ok(
        patch(
            client,
            admin_headers,
            later["id"],
            {"ratings": [{"criterion": "gender", "rating": "partially_met"}]},
        )
    )
    assert ok(client.get(f"{LAWS}/{law}", headers=admin_headers))["latest_score"]["score"] == 50.0
    client.delete(f"{ASSESSMENTS}/{later['id']}", headers=admin_headers)
    shown = ok(client.get(f"{LAWS}/{law}", headers=admin_headers))["latest_score"]
    assert shown["assessment_id"] == earlier["id"]


def test_a_law_still_hides_the_agreements_the_caller_cannot_see(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    hidden = create_agreement(client, admin_headers, visibility="restricted")
    law = create_law(client, admin_headers, agreement_ids=[hidden])
    made = published(client, admin_headers, law)
    shown = ok(client.get(f"{LAWS}/{law}", headers=headers_of("partner")))
    assert shown["agreement_ids"] == []
    assert shown["latest_score"]["assessment_id"] == made["id"]


def _subject(kind: SubjectType, index: int) -> Record:
    if kind is SubjectType.law:
        return Law(country="PH", title=f"Law {index}", kind=LawKind.act, status=LawStatus.in_force)
    agreement = Agreement(
        title=f"Agreement {index}",
        kind=AgreementKind.multilateral_agreement,
        status=AgreementStatus.in_force,
    )
    agreement.parties = [
        AgreementParty(
            country="PH", role=PartyRole.origin, position=0, created_at=agreement.created_at
        )
    ]
    return agreement


def _seed(session: Session, organisation: Organisation, kind: SubjectType, n: int) -> None:
    """`n` subjects, each with a published assessment, in one commit."""
    actor = Actor(organisation_id=organisation.id)
    subject_kind: RecordKind[Any] = agreements.KIND if kind is SubjectType.agreement else laws.KIND
    for index in range(n):
        subject = records.create(
            session, subject_kind, _subject(kind, index), actor=actor, commit=False
        )
        assessment = Assessment(
            subject_type=kind,
            subject_id=subject.id,
            rubric_id=DEFAULT_RUBRIC_ID,
            assessor="Policy team",
            assessed_on=date(2026, 1, 1),
            status=AssessmentStatus.published,
            published_at=utcnow(),
            score=50.0,
        )
        records.create(session, service.KIND, assessment, actor=actor, commit=False)
    session.commit()


@pytest.mark.parametrize(
    ("kind", "path"),
    [(SubjectType.law, LAWS), (SubjectType.agreement, AGREEMENTS), (SubjectType.law, ASSESSMENTS)],
)
def test_a_page_of_200_costs_as_many_statements_as_a_page_of_5(
    client: TestClient,
    app: FastAPI,
    session: Session,
    secretariat: Organisation,
    partner_headers: Headers,
    kind: SubjectType,
    path: str,
) -> None:
    def list_page(limit: int) -> tuple[int, int]:
        client.get(path, params={"limit": 1}, headers=partner_headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(path, params={"limit": limit}, headers=partner_headers))
        if path != ASSESSMENTS:
            assert all(item["latest_score"]["score"] == 50.0 for item in page["items"])
        return len(page["items"]), len(statements)

    _seed(session, secretariat, kind, 5)
    few, cost_of_few = list_page(5)
    _seed(session, secretariat, kind, 195)
    many, cost_of_many = list_page(200)
    assert (few, many) == (5, 200)
    assert cost_of_many == cost_of_few
