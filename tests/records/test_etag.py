"""ETag and If-Match: a write based on a version that is no longer current is refused with 412
and changes nothing, even when two writers race each other."""

from collections.abc import Callable

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.records.helpers import (
    AGREEMENTS,
    at_once,
    create,
    live_server,
    ok,
    problem,
    read,
    revisions_of,
    table_contents,
)

RACE_ROUNDS = 6


def test_reading_a_record_returns_its_version_as_the_etag(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)
    path = f"{AGREEMENTS}/{created['id']}"
    assert client.get(path, headers=admin_headers).headers["etag"] == '"1"'

    patched = client.patch(path, json={"status": "suspended"}, headers=admin_headers)

    assert patched.headers["etag"] == '"2"'
    assert client.get(path, headers=admin_headers).headers["etag"] == '"2"'


@pytest.mark.parametrize("stale", ['"1"', 'W/"2"', '"1", "3"'])
def test_a_patch_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str], stale: str
) -> None:
    created = create(client, admin_headers)
    path = f"{AGREEMENTS}/{created['id']}"
    ok(client.patch(path, json={"status": "suspended"}, headers=admin_headers))
    current = read(client, admin_headers, created["id"])
    before = table_contents(session)

    response = client.patch(
        path, json={"title": "Overwritten"}, headers={**admin_headers, "If-Match": stale}
    )

    problem(response, 412)
    assert read(client, admin_headers, created["id"]) == current
    assert current["version"] == 2
    assert revisions_of(session, created["id"]) == 2
    assert table_contents(session) == before


def test_a_delete_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)
    path = f"{AGREEMENTS}/{created['id']}"
    ok(client.patch(path, json={"status": "suspended"}, headers=admin_headers))
    current = read(client, admin_headers, created["id"])
    before = table_contents(session)

    problem(client.delete(path, headers={**admin_headers, "If-Match": '"1"'}), 412)

    assert read(client, admin_headers, created["id"]) == current
    assert revisions_of(session, created["id"]) == 2
    assert table_contents(session) == before


def test_a_restore_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)
    path = f"{AGREEMENTS}/{created['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204
    before = table_contents(session)

    problem(client.post(f"{path}/restore", headers={**admin_headers, "If-Match": '"1"'}), 412)

    problem(client.get(path, headers=admin_headers), 404)
    assert table_contents(session) == before


@pytest.mark.parametrize("if_match", ["*", '"1"', '"7", "1"'])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_if_match_star_or_the_current_etag_lets_the_write_through(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    method: str,
    if_match: str,
) -> None:
    created = create(client, admin_headers)
    path = f"{AGREEMENTS}/{created['id']}"
    json = {"title": "Renamed"} if method == "PATCH" else None

    response = client.request(
        method, path, json=json, headers={**admin_headers, "If-Match": if_match}
    )

    if method == "PATCH":
        assert ok(response)["title"] == "Renamed"
        assert response.headers["etag"] == '"2"'
    else:
        assert response.status_code == 204, response.text
        problem(client.get(path, headers=admin_headers), 404)
    assert revisions_of(session, created["id"]) == 2


def test_of_two_concurrent_patches_with_the_same_if_match_exactly_one_wins(
    app: FastAPI, client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)
    path = f"{AGREEMENTS}/{created['id']}"

    def patch(title: str, etag: str) -> Callable[[httpx2.Client], httpx2.Response]:
        headers = {**admin_headers, "If-Match": etag}
        return lambda http: http.patch(path, json={"title": title}, headers=headers)

    with live_server(app) as base_url:
        for round_number in range(RACE_ROUNDS):
            etag = f'"{round_number + 1}"'
            titles = [f"Round {round_number}, writer {writer}" for writer in (0, 1)]

            responses = at_once(base_url, *(patch(title, etag) for title in titles))

            statuses = sorted(response.status_code for response in responses)
            assert statuses == [200, 412], [response.text for response in responses]
            winner = titles[[response.status_code for response in responses].index(200)]
            stored = read(client, admin_headers, created["id"])
            assert stored["title"] == winner
            assert stored["version"] == round_number + 2

    assert revisions_of(session, created["id"]) == RACE_ROUNDS + 1
