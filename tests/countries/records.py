"""Records for dossier, corridor and statistics tests, written through the services as the
organisation that owns them."""

import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.activities import service as activities
from app.activities.models import ActivityCreate
from app.agreements import service as agreements
from app.agreements.models import AgreementCreate
from app.assessments import service as assessments
from app.assessments.models import DEFAULT_RUBRIC_ID, Assessment, AssessmentCreate
from app.audit.service import Actor
from app.field_visits import service as field_visits
from app.field_visits.models import FieldVisitCreate
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind
from app.laws import service as laws
from app.laws.models import Law, LawCreate
from app.recommendations import service as recommendations
from app.recommendations.models import RecommendationCreate
from app.records import service as records
from app.records.models import Visibility
from app.treaties import service as treaties
from app.treaties.models import Ratification
from tests.api import ok

Headers = dict[str, str]

PUBLIC = Visibility.public
RESTRICTED = Visibility.restricted


def other_organisation(session: Session) -> Organisation:
    return identity.create_organisation(
        session, actor=None, data=OrganisationCreate(name="Other CSO", kind=OrganisationKind.cso)
    )


def _actor(owner: Organisation) -> Actor:
    return Actor(organisation_id=owner.id)


def law(
    session: Session, owner: Organisation, country: str, visibility: Visibility = PUBLIC
) -> str:
    data = LawCreate(
        country=country, title=f"Law of {country}", kind="act", status="in_force",
        visibility=visibility,
    )  # fmt: skip
    return str(laws.create_law(session, actor=_actor(owner), data=data).id)


def delete_law(session: Session, owner: Organisation, law_id: str) -> None:
    row = session.get(Law, uuid.UUID(law_id))
    assert row is not None
    records.delete(session, laws.KIND, row, actor=_actor(owner), if_match=None)


def agreement(
    session: Session,
    owner: Organisation,
    origin: str,
    destination: str,
    visibility: Visibility = PUBLIC,
    **fields: Any,
) -> str:
    data = AgreementCreate.model_validate(
        {
            "title": f"MOU between {origin} and {destination}",
            "kind": "mou",
            "status": "in_force",
            "parties": [
                {"country": origin, "role": "origin"},
                {"country": destination, "role": "destination"},
            ],
            "visibility": visibility,
            **fields,
        }
    )
    return str(agreements.create_agreement(session, actor=_actor(owner), data=data).id)


def report(
    session: Session,
    owner: Organisation,
    country: str,
    origins: list[str],
    *,
    published: bool = True,
    visibility: Visibility = PUBLIC,
) -> str:
    """A field-visit report by `owner`, published by the secretariat's scripts unless a draft."""
    data = FieldVisitCreate.model_validate(
        {
            "title": f"Visit in {country}",
            "country": country,
            "start_date": "2026-03-10",
            "communities": [{"sector": "domestic_work", "origin_countries": origins}],
            "visibility": visibility,
        }
    )
    row = field_visits.create_field_visit(session, actor=_actor(owner), data=data)
    if published:
        script = _actor(owner)
        row = field_visits.submit(session, actor=script, principal=None, report=row, if_match=None)
        row = field_visits.publish(session, actor=script, principal=None, report=row, if_match=None)
    return str(row.id)


def recommendation(
    session: Session,
    owner: Organisation,
    country: str,
    status: str = "open",
    due_on: date | None = None,
    visibility: Visibility = PUBLIC,
) -> str:
    data = RecommendationCreate.model_validate(
        {
            "text": f"Protect the workers of {country}.",
            "addressed_to": "Ministry of Labour",
            "country": country,
            "status": status,
            "due_on": due_on,
            "visibility": visibility,
        }
    )
    return str(recommendations.create_recommendation(session, actor=_actor(owner), data=data).id)


def activity(
    session: Session, owner: Organisation, country: str, visibility: Visibility = PUBLIC
) -> str:
    data = ActivityCreate.model_validate(
        {"kind": "seminar", "title": f"Seminar in {country}", "country": country,
         "visibility": visibility}
    )  # fmt: skip
    return str(activities.create_activity(session, actor=_actor(owner), data=data).id)


def ratification(
    session: Session,
    owner: Organisation,
    country: str,
    instrument: str,
    status: str,
    visibility: Visibility = PUBLIC,
) -> None:
    row = Ratification(country=country, instrument=instrument, status=status, visibility=visibility)
    records.create(session, treaties.RATIFICATION, row, actor=_actor(owner))


def assessment(
    session: Session,
    owner: Organisation,
    subject_type: str,
    subject_id: str,
    ratings: dict[str, str],
    *,
    assessed_on: str = "2026-11-30",
    published: bool = True,
    visibility: Visibility = PUBLIC,
    rubric_id: uuid.UUID = DEFAULT_RUBRIC_ID,
) -> str:
    """An assessment by `owner` rating criteria (by key) of the default rubric unless named."""
    data = AssessmentCreate.model_validate(
        {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "rubric_id": rubric_id,
            "assessor": "Policy team",
            "assessed_on": assessed_on,
            "ratings": [{"criterion": key, "rating": value} for key, value in ratings.items()],
            "visibility": visibility,
        }
    )
    row = assessments.create_assessment(session, actor=_actor(owner), data=data)
    if published:
        row = assessments.publish(session, actor=_actor(owner), assessment=row, if_match=None)
    return str(row.id)


def delete_assessment(session: Session, owner: Organisation, assessment_id: str) -> None:
    row = session.get(Assessment, uuid.UUID(assessment_id))
    assert row is not None
    records.delete(session, assessments.KIND, row, actor=_actor(owner), if_match=None)


def ids(listed: dict[str, Any]) -> list[str]:
    return [item["id"] for item in listed["items"]]


def collection_ids(client: TestClient, headers: Headers, link: str) -> set[str]:
    """Every record the collection a list links to gives."""
    # In the URL, as params would replace the link's own query.
    page = ok(client.get(f"{link}&limit=200", headers=headers))
    assert page["next_cursor"] is None
    return {item["id"] for item in page["items"]}


def assert_links_to_the_same_set(
    client: TestClient, headers: Headers, listed: dict[str, Any]
) -> None:
    """The list's link gives the records it counts, among them those it shows."""
    linked = collection_ids(client, headers, listed["link"])
    assert len(linked) == listed["total"]
    assert set(ids(listed)) <= linked
