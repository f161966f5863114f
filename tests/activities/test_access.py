"""Who may write activities: editors and admins (records:write), wherever they work; partner
users, partner API tokens and readers only read, and a refused write changes nothing. Who may
find them: a restricted activity is the secretariat's and its owner's alone, a 404 to others."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.activities.models import Activity
from app.identity.models import Organisation
from app.records.models import ChangeEvent, Revision, Visibility
from tests.activities.helpers import (
    ACTIVITIES,
    Headers,
    assert_problem,
    body,
    create,
    csv_rows,
    listed_ids,
    ok,
    patch,
    read,
    record_activity,
)

READ_ONLY = ["partner", "partner-api-token", "reader"]
WRITERS = ["admin", "editor", "secretariat-api-token", "parliament-editor"]
MISSING = "5d70e6d8-033e-452a-a1bf-f36a6c165897"


def stored(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Activity)).one(),
        session.exec(select(func.count()).select_from(Revision)).one(),
        session.exec(select(func.count()).select_from(ChangeEvent)).one(),
    )


def test_a_caller_without_a_token_gets_401_on_every_route(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, visibility="public")
    path = f"{ACTIVITIES}/{created['id']}"
    before = stored(session)

    for response in (
        client.get(ACTIVITIES),
        client.get(ACTIVITIES, headers={"Accept": "text/csv"}),
        client.post(ACTIVITIES, json=body()),
        client.get(path),
        client.patch(path, json={"city": "Dhaka"}),
        client.delete(path),
        client.post(f"{path}/restore"),
        client.get(f"{path}/revisions"),
    ):
        assert_problem(response, 401)
        assert "bearer" in response.headers["www-authenticate"].lower()
    assert_problem(client.get(ACTIVITIES, headers={"Authorization": "Bearer nonsense"}), 401)
    assert stored(session) == before


@pytest.mark.parametrize("caller", READ_ONLY)
def test_read_only_callers_get_403_on_every_write_and_nothing_changes(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    created = create(client, admin_headers, visibility="public", city="Manila")
    path = f"{ACTIVITIES}/{created['id']}"
    before = stored(session)

    assert_problem(client.post(ACTIVITIES, json=body(), headers=headers), 403)
    assert_problem(patch(client, headers, created["id"], {"city": "Cebu"}), 403)
    assert_problem(client.delete(path, headers=headers), 403)

    assert stored(session) == before
    assert read(client, admin_headers, created["id"]) == created
    assert read(client, headers, created["id"]) == created  # they still read it
    assert listed_ids(client, headers) == {created["id"]}

    assert client.delete(path, headers=admin_headers).status_code == 204
    assert_problem(client.post(f"{path}/restore", headers=headers), 403)
    assert_problem(client.get(path, headers=admin_headers), 404)


@pytest.mark.parametrize("caller", WRITERS)
def test_editors_and_admins_create_patch_delete_and_restore(
    client: TestClient, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)

    created = create(client, headers, year=2024)
    path = f"{ACTIVITIES}/{created['id']}"
    changed = ok(patch(client, headers, created["id"], {"city": "Kathmandu"}))
    assert (changed["city"], changed["version"]) == ("Kathmandu", 2)
    assert client.delete(path, headers=headers).status_code == 204
    assert_problem(client.get(path, headers=headers), 404)
    restored = ok(client.post(f"{path}/restore", headers=headers))
    assert (restored["city"], restored["version"]) == ("Kathmandu", 4)


def test_the_callers_organisation_owns_what_it_records(
    client: TestClient, headers_of: Callable[[str], Headers], secretariat: Organisation
) -> None:
    by_office = create(client, headers_of("parliament-editor"))
    by_token = create(client, headers_of("secretariat-api-token"))

    assert by_office["organisation_id"] != str(secretariat.id)
    assert by_token["organisation_id"] == str(secretariat.id)
    assert by_token["created_by"].startswith("token:")


def test_a_body_naming_its_owner_or_version_is_refused(
    client: TestClient, session: Session, admin_headers: Headers, partner_organisation: Organisation
) -> None:
    for field, value in (("organisation_id", str(partner_organisation.id)), ("version", 7)):
        response = client.post(ACTIVITIES, json=body(**{field: value}), headers=admin_headers)
        assert_problem(response, 422)
    assert stored(session)[0] == 0


# ---- who may find what ---------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["partner", "partner-api-token", "reader", "parliament-editor"])
def test_a_restricted_activity_of_the_secretariat_is_404_to_other_organisations(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    shared = create(client, admin_headers, visibility="partners", city="Dhaka")["id"]
    hidden = create(client, admin_headers, visibility="restricted", city="Dhaka")["id"]

    for suffix in ("", "/revisions"):
        gone = client.get(f"{ACTIVITIES}/{hidden}{suffix}", headers=headers)
        nothing = client.get(f"{ACTIVITIES}/{MISSING}{suffix}", headers=headers)
        assert_problem(gone, 404)
        assert gone.json()["detail"] == assert_problem(nothing, 404)["detail"]
    assert listed_ids(client, headers) == {shared}
    assert listed_ids(client, headers, q="dhaka") == {shared}
    assert [row["id"] for row in csv_rows(client, headers)] == [shared]
    assert listed_ids(client, admin_headers) == {shared, hidden}


def test_another_organisations_restricted_activity_is_404_to_an_editor_on_write_routes_too(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    partner_organisation: Organisation,
) -> None:
    office = headers_of("parliament-editor")
    hidden = record_activity(session, partner_organisation, visibility=Visibility.restricted)
    path = f"{ACTIVITIES}/{hidden}"
    before = stored(session)

    assert_problem(client.get(path, headers=office), 404)
    assert_problem(client.patch(path, json={"city": "Dhaka"}, headers=office), 404)
    assert_problem(client.delete(path, headers=office), 404)
    assert_problem(client.post(f"{path}/restore", headers=office), 404)
    assert stored(session) == before


def test_the_owning_organisation_and_the_secretariat_see_a_restricted_activity(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    own = record_activity(session, partner_organisation, visibility=Visibility.restricted)
    public = record_activity(session, partner_organisation, visibility=Visibility.public)

    for headers in (headers_of("partner"), headers_of("partner-api-token"), admin_headers):
        assert read(client, headers, own)["organisation_id"] == str(partner_organisation.id)
        assert listed_ids(client, headers) == {own, public}
    assert listed_ids(client, headers_of("reader")) == {public}


def test_an_editor_outside_the_secretariat_finds_its_own_restricted_activity(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    office = headers_of("parliament-editor")
    partner = headers_of("partner")
    own = create(client, office, visibility="restricted")["id"]

    assert read(client, office, own)["visibility"] == "restricted"
    assert ok(patch(client, office, own, {"city": "Bangkok"}))["city"] == "Bangkok"
    assert_problem(client.get(f"{ACTIVITIES}/{own}", headers=partner), 404)
    assert read(client, admin_headers, own)["city"] == "Bangkok"


def test_a_patch_making_an_activity_restricted_hides_it_from_other_organisations(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    partner = headers_of("partner")
    created = create(client, admin_headers, visibility="public")["id"]
    assert listed_ids(client, partner) == {created}

    ok(patch(client, admin_headers, created, {"visibility": "restricted"}))

    assert_problem(client.get(f"{ACTIVITIES}/{created}", headers=partner), 404)
    assert listed_ids(client, partner) == set()


def test_only_secretariat_admins_list_deleted_activities(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    created = create(client, admin_headers)["id"]
    assert client.delete(f"{ACTIVITIES}/{created}", headers=admin_headers).status_code == 204
    params = {"include_deleted": "true"}

    assert listed_ids(client, admin_headers, **params) == {created}
    for caller in ("editor", "partner", "parliament-editor"):
        response = client.get(ACTIVITIES, params=params, headers=headers_of(caller))
        assert_problem(response, 403)
