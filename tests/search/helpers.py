"""What the search tests share: the search as a caller makes it, and records to find."""

from typing import Any

import httpx2
from fastapi.testclient import TestClient

from tests.api import ok
from tests.field_visits.helpers import FIELD_VISITS

SEARCH = "/api/v1/search"
LAWS = "/api/v1/laws"
AGREEMENTS = "/api/v1/agreements"
ACTIVITIES = "/api/v1/activities"
PARLIAMENTARIANS = "/api/v1/parliamentarians"
RECOMMENDATIONS = "/api/v1/recommendations"

Headers = dict[str, str]


def search(client: TestClient, headers: Headers, q: str, **params: Any) -> httpx2.Response:
    return client.get(SEARCH, params={"q": q, **params}, headers=headers)


def hits(client: TestClient, headers: Headers, q: str, **params: Any) -> list[dict[str, Any]]:
    """Every hit of one page of up to 200."""
    page = ok(search(client, headers, q, limit=200, **params))
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def found(client: TestClient, headers: Headers, q: str, **params: Any) -> list[str]:
    """The ids of the records the words find, best first."""
    return [hit["id"] for hit in hits(client, headers, q, **params)]


def post(client: TestClient, headers: Headers, path: str, data: dict[str, Any]) -> str:
    created: dict[str, Any] = ok(client.post(path, json=data, headers=headers), 201)
    return str(created["id"])


def law(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {"country": "TH", "title": "Labour Protection Act", "kind": "act", "status": "in_force"}
    return post(client, headers, LAWS, {**data, **overrides})


def agreement(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {
        "title": "Memorandum of Understanding on Employment Cooperation",
        "kind": "mou",
        "status": "in_force",
        "parties": [{"country": "KH", "role": "origin"}, {"country": "TH", "role": "destination"}],
    }
    return post(client, headers, AGREEMENTS, {**data, **overrides})


def activity(client: TestClient, headers: Headers, **overrides: Any) -> str:
    return post(client, headers, ACTIVITIES, {"kind": "seminar", "title": "Seminar", **overrides})


def parliamentarian(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {"name": "Maria Santos", "country": "PH", "parliament": "House of Representatives"}
    return post(client, headers, PARLIAMENTARIANS, {**data, **overrides})


def recommendation(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {"text": "Ratify C189.", "addressed_to": "Ministry of Labour"}
    return post(client, headers, RECOMMENDATIONS, {**data, **overrides})


def report(client: TestClient, headers: Headers, **overrides: Any) -> str:
    data = {"title": "Visit", "country": "MY", "start_date": "2026-03-10"}
    return post(client, headers, FIELD_VISITS, {**data, **overrides})
