"""What the parliamentarian tests share: paths, valid bodies, callers, and checks of responses."""

import csv
import io
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.service import Actor
from app.identity.models import Organisation
from app.members import service
from app.members.models import ParliamentarianCreate

PARLIAMENTARIANS = "/api/v1/parliamentarians"
PROBLEM_JSON = "application/problem+json"
CSV = {"Accept": "text/csv"}

Headers = dict[str, str]

CONTACT = {
    "email": "maria.santos.private@example.org",
    "phone": "+63 917 555 0199",
    "address": "Room 512, South Wing, Batasan Complex, Quezon City",
    "notes": "Prefers calls after 18:00.",
}
# What must appear nowhere in what a caller outside the secretariat receives.
CONTACT_MARKERS = ("maria.santos.private", "555 0199", "Batasan Complex", "after 18:00")


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: a member of the Philippine House of Representatives."""
    return {
        "name": "Maria Santos",
        "country": "PH",
        "parliament": "House of Representatives of the Philippines",
        **overrides,
    }


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(PARLIAMENTARIANS, json=body(**overrides), headers=headers), 201
    )
    return created


def read(client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"{PARLIAMENTARIANS}/{record_id}", headers=headers))
    return found


def patch(
    client: TestClient, headers: Headers, record_id: str, changes: dict[str, Any]
) -> httpx2.Response:
    return client.patch(f"{PARLIAMENTARIANS}/{record_id}", json=changes, headers=headers)


def listed(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    """Every parliamentarian the list gives for these filters (one page of up to 200)."""
    page = ok(client.get(PARLIAMENTARIANS, params={"limit": 200, **params}, headers=headers))
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def listed_ids(client: TestClient, headers: Headers, **params: Any) -> set[str]:
    return {item["id"] for item in listed(client, headers, **params)}


def csv_text(client: TestClient, headers: Headers, **params: Any) -> str:
    response = client.get(PARLIAMENTARIANS, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.content.decode("utf-8")


def csv_rows(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text(client, headers, **params))))


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def assert_invalid(response: httpx2.Response, *location: str | int) -> dict[str, Any]:
    """A 422 problem whose errors name `location`, e.g. ("body", "memberships")."""
    problem = assert_problem(response, 422)
    locations = [tuple(error["location"]) for error in problem.get("errors", [])]
    assert tuple(location) in locations, locations
    return problem


def record_parliamentarian(
    session: Session, organisation: Organisation, **overrides: Any
) -> dict[str, Any]:
    """A parliamentarian recorded through the service, owned by `organisation`."""
    row = service.create_parliamentarian(
        session,
        actor=Actor(organisation_id=organisation.id),
        principal=None,
        data=ParliamentarianCreate.model_validate(body(**overrides)),
    )
    return {"id": str(row.id)}
