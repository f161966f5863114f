"""bench/seed.py bulk-inserts records the API serves like its own: listed, read with their
parties, and found by the search, on both engines."""

import random

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from bench import seed
from tests.api import ok

N = 200


def test_seeded_records_are_listed_read_and_found(
    app: FastAPI,
    client: TestClient,
    session: Session,
    reference: None,
    admin_headers: dict[str, str],
) -> None:
    engine = app.state.writing_engine
    ctx = seed.context(engine, random.Random(8))  # noqa: S311 - data, not secrets
    counts = seed.load_records(engine, ctx, N)
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
