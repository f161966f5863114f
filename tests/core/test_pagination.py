"""Keyset pagination, through the organisation and user lists."""

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.security import hash_password
from app.identity.models import Organisation, OrganisationKind, Role, User

ORGANISATIONS = "/api/v1/organisations"
USERS = "/api/v1/users"
LINK_NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def add_organisations(session: Session, count: int, prefix: str = "Org") -> list[Organisation]:
    # Straight into the table: the service's per-row audit entry is not what is tested here.
    rows = [
        Organisation(name=f"{prefix} {uuid.uuid4().hex}", kind=OrganisationKind.cso)
        for _ in range(count)
    ]
    session.add_all(rows)
    session.commit()
    return rows


_HASH: list[str] = []


def add_users(session: Session, organisation: Organisation, count: int) -> list[User]:
    if not _HASH:
        _HASH.append(hash_password("a password nobody will use"))
    rows = [
        User(
            email=f"user-{uuid.uuid4().hex}@example.org",
            full_name="Listed user",
            role=Role.reader,
            organisation_id=organisation.id,
            password_hash=_HASH[0],
        )
        for _ in range(count)
    ]
    session.add_all(rows)
    session.commit()
    return rows


def next_link(response: Response) -> str | None:
    header = response.headers.get("Link")
    if header is None:
        return None
    match = LINK_NEXT.fullmatch(header)
    assert match is not None, header
    return match["url"]


def page(
    client: TestClient, path: str, headers: dict[str, str], **params: Any
) -> tuple[list[str], Response]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]], response


# ---- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ORGANISATIONS, USERS])
@pytest.mark.parametrize("limit", ["0", "201", "-1", "ten"])
def test_limit_out_of_bounds_is_422(
    client: TestClient, admin_headers: dict[str, str], path: str, limit: str
) -> None:
    response = client.get(path, params={"limit": limit}, headers=admin_headers)

    body = assert_problem(response, 422)
    assert ["query", "limit"] in [error["location"] for error in body["errors"]]


@pytest.mark.parametrize("limit", [1, 200])
def test_limits_at_the_bounds_are_accepted(
    client: TestClient, admin_headers: dict[str, str], session: Session, limit: int
) -> None:
    add_organisations(session, 201)

    ids, _ = page(client, ORGANISATIONS, admin_headers, limit=limit)

    assert len(ids) == limit


def test_default_limit_is_50(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisations(session, 60)  # and the admin's secretariat: 61

    ids, response = page(client, ORGANISATIONS, admin_headers)

    assert len(ids) == 50
    assert response.json()["next_cursor"] is not None
    assert next_link(response) is not None


def test_one_page_holding_everything_has_no_next(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisations(session, 4)  # and the secretariat: 5

    exactly, exact_response = page(client, ORGANISATIONS, admin_headers, limit=5)
    roomy, roomy_response = page(client, ORGANISATIONS, admin_headers, limit=6)
    short, short_response = page(client, ORGANISATIONS, admin_headers, limit=4)

    assert len(exactly) == len(roomy) == 5
    for response in (exact_response, roomy_response):
        assert response.json()["next_cursor"] is None
        assert "Link" not in response.headers
    assert len(short) == 4
    assert short_response.json()["next_cursor"] is not None
    assert next_link(short_response) is not None


def test_next_link_carries_the_filters_limit_and_cursor(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisations(session, 3)

    _, response = page(client, ORGANISATIONS, admin_headers, limit=2, kind="cso", q="org")

    url = next_link(response)
    assert url is not None
    query = dict(
        pair.split("=", 1) for pair in url.split("?", 1)[1].split("&")
    )  # the cursor is URL-safe base64: no escaping to undo
    assert query == {
        "limit": "2",
        "kind": "cso",
        "q": "org",
        "cursor": response.json()["next_cursor"],
    }
    assert url.startswith(f"http://testserver{ORGANISATIONS}?")


# ---- walking pages -------------------------------------------------------------------------


def walk(
    client: TestClient,
    path: str,
    headers: dict[str, str],
    between_pages: Callable[[int], None] = lambda _: None,
    **params: Any,
) -> list[list[str]]:
    """Every page from the first, following the Link header, checked against next_cursor."""
    pages: list[list[str]] = []
    ids, response = page(client, path, headers, **params)
    while True:
        pages.append(ids)
        url = next_link(response)
        assert (url is None) == (response.json()["next_cursor"] is None)
        if url is None:
            return pages
        assert len(pages) < 100, "the pages never end"
        between_pages(len(pages))
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        ids = [item["id"] for item in response.json()["items"]]


def test_following_next_gives_the_next_page(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisations(session, 6)  # and the secretariat: 7
    everything, _ = page(client, ORGANISATIONS, admin_headers, limit=200)

    pages = walk(client, ORGANISATIONS, admin_headers, limit=3)

    assert pages == [everything[0:3], everything[3:6], everything[6:7]]


def test_following_next_keeps_the_filters(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    add_organisations(session, 5, prefix="Kept")
    add_organisations(session, 5, prefix="Dropped")
    kept, _ = page(client, ORGANISATIONS, admin_headers, limit=200, q="kept")
    assert len(kept) == 5

    pages = walk(client, ORGANISATIONS, admin_headers, limit=2, q="kept")

    assert pages == [kept[0:2], kept[2:4], kept[4:5]]


def test_users_can_be_walked_page_by_page(
    client: TestClient, admin_headers: dict[str, str], session: Session, admin: User
) -> None:
    secretariat = session.get(Organisation, admin.organisation_id)
    assert secretariat is not None
    add_users(session, secretariat, 8)  # and the admin: 9
    everything, _ = page(client, USERS, admin_headers, limit=200)
    assert len(everything) == 9

    pages = walk(client, USERS, admin_headers, limit=4)

    assert pages == [everything[0:4], everything[4:8], everything[8:9]]


@pytest.mark.parametrize("path", [ORGANISATIONS, USERS])
def test_inserts_between_pages_cause_no_duplicates_and_no_gaps(
    client: TestClient, admin_headers: dict[str, str], session: Session, admin: User, path: str
) -> None:
    secretariat = session.get(Organisation, admin.organisation_id)
    assert secretariat is not None

    def insert(count: int) -> None:
        if path == ORGANISATIONS:
            add_organisations(session, count)
        else:
            add_users(session, secretariat, count)

    insert(11)
    at_start, _ = page(client, path, admin_headers, limit=200)
    assert len(at_start) == 12

    pages = walk(client, path, admin_headers, between_pages=lambda _: insert(2), limit=3)

    seen = [row for rows in pages for row in rows]
    assert len(seen) == len(set(seen)), "a row was served twice"
    assert set(at_start) <= set(seen), "a row that existed at the start was skipped"
    assert seen[: len(at_start)] == at_start
    total, _ = page(client, path, admin_headers, limit=200)
    assert seen == total


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", [ORGANISATIONS, USERS])
@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        _cursor({"created_at": "2026-01-01T00:00:00+00:00"}),  # type: ignore[arg-type]
        _cursor(["2026-01-01T00:00:00+00:00"]),
        _cursor(["2026-01-01T00:00:00+00:00", str(uuid.uuid4()), "extra"]),
        _cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
        _cursor([None, None]),
        "A" * 513,
    ],
    ids=[
        "punctuation",
        "percent",
        "not-utf8",
        "object",
        "too-short",
        "too-long",
        "bad-uuid",
        "nulls",
        "oversized",
    ],
)
def test_a_garbage_cursor_is_a_422_problem(
    app: FastAPI, admin_headers: dict[str, str], path: str, cursor: str
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path, params={"cursor": cursor}, headers=admin_headers)

    body = assert_problem(response, 422)
    assert "Traceback" not in response.text
    assert body["detail"]


@pytest.mark.parametrize("path", [ORGANISATIONS, USERS])
def test_a_cursor_with_a_number_for_the_id_is_a_422_problem(
    app: FastAPI, admin_headers: dict[str, str], path: str
) -> None:
    cursor = _cursor(["2026-01-01T00:00:00+00:00", 5])

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path, params={"cursor": cursor}, headers=admin_headers)

    assert_problem(response, 422)


# ---- a constant number of statements per page ----------------------------------------------


@contextmanager
def counting_statements(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append(statement)

    engine = app.state.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("path", [ORGANISATIONS, USERS])
def test_a_page_of_200_rows_takes_as_many_statements_as_a_page_of_5(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    session: Session,
    admin: User,
    path: str,
) -> None:
    secretariat = session.get(Organisation, admin.organisation_id)
    assert secretariat is not None

    def grow_to(rows: int) -> None:
        # One row (the secretariat, or the admin) is there from the start.
        if path == ORGANISATIONS:
            add_organisations(session, rows - 1)
        else:
            add_users(session, secretariat, rows - 1)

    grow_to(5)
    page(client, path, admin_headers, limit=200)  # warm up the pool and caches
    with counting_statements(app) as small:
        small_ids, _ = page(client, path, admin_headers, limit=200)
    grow_to(200 - 5 + 1)
    with counting_statements(app) as large:
        large_ids, _ = page(client, path, admin_headers, limit=200)

    assert len(small_ids) == 5
    assert len(large_ids) == 200
    assert small, "nothing was counted: the listener is not on the app's engine"
    assert len(large) == len(small), large
