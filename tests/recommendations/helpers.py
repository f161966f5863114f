"""What the recommendation tests share: paths, valid bodies, records to link to, and checks."""

from datetime import date, timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.activities import service as activities
from app.activities.models import ActivityCreate
from app.agreements import service as agreements
from app.agreements.models import AgreementCreate
from app.audit.service import Actor
from app.core.db import utcnow
from app.identity.models import Organisation
from app.laws import service as laws
from app.laws.models import LawCreate
from app.recommendations import service
from app.recommendations.models import Recommendation, RecommendationCreate, TimelineEntry
from app.records.models import Visibility
from tests.api import RecordCollection, ok
from tests.api import assert_invalid as assert_invalid
from tests.api import assert_problem as assert_problem
from tests.api import counting_statements as counting_statements

RECOMMENDATIONS = "/api/v1/recommendations"

FIELD_VISITS = "/api/v1/field-visits"
ACTIVITIES = "/api/v1/activities"
AGREEMENTS = "/api/v1/agreements"
LAWS = "/api/v1/laws"
NOBODY = "5d70e6d8-033e-452a-a1bf-f36a6c165897"

_COLLECTION = RecordCollection(RECOMMENDATIONS)
read = _COLLECTION.read
patch = _COLLECTION.patch
revisions = _COLLECTION.revisions
listed = _COLLECTION.listed
listed_ids = _COLLECTION.listed_ids
csv_response = _COLLECTION.csv_response
csv_rows = _COLLECTION.csv_rows

Headers = dict[str, str]

STATUSES = (
    "open",
    "in_progress",
    "partially_implemented",
    "implemented",
    "rejected",
    "superseded",
)

CLOSED = ("implemented", "rejected", "superseded")
NOT_CLOSED = ("open", "in_progress", "partially_implemented")
PRIORITIES = ("high", "medium", "low")

# Far from today either way, so no test depends on the day or the hour it runs.
LONG_AGO = "2001-01-31"
FAR_AHEAD = "2099-12-31"


def today() -> date:
    """Today as the service counts it (UTC)."""
    return utcnow().date()


def future_day() -> str:
    return (today() + timedelta(days=400)).isoformat()


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: a recommendation to the Malaysian ministry."""
    return {
        "text": "Include domestic workers in the minimum wage order.",
        "addressed_to": "Ministry of Human Resources",
        "country": "MY",
        **overrides,
    }


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(RECOMMENDATIONS, json=body(**overrides), headers=headers), 201
    )
    return created


def post_update(
    client: TestClient,
    headers: Headers,
    record_id: str,
    entry: dict[str, Any],
    **extra_headers: str,
) -> httpx2.Response:
    return client.post(
        f"{RECOMMENDATIONS}/{record_id}/updates", json=entry, headers={**headers, **extra_headers}
    )


def add_update(
    client: TestClient, headers: Headers, record_id: str, **entry: Any
) -> dict[str, Any]:
    """Post a timeline entry (status `in_progress` unless given) and return the recommendation."""
    updated: dict[str, Any] = ok(
        post_update(client, headers, record_id, {"status": "in_progress", **entry})
    )
    return updated


def recommendation_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Recommendation)).one()


def timeline_entry_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(TimelineEntry)).one()


# ---- records to link to ---------------------------------------------------------------------


def create_agreement(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {
        "title": "Memorandum of Understanding on the Recruitment of Domestic Workers",
        "kind": "mou",
        "status": "in_force",
        "parties": [
            {"country": "ID", "role": "origin"},
            {"country": "MY", "role": "destination"},
        ],
        **overrides,
    }
    created: dict[str, Any] = ok(client.post(AGREEMENTS, json=data, headers=headers), 201)
    return str(created["id"])


def create_law(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {
        "country": "MY",
        "title": "Employment Act 1955",
        "kind": "act",
        "status": "in_force",
        **overrides,
    }
    created: dict[str, Any] = ok(client.post(LAWS, json=data, headers=headers), 201)
    return str(created["id"])


def create_activity(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {"kind": "seminar", "title": "Seminar on domestic workers' wages", **overrides}
    created: dict[str, Any] = ok(client.post(ACTIVITIES, json=data, headers=headers), 201)
    return str(created["id"])


def record_law(session: Session, organisation: Organisation, visibility: Visibility) -> str:
    """A law owned by `organisation`, recorded through the service."""
    row = laws.create_law(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=LawCreate(
            country="MY",
            title="Private Employment Agencies Act",
            kind="act",
            status="in_force",
            visibility=visibility,
        ),
    )
    return str(row.id)


def record_agreement(session: Session, organisation: Organisation, visibility: Visibility) -> str:
    """An agreement owned by `organisation`, recorded through the service."""
    row = agreements.create_agreement(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=AgreementCreate.model_validate(
            {
                "title": "Bilateral agreement on seafarers",
                "kind": "bilateral_agreement",
                "status": "in_force",
                "parties": [
                    {"country": "PH", "role": "origin"},
                    {"country": "TH", "role": "destination"},
                ],
                "visibility": visibility,
            }
        ),
    )
    return str(row.id)


def record_activity(session: Session, organisation: Organisation, visibility: Visibility) -> str:
    """An activity owned by `organisation`, recorded through the service."""
    row = activities.create_activity(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=ActivityCreate(kind="seminar", title="Closed seminar", visibility=visibility),
    )
    return str(row.id)


def record_recommendation(
    session: Session, organisation: Organisation, **fields: Any
) -> Recommendation:
    """A recommendation owned by `organisation`, recorded through the service as a script would."""
    return service.create_recommendation(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=RecommendationCreate.model_validate(body(**fields)),
    )


# ---- field-visit reports --------------------------------------------------------------------


def report_body(**overrides: Any) -> dict[str, Any]:
    """A field-visit report making one recommendation with no country of its own."""
    return {
        "title": "Visit to domestic workers' shelters in Kuala Lumpur",
        "country": "MY",
        "start_date": "2026-03-10",
        "recommendations": [
            {
                "text": "Open a labour desk in every shelter.",
                "addressed_to": "Labour Department of Peninsular Malaysia",
                "priority": "high",
                "due_on": FAR_AHEAD,
            }
        ],
        **overrides,
    }


def draft_report(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(FIELD_VISITS, json=report_body(**overrides), headers=headers), 201
    )
    return created


def published_report(
    client: TestClient, author: Headers, editor: Headers, **overrides: Any
) -> dict[str, Any]:
    """A report written and submitted by `author`, published by `editor`."""
    report = draft_report(client, author, **overrides)
    ok(client.post(f"{FIELD_VISITS}/{report['id']}/submit", headers=author))
    published: dict[str, Any] = ok(
        client.post(f"{FIELD_VISITS}/{report['id']}/publish", headers=editor)
    )
    return published


# ---- what a request costs -------------------------------------------------------------------
