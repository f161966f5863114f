"""What the field-visit report tests share: paths, valid bodies, the workflow's steps, callers
of a second partner organisation, and checks of responses and of what is stored."""

import csv
import io
import uuid
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.audit.service import Actor
from app.core.config import Settings
from app.field_visits import service
from app.field_visits.models import FieldVisit, FieldVisitCreate
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role
from app.recommendations.models import Recommendation
from app.records.models import ChangeEvent, Revision
from tests.activities.helpers import (
    create_agreement,
    create_law,
    create_parliamentarian,
    record_law,
    record_parliamentarian,
)
from tests.api import RecordCollection, assert_problem, ok
from tests.api import counting_statements as counting_statements
from tests.conftest import login_headers, make_user

# Shared with the activity tests: records to link to, and what a request costs.
__all__ = [
    "counting_statements",
    "create_agreement",
    "create_law",
    "create_parliamentarian",
    "record_law",
    "record_parliamentarian",
]

FIELD_VISITS = "/api/v1/field-visits"
RECOMMENDATIONS = "/api/v1/recommendations"
PROBLEM_JSON = "application/problem+json"
CSV = {"Accept": "text/csv"}
MISSING = "5d70e6d8-033e-452a-a1bf-f36a6c165897"

_COLLECTION = RecordCollection(FIELD_VISITS)
listed = _COLLECTION.listed
listed_ids = _COLLECTION.listed_ids

Headers = dict[str, str]

# The steps `allowed_next` names.
AUTHOR_STEPS = ["edit", "submit"]
REVIEW_STEPS = ["edit", "publish", "return"]
CORRECT = ["correct"]
NOTHING: list[str] = []

REASON = "Please add the number of workers met in Petaling Jaya."


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: a visit to domestic workers in Malaysia, with one recommendation."""
    return {
        "title": "Visit to domestic workers' shelters in Kuala Lumpur",
        "country": "MY",
        "start_date": "2026-03-10",
        "end_date": "2026-03-12",
        "places": ["Kuala Lumpur", "Petaling Jaya"],
        "communities": [
            {"sector": "domestic_work", "origin_countries": ["ID", "PH"], "workers_met": 40}
        ],
        "findings": "Passports kept by employers; wages withheld for months.",
        "recommendations": [
            {
                "text": "Include domestic workers in the minimum wage order.",
                "addressed_to": "Ministry of Human Resources",
            }
        ],
        **overrides,
    }


# ---- requests -------------------------------------------------------------------------------


def path_of(record_id: str) -> str:
    return f"{FIELD_VISITS}/{record_id}"


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(FIELD_VISITS, json=body(**overrides), headers=headers), 201
    )
    return created


def read(client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(path_of(record_id), headers=headers))
    return found


def patch(
    client: TestClient,
    headers: Headers,
    record_id: str,
    changes: dict[str, Any],
    **extra_headers: str,
) -> httpx2.Response:
    return client.patch(path_of(record_id), json=changes, headers={**headers, **extra_headers})


def step(
    client: TestClient,
    headers: Headers,
    record_id: str,
    name: str,
    json: dict[str, Any] | None = None,
    **extra_headers: str,
) -> httpx2.Response:
    """POST a step of the workflow (submit, publish, return) or restore."""
    return client.post(
        f"{path_of(record_id)}/{name}", json=json, headers={**headers, **extra_headers}
    )


def submit(client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
    submitted: dict[str, Any] = ok(step(client, headers, record_id, "submit"))
    return submitted


def publish(client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
    published: dict[str, Any] = ok(step(client, headers, record_id, "publish"))
    return published


def return_(
    client: TestClient, headers: Headers, record_id: str, reason: str = REASON
) -> dict[str, Any]:
    returned: dict[str, Any] = ok(step(client, headers, record_id, "return", {"reason": reason}))
    return returned


def submitted_report(client: TestClient, author: Headers, **overrides: Any) -> dict[str, Any]:
    return submit(client, author, create(client, author, **overrides)["id"])


def returned_report(
    client: TestClient, author: Headers, reviewer: Headers, **overrides: Any
) -> dict[str, Any]:
    return return_(client, reviewer, submitted_report(client, author, **overrides)["id"])


def published_report(
    client: TestClient, author: Headers, reviewer: Headers, **overrides: Any
) -> dict[str, Any]:
    return publish(client, reviewer, submitted_report(client, author, **overrides)["id"])


def revisions(client: TestClient, headers: Headers, record_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(
        client.get(f"{path_of(record_id)}/revisions", params={"limit": 200}, headers=headers)
    )["items"]
    return items


def csv_rows(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, str]]:
    response = client.get(FIELD_VISITS, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def recommendations_listed(
    client: TestClient, headers: Headers, report_id: str
) -> list[dict[str, Any]]:
    """The recommendation records made from the report, as the caller finds them."""
    page = ok(
        client.get(RECOMMENDATIONS, params={"source_id": report_id, "limit": 200}, headers=headers)
    )
    items: list[dict[str, Any]] = page["items"]
    return items


# ---- checks ---------------------------------------------------------------------------------


def assert_invalid(response: httpx2.Response, *location: str | int) -> dict[str, Any]:
    """A 422 problem whose errors name `location`, e.g. ("body", "end_date")."""
    problem = assert_problem(response, 422)
    locations = [tuple(error["location"][: len(location)]) for error in problem.get("errors", [])]
    assert tuple(location) in locations, locations
    return problem


def assert_refused(response: httpx2.Response, allowed_next: list[str]) -> dict[str, Any]:
    """A 409 problem naming the steps the caller may take now, in its detail too."""
    problem = assert_problem(response, 409)
    assert problem["allowed_next"] == allowed_next
    for name in allowed_next:
        assert name in problem["detail"]
    return problem


def by_id(*ids: str) -> list[str]:
    """Ids as the API keeps link lists: each once, in id order."""
    return sorted(set(ids), key=uuid.UUID)


# ---- what is stored -------------------------------------------------------------------------


def report_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(FieldVisit)).one()


def recommendation_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Recommendation)).one()


def recommendations_of(session: Session, report_id: str) -> list[Recommendation]:
    statement = select(Recommendation).where(Recommendation.source_id == uuid.UUID(report_id))
    return list(session.exec(statement))


def change_events_of(session: Session, record_id: str) -> list[ChangeEvent]:
    statement = (
        select(ChangeEvent)
        .where(ChangeEvent.record_id == uuid.UUID(record_id))
        .order_by(col(ChangeEvent.seq))
    )
    return list(session.exec(statement))


def stored_writes(session: Session) -> tuple[int, int, int, int]:
    """Rows of reports, recommendations, revisions and change events."""
    return (
        report_count(session),
        recommendation_count(session),
        session.exec(select(func.count()).select_from(Revision)).one(),
        session.exec(select(func.count()).select_from(ChangeEvent)).one(),
    )


# ---- callers and records made outside the API -----------------------------------------------


def other_organisation(session: Session, name: str = "Other CSO") -> Organisation:
    """A partner organisation that owns none of the reports the tests write."""
    return identity.create_organisation(
        session, actor=None, data=OrganisationCreate(name=name, kind=OrganisationKind.cso)
    )


def partner_of(
    session: Session, settings: Settings, organisation: Organisation, email: str
) -> Headers:
    """Login headers of a partner user of `organisation`."""
    return login_headers(settings, make_user(session, organisation, Role.partner, email))


def record_report(session: Session, organisation: Organisation, **overrides: Any) -> str:
    """A draft owned by `organisation`, recorded through the service as a script would."""
    row = service.create_field_visit(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=FieldVisitCreate.model_validate(body(**overrides)),
    )
    return str(row.id)
