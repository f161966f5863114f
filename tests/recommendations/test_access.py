"""Who may write recommendations: editors and admins (records:write) create, patch, delete and
restore them; updates to the timeline need reports:write, so partners may post them on the
recommendations they can see, and readers may not. A restricted recommendation is the
secretariat's and its owner's alone, a 404 to others."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.identity.models import Organisation, User
from app.recommendations.models import Recommendation, TimelineEntry
from app.records.models import ChangeEvent, Revision, Visibility
from tests.recommendations.helpers import (
    NOBODY,
    RECOMMENDATIONS,
    Headers,
    add_update,
    assert_problem,
    body,
    create,
    csv_rows,
    listed_ids,
    ok,
    patch,
    post_update,
    read,
    record_recommendation,
    revisions,
)

WRITERS = ["admin", "editor", "secretariat-api-token", "parliament-editor"]
NOT_WRITERS = ["partner", "partner-api-token", "reader"]
UPDATERS = ["admin", "editor", "partner", "partner-api-token", "parliament-editor"]


def stored(session: Session) -> tuple[int, int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Recommendation)).one(),
        session.exec(select(func.count()).select_from(TimelineEntry)).one(),
        session.exec(select(func.count()).select_from(Revision)).one(),
        session.exec(select(func.count()).select_from(ChangeEvent)).one(),
    )


def test_a_caller_without_a_token_gets_401_on_every_route(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, visibility="public")
    path = f"{RECOMMENDATIONS}/{created['id']}"
    before = stored(session)

    for response in (
        client.get(RECOMMENDATIONS),
        client.get(RECOMMENDATIONS, headers={"Accept": "text/csv"}),
        client.post(RECOMMENDATIONS, json=body()),
        client.get(path),
        client.patch(path, json={"priority": "high"}),
        client.post(f"{path}/updates", json={"status": "implemented"}),
        client.delete(path),
        client.post(f"{path}/restore"),
        client.get(f"{path}/revisions"),
    ):
        assert_problem(response, 401)
        assert "bearer" in response.headers["www-authenticate"].lower()
    bad = {"Authorization": "Bearer nonsense"}
    assert_problem(client.post(f"{path}/updates", json={"status": "open"}, headers=bad), 401)
    assert stored(session) == before


@pytest.mark.parametrize("caller", NOT_WRITERS)
def test_partners_and_readers_get_403_on_create_patch_and_delete_and_nothing_changes(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    created = create(client, admin_headers, visibility="public")
    path = f"{RECOMMENDATIONS}/{created['id']}"
    before = stored(session)

    assert_problem(client.post(RECOMMENDATIONS, json=body(), headers=headers), 403)
    assert_problem(patch(client, headers, created["id"], {"priority": "high"}), 403)
    assert_problem(client.delete(path, headers=headers), 403)

    assert stored(session) == before
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

    created = create(client, headers)
    path = f"{RECOMMENDATIONS}/{created['id']}"
    changed = ok(patch(client, headers, created["id"], {"priority": "high"}))
    assert (changed["priority"], changed["version"]) == ("high", 2)
    assert client.delete(path, headers=headers).status_code == 204
    assert_problem(client.get(path, headers=headers), 404)
    restored = ok(client.post(f"{path}/restore", headers=headers))
    assert (restored["priority"], restored["version"]) == ("high", 4)


@pytest.mark.parametrize("caller", UPDATERS)
def test_callers_with_reports_write_post_updates_to_recommendations_they_can_see(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    created = create(client, admin_headers, visibility="partners")

    updated = add_update(client, headers, created["id"], status="in_progress", note="Seen.")

    assert updated["status"] == "in_progress"
    [entry] = updated["timeline"]
    assert entry["note"] == "Seen."
    assert entry["recorded_by"] == updated["updated_by"]
    assert entry["recorded_by"].startswith("token:" if "token" in caller else "user:")
    assert read(client, admin_headers, created["id"])["status"] == "in_progress"


def test_a_partners_update_is_recorded_as_the_partners(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    token = headers_of("partner-api-token")
    created = create(client, admin_headers)

    updated = add_update(client, token, created["id"], status="rejected")

    assert updated["timeline"][0]["recorded_by"].startswith("token:")
    assert updated["organisation_id"] == created["organisation_id"]  # the owner stays
    assert revisions(client, admin_headers, created["id"])[0]["actor"].startswith("token:")


def test_a_reader_gets_403_on_updates_and_nothing_changes(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
) -> None:
    reader = headers_of("reader")
    created = create(client, admin_headers, visibility="public")
    before = stored(session)

    assert_problem(post_update(client, reader, created["id"], {"status": "implemented"}), 403)

    assert stored(session) == before
    assert read(client, reader, created["id"]) == created


def test_a_token_with_records_write_but_not_reports_write_cannot_post_updates(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
) -> None:
    script = headers_of("secretariat-api-token")  # records:read and records:write only
    created = create(client, admin_headers)
    before = stored(session)

    assert_problem(post_update(client, script, created["id"], {"status": "implemented"}), 403)

    assert stored(session) == before


def test_the_callers_organisation_owns_what_it_records(
    client: TestClient, headers_of: Callable[[str], Headers], secretariat: Organisation
) -> None:
    by_office = create(client, headers_of("parliament-editor"))
    by_token = create(client, headers_of("secretariat-api-token"))

    assert by_office["organisation_id"] != str(secretariat.id)
    assert by_token["organisation_id"] == str(secretariat.id)
    assert by_token["created_by"].startswith("token:")


# ---- who may find what ---------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["partner", "partner-api-token", "reader", "parliament-editor"])
def test_a_restricted_recommendation_of_the_secretariat_is_404_to_other_organisations(
    client: TestClient,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    shared = create(client, admin_headers, visibility="partners", text="Shared: wages.")["id"]
    hidden = create(client, admin_headers, visibility="restricted", text="Hidden: wages.")["id"]

    for suffix in ("", "/revisions"):
        gone = client.get(f"{RECOMMENDATIONS}/{hidden}{suffix}", headers=headers)
        nothing = client.get(f"{RECOMMENDATIONS}/{NOBODY}{suffix}", headers=headers)
        assert_problem(gone, 404)
        assert gone.json()["detail"] == assert_problem(nothing, 404)["detail"]
    assert listed_ids(client, headers) == {shared}
    assert listed_ids(client, headers, q="wages") == {shared}
    assert [row["id"] for row in csv_rows(client, headers)] == [shared]
    assert listed_ids(client, admin_headers) == {shared, hidden}


@pytest.mark.parametrize("caller", ["partner", "partner-api-token", "parliament-editor"])
def test_an_update_to_another_organisations_restricted_recommendation_is_404(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    caller: str,
) -> None:
    headers = headers_of(caller)
    hidden = create(client, admin_headers, visibility="restricted")
    before = stored(session)

    gone = post_update(client, headers, hidden["id"], {"status": "implemented"})
    nothing = post_update(client, headers, NOBODY, {"status": "implemented"})

    assert_problem(gone, 404)
    assert gone.json()["detail"] == assert_problem(nothing, 404)["detail"]
    assert stored(session) == before
    assert read(client, admin_headers, hidden["id"]) == hidden


def test_another_organisations_restricted_recommendation_is_404_to_an_editor_on_write_routes(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    partner_organisation: Organisation,
) -> None:
    office = headers_of("parliament-editor")
    hidden = record_recommendation(session, partner_organisation, visibility=Visibility.restricted)
    path = f"{RECOMMENDATIONS}/{hidden.id}"
    before = stored(session)

    assert_problem(client.get(path, headers=office), 404)
    assert_problem(client.patch(path, json={"priority": "high"}, headers=office), 404)
    assert_problem(client.post(f"{path}/updates", json={"status": "open"}, headers=office), 404)
    assert_problem(client.delete(path, headers=office), 404)
    assert_problem(client.post(f"{path}/restore", headers=office), 404)
    assert stored(session) == before


def test_the_owning_organisation_sees_and_updates_its_restricted_recommendation(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    partner = headers_of("partner")
    own = str(
        record_recommendation(session, partner_organisation, visibility=Visibility.restricted).id
    )

    assert read(client, partner, own)["visibility"] == "restricted"
    assert listed_ids(client, partner) == {own}
    assert add_update(client, partner, own, status="implemented")["status"] == "implemented"
    assert read(client, admin_headers, own)["status"] == "implemented"
    assert_problem(client.get(f"{RECOMMENDATIONS}/{own}", headers=headers_of("reader")), 404)


def test_a_patch_to_restricted_hides_it_from_other_organisations(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    reader = headers_of("reader")
    created = create(client, admin_headers, visibility="public")
    assert read(client, reader, created["id"])["id"] == created["id"]

    ok(patch(client, admin_headers, created["id"], {"visibility": "restricted"}))

    assert_problem(client.get(f"{RECOMMENDATIONS}/{created['id']}", headers=reader), 404)
    assert listed_ids(client, reader) == set()


def test_the_recorder_of_an_update_is_the_user_who_posted_it(
    client: TestClient, admin: User, admin_headers: Headers, partner: User, partner_headers: Headers
) -> None:
    created = create(client, admin_headers)
    add_update(client, admin_headers, created["id"], status="in_progress")

    updated = add_update(client, partner_headers, created["id"], status="partially_implemented")

    assert [e["recorded_by"] for e in updated["timeline"]] == [
        f"user:{admin.id}",
        f"user:{partner.id}",
    ]
