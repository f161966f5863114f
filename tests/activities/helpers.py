"""What the activity tests share: paths, valid bodies, records to link to, and checks."""

import csv
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import sqlalchemy as sa
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

ACTIVITIES = "/api/v1/activities"
PARLIAMENTARIANS = "/api/v1/parliamentarians"
AGREEMENTS = "/api/v1/agreements"
LAWS = "/api/v1/laws"
PROBLEM_JSON = "application/problem+json"
CSV = {"Accept": "text/csv"}

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


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(ACTIVITIES, json=body(**overrides), headers=headers), 201
    )
    return created


def read(client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"{ACTIVITIES}/{record_id}", headers=headers))
    return found


def patch(
    client: TestClient,
    headers: Headers,
    record_id: str,
    changes: dict[str, Any],
    **extra_headers: str,
) -> httpx2.Response:
    return client.patch(
        f"{ACTIVITIES}/{record_id}", json=changes, headers={**headers, **extra_headers}
    )


def revisions(client: TestClient, headers: Headers, record_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(
        client.get(f"{ACTIVITIES}/{record_id}/revisions", headers=headers)
    )["items"]
    return items


def listed(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    """Every activity the list gives for these filters (one page of up to 200)."""
    page = ok(client.get(ACTIVITIES, params={"limit": 200, **params}, headers=headers))
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def listed_ids(client: TestClient, headers: Headers, **params: Any) -> set[str]:
    return {item["id"] for item in listed(client, headers, **params)}


def csv_response(client: TestClient, headers: Headers, **params: Any) -> httpx2.Response:
    response = client.get(ACTIVITIES, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response


def csv_rows(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, str]]:
    text = csv_response(client, headers, **params).content.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def assert_invalid(response: httpx2.Response, field: str) -> dict[str, Any]:
    """A 422 problem whose errors name the body field `field`."""
    problem = assert_problem(response, 422)
    locations = [tuple(error["location"][:2]) for error in problem.get("errors", [])]
    assert ("body", field) in locations, locations
    return problem


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


@contextmanager
def counting_statements(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
