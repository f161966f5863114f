"""Lists: keyset pages of at most 200, always in order, linked by an opaque cursor, stable while
rows are inserted, filterable by `updated_since`, and costing as many statements per page
whatever its size."""

import base64
import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.identity.models import User
from tests.api import counting_statements
from tests.records.helpers import AGREEMENTS, actor_of, create, ok, problem, seed


def _order_key(item: dict[str, Any]) -> tuple[datetime, uuid.UUID]:
    return datetime.fromisoformat(item["created_at"]), uuid.UUID(item["id"])


def _link_target(link: str) -> str:
    target, relation = link.split(";", 1)
    assert relation.strip() == 'rel="next"'
    assert target.startswith("<")
    assert target.endswith(">")
    return target[1:-1]


@pytest.mark.parametrize("limit", ["0", "201", "-1", "many"])
def test_a_limit_outside_1_to_200_is_422(
    client: TestClient, admin_headers: dict[str, str], limit: str
) -> None:
    problem(client.get(AGREEMENTS, params={"limit": limit}, headers=admin_headers), 422)


def test_limits_1_and_200_are_accepted_and_default_is_50(
    app: FastAPI, client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    seed(app, actor_of(admin), 51)

    sizes = [
        len(ok(client.get(AGREEMENTS, params=params, headers=admin_headers))["items"])
        for params in ({"limit": 1}, {"limit": 200}, {})
    ]

    assert sizes == [1, 51, 50]


def test_pages_follow_one_another_in_order_through_next_cursor_and_link(
    app: FastAPI, client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    seeded = {str(record_id) for record_id in seed(app, actor_of(admin), 7)}
    pages: list[list[dict[str, Any]]] = []

    response = client.get(AGREEMENTS, params={"limit": 3}, headers=admin_headers)
    while True:
        page = ok(response)
        pages.append(page["items"])
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        next_url = _link_target(response.headers["link"])
        assert f"cursor={page['next_cursor']}" in next_url
        by_cursor = client.get(
            AGREEMENTS, params={"limit": 3, "cursor": page["next_cursor"]}, headers=admin_headers
        )
        response = client.get(next_url, headers=admin_headers)
        assert response.json() == by_cursor.json()

    assert [len(items) for items in pages] == [3, 3, 1]
    walked = [item for items in pages for item in items]
    assert {item["id"] for item in walked} == seeded
    assert walked == sorted(walked, key=_order_key)


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        base64.urlsafe_b64encode(b'["2020-01-01T00:00:00+00:00"]').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"id": 1}').decode(),
    ],
)
def test_a_cursor_that_the_service_did_not_issue_is_422(
    client: TestClient, admin_headers: dict[str, str], cursor: str
) -> None:
    create(client, admin_headers)

    response = client.get(AGREEMENTS, params={"cursor": cursor}, headers=admin_headers)

    problem(response, 422)


def test_walking_all_pages_while_rows_are_inserted_repeats_and_misses_nothing(
    app: FastAPI, client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    actor = actor_of(admin)
    at_start = {str(record_id) for record_id in seed(app, actor, 10)}
    walked: list[dict[str, Any]] = []
    cursor = None

    for _ in range(20):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(AGREEMENTS, params=params, headers=admin_headers))
        walked.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        seed(app, actor, 2, title="Inserted while walking")
    else:
        pytest.fail("the walk never ended")

    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids)), "a row was served twice"
    assert at_start <= set(ids), "a row that existed at the start was missed"
    assert walked == sorted(walked, key=_order_key)


def test_updated_since_lists_only_records_changed_at_or_after_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    older = create(client, admin_headers, title="Older")
    newer = create(client, admin_headers, title="Newer")
    since = newer["updated_at"]

    def listed() -> list[str]:
        params = {"updated_since": since, "limit": 200}
        return [
            i["id"]
            for i in ok(client.get(AGREEMENTS, params=params, headers=admin_headers))["items"]
        ]

    assert listed() == [newer["id"]]

    ok(
        client.patch(
            f"{AGREEMENTS}/{older['id']}", json={"title": "Older, changed"}, headers=admin_headers
        )
    )

    assert listed() == [older["id"], newer["id"]]
    problem(
        client.get(AGREEMENTS, params={"updated_since": "yesterday"}, headers=admin_headers), 422
    )


def test_a_page_of_200_costs_as_many_statements_as_a_page_of_5(
    app: FastAPI, client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    seed(app, actor_of(admin), 200)
    costs = []

    for limit in (5, 200, 5, 200):
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(AGREEMENTS, params={"limit": limit}, headers=admin_headers))
        assert len(page["items"]) == limit
        assert all(item["parties"] for item in page["items"])
        costs.append(len(statements))

    assert costs[0] > 0
    assert costs == [costs[0]] * 4, costs
