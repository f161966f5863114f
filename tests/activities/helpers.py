"""What the activity tests share: paths, valid bodies, records to link to, and checks."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.activities import service
from app.activities.models import Activity, ActivityCreate
from app.audit.service import Actor
from app.identity.models import Organisation
from app.laws import service as laws
from app.laws.models import LawCreate
from app.members import service as members
from app.members.models import ParliamentarianCreate
from app.records.models import Visibility
from tests.api import RecordCollection, ok
from tests.api import assert_invalid as assert_invalid
from tests.api import assert_problem as assert_problem
from tests.api import counting_statements as counting_statements

ACTIVITIES = "/api/v1/activities"

PARLIAMENTARIANS = "/api/v1/parliamentarians"
AGREEMENTS = "/api/v1/agreements"
LAWS = "/api/v1/laws"

_COLLECTION = RecordCollection(ACTIVITIES)
read = _COLLECTION.read
patch = _COLLECTION.patch
revisions = _COLLECTION.revisions
listed = _COLLECTION.listed
listed_ids = _COLLECTION.listed_ids
csv_response = _COLLECTION.csv_response
csv_rows = _COLLECTION.csv_rows

Headers = dict[str, str]

KINDS = (
    "caucus_meeting",
    "seminar",
    "exchange_visit",
    "oversight_hearing",
    "parliamentary_debate",
    "other",
)


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: a seminar in Kuala Lumpur."""
    return {
        "kind": "seminar",
        "title": "Seminar with trade unions on the rights of domestic workers",
        **overrides,
    }


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(ACTIVITIES, json=body(**overrides), headers=headers), 201
    )
    return created


def activity_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Activity)).one()


def by_id(*ids: str) -> list[str]:
    """Ids as the API keeps link lists: each once, in id order."""
    return sorted(set(ids), key=uuid.UUID)


# ---- records to link to ---------------------------------------------------------------------


def create_parliamentarian(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {
        "name": "Maria Santos",
        "country": "PH",
        "parliament": "House of Representatives of the Philippines",
        **overrides,
    }
    created: dict[str, Any] = ok(client.post(PARLIAMENTARIANS, json=data, headers=headers), 201)
    return str(created["id"])


def create_agreement(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {
        "title": "Memorandum of Understanding on the Recruitment of Domestic Workers",
        "kind": "mou",
        "status": "in_force",
        "parties": [
            {"country": "PH", "role": "origin"},
            {"country": "SA", "role": "destination"},
        ],
        **overrides,
    }
    created: dict[str, Any] = ok(client.post(AGREEMENTS, json=data, headers=headers), 201)
    return str(created["id"])


def create_law(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {
        "country": "PH",
        "title": "Domestic Workers Act (Batas Kasambahay)",
        "kind": "act",
        "status": "in_force",
        **overrides,
    }
    created: dict[str, Any] = ok(client.post(LAWS, json=data, headers=headers), 201)
    return str(created["id"])


def record_parliamentarian(
    session: Session, organisation: Organisation, visibility: Visibility
) -> str:
    """A parliamentarian owned by `organisation`, recorded through the service."""
    row = members.create_parliamentarian(
        session,
        actor=Actor(organisation_id=organisation.id),
        principal=None,
        data=ParliamentarianCreate(
            name="Somchai Jaidee",
            country="TH",
            parliament="National Assembly of Thailand",
            visibility=visibility,
        ),
    )
    return str(row.id)


def record_law(session: Session, organisation: Organisation, visibility: Visibility) -> str:
    """A law owned by `organisation`, recorded through the service."""
    row = laws.create_law(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=LawCreate(
            country="MY",
            title="Employment Act 1955",
            kind="act",
            status="in_force",
            visibility=visibility,
        ),
    )
    return str(row.id)


def record_activity(session: Session, organisation: Organisation, **fields: Any) -> str:
    """An activity owned by `organisation`, recorded through the service as a script would."""
    row = service.create_activity(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=ActivityCreate.model_validate(body(**fields)),
    )
    return str(row.id)


# ---- what a request costs -------------------------------------------------------------------
