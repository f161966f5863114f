"""bench/floor_app.py answers what the bench asks it for, as the API would: an agreement by its
id, and with a bearer token only while the token is in force."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.identity.models import Organisation
from bench.floor_app import create_floor_app
from tests.api import ok
from tests.conftest import api_token_headers

PARTIES = [{"country": "NP", "role": "origin"}, {"country": "QA", "role": "destination"}]


def create_agreement(client: TestClient, headers: dict[str, str], visibility: str) -> dict:
    body = {
        "title": "Nepal-Qatar labour agreement",
        "kind": "bilateral_agreement",
        "status": "in_force",
        "parties": PARTIES,
        "visibility": visibility,
    }
    created: dict = ok(client.post("/api/v1/agreements", json=body, headers=headers), 201)
    return created


@pytest.fixture
def agreement(client: TestClient, reference: None, admin_headers: dict[str, str]) -> dict:
    return create_agreement(client, admin_headers, "public")


@pytest.fixture
def floor(app: FastAPI, settings: Settings) -> TestClient:
    return TestClient(create_floor_app(app.state.reading_engine, settings))


def test_the_floor_reads_an_agreement_by_its_id(floor: TestClient, agreement: dict) -> None:
    row = ok(floor.get(f"/record/{agreement['id']}"))
    assert (row["id"], row["title"]) == (agreement["id"], agreement["title"])


def test_the_floor_reads_with_a_token_in_force_and_refuses_a_revoked_one(
    client: TestClient,
    floor: TestClient,
    agreement: dict,
    admin_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    headers = api_token_headers(client, admin_headers, partner_organisation, ["records:read"])
    read = ok(floor.get(f"/authenticated/{agreement['id']}", headers=headers))
    assert read["parties"] == PARTIES
    [token] = ok(client.get("/api/v1/api-tokens", headers=admin_headers))["items"]
    revoked = client.delete(f"/api/v1/api-tokens/{token['id']}", headers=admin_headers)
    assert revoked.status_code == 204, revoked.text

    assert floor.get(f"/authenticated/{agreement['id']}", headers=headers).status_code == 401


def test_the_floor_hides_a_restricted_agreement_from_another_organisation_s_token(
    client: TestClient,
    floor: TestClient,
    reference: None,
    admin_headers: dict[str, str],
    secretariat: Organisation,
    partner_organisation: Organisation,
) -> None:
    """The secretariat's restricted agreement: its own token reads it, a partner's does not."""
    restricted = create_agreement(client, admin_headers, "restricted")
    own = api_token_headers(client, admin_headers, secretariat, ["records:read"])
    partner = api_token_headers(client, admin_headers, partner_organisation, ["records:read"])
    path = f"/authenticated/{restricted['id']}"

    assert ok(floor.get(path, headers=own))["id"] == restricted["id"]
    assert floor.get(path, headers=partner).status_code == 404
