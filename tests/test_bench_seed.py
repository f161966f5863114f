"""bench/seed.py bulk-inserts records the API serves like its own: listed, read with their
parties, and found by the search, on both engines."""

import random
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.records.models import ChangeEvent, Revision
from app.search.models import SearchEntry
from bench import seed
from tests.api import ok

N = 200


@pytest.fixture
def seeded(
    app: FastAPI, session: Session, reference: None, admin_headers: dict[str, str]
) -> dict[str, int]:
    """N agreements and N laws bulk-inserted as the bench seeds them, after the secretariat's
    admin is made (its organisations would clash); the rows of each table."""
    engine = app.state.writing_engine
    ctx = seed.context(engine, random.Random(8))  # noqa: S311 - data, not secrets
    return seed.load_records(engine, ctx, N)


def test_seeded_records_are_listed_read_and_found(
    client: TestClient, seeded: dict[str, int], admin_headers: dict[str, str]
) -> None:
    counts = seeded
    assert counts["agreements"] == counts["laws"] == N
    assert counts["agreement_parties"] >= 2 * N

    listed = ok(client.get("/api/v1/agreements?limit=200", headers=admin_headers))
    laws = ok(client.get("/api/v1/laws?limit=200", headers=admin_headers))
    # Deleted records (2%) are not listed; every other one is, on one page.
    assert 0.9 * N < len(listed["items"]) < N
    assert 0.9 * N < len(laws["items"]) < N

    agreement = listed["items"][0]
    read = ok(client.get(f"/api/v1/agreements/{agreement['id']}", headers=admin_headers))
    assert [party["role"] for party in read["parties"]][:2] == ["origin", "destination"]
    assert read == agreement

    found = ok(
        client.get("/api/v1/search", params={"q": agreement["title"]}, headers=admin_headers)
    )
    assert agreement["id"] in [hit["id"] for hit in found["items"]]


@pytest.mark.usefixtures("seeded")
def test_restoring_removes_what_was_written_after_seeding_and_keeps_the_seeded_records(
    app: FastAPI, client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    engine = app.state.writing_engine
    seeded_at = datetime.now(UTC)
    seeded_laws = ok(client.get("/api/v1/laws?limit=200", headers=admin_headers))["items"]
    written = {
        "country": "NP",
        "title": "Bench act on zebrafinch wages",
        "kind": "act",
        "status": "in_force",
    }
    law = ok(client.post("/api/v1/laws", json=written, headers=admin_headers), 201)
    found = ok(client.get("/api/v1/search", params={"q": "zebrafinch"}, headers=admin_headers))
    assert [hit["id"] for hit in found["items"]] == [law["id"]]

    assert seed.restore(engine, seeded_at) == 1

    assert client.get(f"/api/v1/laws/{law['id']}", headers=admin_headers).status_code == 404
    found = ok(client.get("/api/v1/search", params={"q": "zebrafinch"}, headers=admin_headers))
    assert found["items"] == []
    law_id = uuid.UUID(law["id"])
    left = {
        model.__name__: session.exec(
            select(func.count()).where(col(model.record_id) == law_id)
        ).one()
        for model in (Revision, ChangeEvent, SearchEntry)
    }
    assert left == dict.fromkeys(left, 0)
    assert ok(client.get("/api/v1/laws?limit=200", headers=admin_headers))["items"] == seeded_laws
    # Nothing written since: nothing to undo.
    assert seed.restore(engine, seeded_at) == 0
