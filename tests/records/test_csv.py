"""`Accept: text/csv` on a collection: every matching record the caller may see, one row each,
UTF-8, repeated values joined with `;`, formula-like cells neutralised; JSON otherwise."""

import csv
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.agreements.models import AgreementPublic
from app.identity.models import User
from tests.records.helpers import AGREEMENTS, actor_of, create, ok, seed

CSV = {"Accept": "text/csv"}


def export(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, str]]:
    response = client.get(AGREEMENTS, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == list(AgreementPublic.model_fields)
    return list(reader)


def test_the_export_has_every_matching_record_not_just_a_page(
    app: FastAPI, client: TestClient, admin: User, admin_headers: dict[str, str]
) -> None:
    actor = actor_of(admin)
    mous = seed(app, actor, 203)
    bilateral = seed(
        app,
        actor,
        2,
        kind="bilateral_agreement",
        parties=[{"country": "VN", "role": "origin"}, {"country": "KR", "role": "destination"}],
    )

    every = export(client, admin_headers)
    only_mous = export(client, admin_headers, kind="mou", limit=5)
    from_vietnam = export(client, admin_headers, origin="VN")

    assert [row["id"] for row in every] == [str(i) for i in mous + bilateral]
    assert [row["id"] for row in only_mous] == [str(i) for i in mous]
    assert [row["id"] for row in from_vietnam] == [str(i) for i in bilateral]


def test_the_export_leaves_out_what_the_caller_may_not_see_and_deleted_records(
    app: FastAPI,
    client: TestClient,
    admin: User,
    partner_editor: User,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    other_partner_headers: dict[str, str],
) -> None:
    shared = seed(app, actor_of(admin), 201)
    secret = seed(app, actor_of(admin), 2, visibility="restricted")
    owned = seed(app, actor_of(partner_editor), 1, visibility="restricted")
    deleted = create(client, admin_headers)
    assert client.delete(f"{AGREEMENTS}/{deleted['id']}", headers=admin_headers).status_code == 204

    def ids(headers: dict[str, str]) -> set[str]:
        return {row["id"] for row in export(client, headers)}

    assert ids(partner_headers) == {str(i) for i in shared + owned}
    assert ids(other_partner_headers) == {str(i) for i in shared}
    assert ids(admin_headers) == {str(i) for i in shared + secret + owned}


def test_one_row_per_record_with_repeated_values_joined_by_semicolons(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(
        client,
        admin_headers,
        sectors=["domestic_work", "care"],
        sources=["Ministry of Labour", "https://example.org/mou"],
        summary="Line one.\nLine two, with a comma; and a semicolon.",
        signed_on="2013-05-19",
    )

    (row,) = export(client, admin_headers)

    assert row["id"] == created["id"]
    assert row["parties"] == "PH:origin;SA:destination"
    assert row["sectors"] == "domestic_work;care"
    assert row["sources"] == "Ministry of Labour;https://example.org/mou"
    assert row["summary"] == created["summary"]
    assert row["signed_on"] == "2013-05-19"
    assert row["expires_on"] == ""
    assert row["version"] == "1"
    assert row["organisation_id"] == created["organisation_id"]


def test_the_export_is_utf8_and_a_thai_title_round_trips(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    title = "บันทึกความเข้าใจว่าด้วยการจ้างแรงงาน ระหว่างไทยกับกัมพูชา"
    create(
        client,
        admin_headers,
        title=title,
        parties=[{"country": "KH", "role": "origin"}, {"country": "TH", "role": "destination"}],
    )

    (row,) = export(client, admin_headers)

    assert row["title"] == title
    assert row["parties"] == "KH:origin;TH:destination"


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://example.org","Click")', "+1+2", "-2+3", "@SUM(A1:A2)"]
)
def test_a_value_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_an_apostrophe(
    client: TestClient, admin_headers: dict[str, str], title: str
) -> None:
    created = create(client, admin_headers, title=title)
    assert created["title"] == title

    (row,) = export(client, admin_headers)

    assert row["title"] == "'" + title


@pytest.mark.parametrize(
    "accept",
    [None, "application/json", "*/*", "application/json, text/csv;q=0.5"],
    ids=["absent", "json", "anything", "json-preferred"],
)
def test_json_stays_the_default(
    client: TestClient, admin_headers: dict[str, str], accept: str | None
) -> None:
    created = create(client, admin_headers)
    headers = {**admin_headers, **({"Accept": accept} if accept else {})}

    response = client.get(AGREEMENTS, headers=headers)

    assert response.headers["content-type"] == "application/json"
    assert ok(response) == {"items": [created], "next_cursor": None}


@contextmanager
def connections_held(engine: sa.Engine) -> Iterator[dict[str, int]]:
    """The most pooled connections checked out at one time while the block runs."""
    held = {"now": 0, "most": 0}
    lock = threading.Lock()

    def checkout(*_: Any) -> None:
        with lock:
            held["now"] += 1
            held["most"] = max(held["most"], held["now"])

    def checkin(*_: Any) -> None:
        with lock:
            held["now"] -= 1

    sa.event.listen(engine.pool, "checkout", checkout)
    sa.event.listen(engine.pool, "checkin", checkin)
    try:
        yield held
    finally:
        sa.event.remove(engine.pool, "checkout", checkout)
        sa.event.remove(engine.pool, "checkin", checkin)


def test_a_json_page_holds_one_pooled_connection(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    create(client, admin_headers)

    with connections_held(app.state.engine) as held:
        assert len(ok(client.get(AGREEMENTS, headers=admin_headers))["items"]) == 1

    assert held == {"now": 0, "most": 1}


def test_an_export_holds_one_pooled_connection_at_a_time(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    create(client, admin_headers)

    with connections_held(app.state.engine) as held:
        assert len(export(client, admin_headers)) == 1

    assert held == {"now": 0, "most": 1}
