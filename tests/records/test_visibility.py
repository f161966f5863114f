"""What every record carries, and who can find it: a record the caller may not see does not
exist for them, in reads, writes, history, lists, filtered lists and the CSV export alike."""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import AwareDatetime, TypeAdapter
from sqlmodel import Session

from app.core.config import Settings
from app.identity.models import Organisation, User
from tests.conftest import login_headers
from tests.records.helpers import AGREEMENTS, create, listed_ids, ok, problem, read, table_contents

CSV = {"Accept": "text/csv"}
_aware = TypeAdapter(AwareDatetime)


def csv_ids(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get(AGREEMENTS, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return [row["id"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8")))]


def _without_request_details(found: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in found.items() if name not in ("instance", "request_id")}


# ---- what a record carries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("creator", "owner"),
    [("admin", "secretariat"), ("partner_editor", "partner_organisation")],
)
def test_a_created_record_carries_its_bookkeeping_and_is_owned_by_the_creators_organisation(
    client: TestClient,
    request: pytest.FixtureRequest,
    settings: Settings,
    creator: str,
    owner: str,
) -> None:
    user: User = request.getfixturevalue(creator)
    organisation: Organisation = request.getfixturevalue(owner)

    created = create(client, login_headers(settings, user), visibility="restricted")

    assert uuid.UUID(created["id"]).version == 4
    assert created["visibility"] == "restricted"
    assert created["organisation_id"] == str(organisation.id)
    assert created["created_by"] == created["updated_by"] == f"user:{user.id}"
    created_at = _aware.validate_python(created["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert _aware.validate_python(created["updated_at"]) == created_at
    assert created["version"] == 1


def test_an_update_stamps_who_and_when_and_keeps_the_creation_stamp(
    client: TestClient,
    admin: User,
    admin_headers: dict[str, str],
    editor: User,
    editor_headers: dict[str, str],
    secretariat: Organisation,
) -> None:
    created = create(client, admin_headers)

    updated = ok(
        client.patch(
            f"{AGREEMENTS}/{created['id']}", json={"status": "suspended"}, headers=editor_headers
        )
    )

    assert updated["version"] == 2
    assert updated["created_by"] == f"user:{admin.id}"
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_by"] == f"user:{editor.id}"
    assert _aware.validate_python(updated["updated_at"]) > _aware.validate_python(
        created["updated_at"]
    )
    # An editor changing a record does not take it over.
    assert updated["organisation_id"] == str(secretariat.id)


# ---- a record the caller may not see -------------------------------------------------------


def test_a_partner_cannot_read_another_organisations_restricted_record_or_its_history(
    client: TestClient, admin_headers: dict[str, str], partner_headers: dict[str, str]
) -> None:
    hidden = create(client, admin_headers, visibility="restricted")
    missing = uuid.uuid4()

    for suffix in ("", "/revisions"):
        response = client.get(f"{AGREEMENTS}/{hidden['id']}{suffix}", headers=partner_headers)
        nothing = client.get(f"{AGREEMENTS}/{missing}{suffix}", headers=partner_headers)
        # Exactly what a record that does not exist gets: the 404 tells nothing.
        assert _without_request_details(problem(response, 404)) == _without_request_details(
            problem(nothing, 404)
        )


def test_a_partner_never_finds_another_organisations_restricted_record_in_any_list(
    client: TestClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    partner_headers: dict[str, str],
) -> None:
    shared = create(client, admin_headers, title="Shared recruitment MOU")
    hidden = create(client, admin_headers, title="Hidden recruitment MOU", visibility="restricted")
    filters: list[dict[str, str]] = [
        {},
        {"country": "PH"},
        {"origin": "PH"},
        {"destination": "SA"},
        {"kind": "mou"},
        {"status": "in_force"},
        {"q": "recruitment"},
    ]

    for params in filters:
        assert listed_ids(client, partner_headers, **params) == [shared["id"]], params
        assert csv_ids(client, partner_headers, **params) == [shared["id"]], params
        for secretariat_headers in (admin_headers, editor_headers):
            expected = [shared["id"], hidden["id"]]
            assert listed_ids(client, secretariat_headers, **params) == expected, params
            assert csv_ids(client, secretariat_headers, **params) == expected, params


def test_a_writer_outside_the_owning_organisation_gets_404_for_every_operation(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    outside_editor_headers: dict[str, str],
) -> None:
    hidden = create(client, admin_headers, visibility="restricted")
    path = f"{AGREEMENTS}/{hidden['id']}"
    before = table_contents(session)

    problem(client.get(path, headers=outside_editor_headers), 404)
    problem(client.get(f"{path}/revisions", headers=outside_editor_headers), 404)
    problem(client.patch(path, json={"title": "Taken"}, headers=outside_editor_headers), 404)
    problem(client.delete(path, headers=outside_editor_headers), 404)
    assert table_contents(session) == before

    assert client.delete(path, headers=admin_headers).status_code == 204
    deleted = table_contents(session)
    problem(client.post(f"{path}/restore", headers=outside_editor_headers), 404)
    assert table_contents(session) == deleted


@pytest.mark.parametrize(
    ("method", "suffix", "json"),
    [
        ("GET", "", None),
        ("GET", "/revisions", None),
        ("PATCH", "", {"title": "Taken"}),
        ("DELETE", "", None),
        ("POST", "/restore", None),
    ],
)
def test_a_partner_gets_the_same_answer_for_an_invisible_record_as_for_a_missing_one(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    method: str,
    suffix: str,
    json: dict[str, str] | None,
) -> None:
    hidden = create(client, admin_headers, visibility="restricted")
    if suffix == "/restore":
        assert (
            client.delete(f"{AGREEMENTS}/{hidden['id']}", headers=admin_headers).status_code == 204
        )
    before = table_contents(session)

    response = client.request(
        method, f"{AGREEMENTS}/{hidden['id']}{suffix}", json=json, headers=partner_headers
    )
    nothing = client.request(
        method, f"{AGREEMENTS}/{uuid.uuid4()}{suffix}", json=json, headers=partner_headers
    )

    # Never a 403 that a missing record would not get: reads are 404, and writes, which a
    # partner's role does not include, are refused for want of the scope whatever the id.
    assert response.status_code == nothing.status_code
    assert response.status_code == (404 if method == "GET" else 403)
    assert _without_request_details(response.json()) == _without_request_details(nothing.json())
    assert table_contents(session) == before


def test_the_owning_organisation_and_the_secretariat_see_a_restricted_record(
    client: TestClient,
    partner_editor_headers: dict[str, str],
    partner_headers: dict[str, str],
    other_partner_headers: dict[str, str],
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    partner_organisation: Organisation,
) -> None:
    owned = create(client, partner_editor_headers, visibility="restricted")
    assert owned["organisation_id"] == str(partner_organisation.id)

    for headers in (partner_headers, admin_headers, editor_headers):
        assert read(client, headers, owned["id"]) == owned
        assert ok(client.get(f"{AGREEMENTS}/{owned['id']}/revisions", headers=headers))["items"]
        assert listed_ids(client, headers) == [owned["id"]]
        assert listed_ids(client, headers, country="SA") == [owned["id"]]
        assert csv_ids(client, headers) == [owned["id"]]

    problem(client.get(f"{AGREEMENTS}/{owned['id']}", headers=other_partner_headers), 404)
    assert listed_ids(client, other_partner_headers) == []
    assert csv_ids(client, other_partner_headers) == []


def test_restricting_a_record_hides_it_from_partners_of_other_organisations(
    client: TestClient, admin_headers: dict[str, str], partner_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, visibility="partners")
    assert read(client, partner_headers, created["id"])["id"] == created["id"]

    ok(
        client.patch(
            f"{AGREEMENTS}/{created['id']}",
            json={"visibility": "restricted"},
            headers=admin_headers,
        )
    )

    problem(client.get(f"{AGREEMENTS}/{created['id']}", headers=partner_headers), 404)
    assert listed_ids(client, partner_headers) == []
