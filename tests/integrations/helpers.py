"""What the change feed tests share: reading the feed as a caller does."""

from typing import Any

from fastapi.testclient import TestClient

from tests.api import ok

CHANGES = "/api/v1/changes"

Headers = dict[str, str]


def feed(client: TestClient, headers: Headers, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = ok(client.get(CHANGES, params=params, headers=headers))
    return page


def changes_of(client: TestClient, headers: Headers, **params: Any) -> list[tuple[str, str]]:
    """(id, action) of every change one page of up to 200 gives the caller."""
    page = feed(client, headers, limit=200, **params)
    return [(item["id"], item["action"]) for item in page["items"]]


def ids_in(client: TestClient, headers: Headers, **params: Any) -> set[str]:
    return {record_id for record_id, _ in changes_of(client, headers, **params)}
