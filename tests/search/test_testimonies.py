"""Testimonies are found only by those who may read them, and never leak into a snippet."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity.models import Organisation
from tests.conftest import api_token_headers
from tests.field_visits.helpers import other_organisation, partner_of, path_of, publish, submit
from tests.search.helpers import Headers, hits, report

TESTIMONY = "The recruiter in Tawau kept my passport."
FINDINGS = "Workers met in Kota Kinabalu; a recruiter charged high fees."


@pytest.fixture
def owner_organisation(session: Session) -> Organisation:
    return other_organisation(session, "Owner Union")


@pytest.fixture
def owner(session: Session, settings: Settings, owner_organisation: Organisation) -> Headers:
    return partner_of(session, settings, owner_organisation, "owner@example.org")


def published_with_testimony(
    client: TestClient, owner: Headers, reviewer: Headers, consent: str = "given"
) -> str:
    record_id = report(
        client,
        owner,
        title="Visit to Sabah plantations",
        findings=FINDINGS,
        visibility="public",
        testimonies=[{"pseudonym": "Worker A", "consent": consent, "text": TESTIMONY}],
    )
    submit(client, owner, record_id)
    publish(client, reviewer, record_id)
    return record_id


def test_a_word_only_in_a_testimony_finds_the_report_for_its_owner_and_the_secretariat(
    client: TestClient,
    owner: Headers,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
    partner_organisation: Organisation,
) -> None:
    record_id = published_with_testimony(client, owner, headers_of("editor"))
    partner_token = api_token_headers(
        client, admin_headers, partner_organisation, ["records:read", "reports:write"]
    )

    for reader in (owner, admin_headers):
        [hit] = hits(client, reader, "tawau")
        assert hit["id"] == record_id
        assert "Tawau" in hit["snippet"]
    for stranger in (headers_of("partner"), partner_token, headers_of("reader")):
        assert hits(client, stranger, "tawau") == []


def test_a_snippet_shown_to_others_never_holds_testimony_text(
    client: TestClient,
    owner: Headers,
    headers_of: Callable[[str], Headers],
) -> None:
    published_with_testimony(client, owner, headers_of("editor"))

    for stranger in (headers_of("partner"), headers_of("reader")):
        [hit] = hits(client, stranger, "recruiter")
        assert "Kota Kinabalu" in hit["snippet"]
        assert "passport" not in hit["snippet"]
        assert "Tawau" not in hit["snippet"]


def test_a_withdrawn_testimony_is_found_by_the_secretariat_alone(
    client: TestClient,
    owner: Headers,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
) -> None:
    record_id = published_with_testimony(client, owner, headers_of("editor"), consent="withdrawn")

    assert [hit["id"] for hit in hits(client, admin_headers, "tawau")] == [record_id]
    assert hits(client, owner, "tawau") == []


def test_withdrawing_consent_takes_the_testimony_out_of_the_owners_search(
    client: TestClient, owner: Headers, headers_of: Callable[[str], Headers]
) -> None:
    reviewer = headers_of("editor")
    record_id = report(
        client,
        owner,
        title="Visit",
        testimonies=[{"pseudonym": "Worker A", "consent": "given", "text": TESTIMONY}],
    )
    [testimony] = client.get(path_of(record_id), headers=owner).json()["testimonies"]
    assert [hit["id"] for hit in hits(client, owner, "tawau")] == [record_id]

    withdrawn = {**testimony, "consent": "withdrawn"}
    response = client.patch(path_of(record_id), json={"testimonies": [withdrawn]}, headers=owner)
    assert response.status_code == 200, response.text

    assert hits(client, owner, "tawau") == []
    assert [hit["id"] for hit in hits(client, reviewer, "tawau")] == [record_id]
