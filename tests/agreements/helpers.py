"""What the agreement tests share: paths, valid bodies, and checks of responses."""

from typing import Any

import httpx2
from fastapi.testclient import TestClient

AGREEMENTS = "/api/v1/agreements"
PROBLEM_JSON = "application/problem+json"

# The fields partner organisations build on: a response must carry each of them.
CONTRACT_FIELDS = frozenset(
    {
        "title",
        "kind",
        "status",
        "parties",
        "signed_on",
        "effective_on",
        "expires_on",
        "sectors",
        "summary",
        "text_url",
        "language",
        "sources",
        "visibility",
        "external_ref",
    }
)


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: an MOU between the Philippines and Saudi Arabia."""
    return {
        "title": "Memorandum of Understanding on the Recruitment of Domestic Workers",
        "kind": "mou",
        "status": "in_force",
        "parties": [
            {"country": "PH", "role": "origin"},
            {"country": "SA", "role": "destination"},
        ],
        **overrides,
    }


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(AGREEMENTS, json=body(**overrides), headers=headers), 201
    )
    return created


def read(client: TestClient, headers: dict[str, str], agreement_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"{AGREEMENTS}/{agreement_id}", headers=headers))
    return found


def listed_ids(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    """The ids of every agreement the list gives for these filters (one page of up to 200)."""
    page = ok(client.get(AGREEMENTS, params={"limit": 200, **params}, headers=headers))
    assert page["next_cursor"] is None
    return {item["id"] for item in page["items"]}


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def assert_invalid(response: httpx2.Response, *location: str | int) -> dict[str, Any]:
    """A 422 problem whose errors name `location`, e.g. ("body", "expires_on")."""
    problem = assert_problem(response, 422)
    locations = [tuple(error["location"]) for error in problem.get("errors", [])]
    assert tuple(location) in locations, locations
    return problem


def parties(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"country": country, "role": role} for country, role in pairs]
