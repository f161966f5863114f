"""What tests of record collections share: reading answers, problems, pages, CSV and the cost
of a request in SQL statements and thread hops."""

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

PROBLEM_JSON = "application/problem+json"
CSV = {"Accept": "text/csv"}

Headers = dict[str, str]


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


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


@contextmanager
def counting_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@contextmanager
def counting_threads() -> Iterator[list[str]]:
    """The names of the functions run in the threadpool inside the block, in order."""
    ran: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ran.append(getattr(function, "func", function).__name__)
        return await run_sync(function, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(anyio.to_thread, "run_sync", counted)
        yield ran


@dataclass(frozen=True)
class RecordCollection:
    """Reads of one record collection, e.g. `/api/v1/activities`, as a caller makes them."""

    path: str

    def read(self, client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
        found: dict[str, Any] = ok(client.get(f"{self.path}/{record_id}", headers=headers))
        return found

    def patch(
        self,
        client: TestClient,
        headers: Headers,
        record_id: str,
        changes: dict[str, Any],
        **extra_headers: str,
    ) -> httpx2.Response:
        return client.patch(
            f"{self.path}/{record_id}", json=changes, headers={**headers, **extra_headers}
        )

    def revisions(
        self, client: TestClient, headers: Headers, record_id: str
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = ok(
            client.get(f"{self.path}/{record_id}/revisions", headers=headers)
        )["items"]
        return items

    def listed(self, client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
        """Every record the list gives for these filters (one page of up to 200)."""
        page = ok(client.get(self.path, params={"limit": 200, **params}, headers=headers))
        assert page["next_cursor"] is None
        items: list[dict[str, Any]] = page["items"]
        return items

    def listed_ids(self, client: TestClient, headers: Headers, **params: Any) -> set[str]:
        return {item["id"] for item in self.listed(client, headers, **params)}

    def csv_response(self, client: TestClient, headers: Headers, **params: Any) -> httpx2.Response:
        response = client.get(self.path, params=params, headers={**headers, **CSV})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        return response

    def csv_rows(self, client: TestClient, headers: Headers, **params: Any) -> list[dict[str, str]]:
        text = self.csv_response(client, headers, **params).content.decode("utf-8")
        return list(csv.DictReader(io.StringIO(text)))
