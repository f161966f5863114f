"""Parliamentarians: what a created one carries, how memberships and lists are kept on create
and replaced on PATCH, and which bodies are refused."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.identity.models import Organisation, User
from app.members.models import Membership, Parliamentarian
from tests.members.helpers import (
    CONTACT,
    PARLIAMENTARIANS,
    Headers,
    assert_invalid,
    body,
    create,
    ok,
    patch,
    read,
)

CONTRACT_FIELDS = frozenset(
    {
        "name",
        "other_names",
        "country",
        "parliament",
        "chamber",
        "party",
        "constituency",
        "gender",
        "memberships",
        "links",
        "contact",
        "visibility",
        "external_ref",
    }
)
LIFECYCLE_FIELDS = frozenset(
    {"id", "organisation_id", "created_at", "created_by", "updated_at", "updated_by", "version"}
)

FULL = {
    "name": "Rangsiman Rome",
    "other_names": ["รังสิมันต์ โรม", "Rome Rangsiman"],
    "country": "TH",
    "parliament": "National Assembly of Thailand",
    "chamber": "lower_house",
    "party": "People's Party",
    "constituency": "Party list",
    "gender": "man",
    "memberships": [
        {"role": "member", "started_on": "2019-05-01", "ended_on": "2021-12-31"},
        {"role": "convenor", "started_on": "2022-01-01", "ended_on": None},
        {"role": "advisory_committee", "started_on": "2020-03-01", "ended_on": "2020-09-30"},
    ],
    "links": ["https://example.org/members/rangsiman-rome"],
    "contact": CONTACT,
    "visibility": "public",
}


def counts(session: Session) -> tuple[int, int]:
    people = session.exec(select(func.count()).select_from(Parliamentarian)).one()
    memberships = session.exec(select(func.count()).select_from(Membership)).one()
    return people, memberships


# ---- creating ------------------------------------------------------------------------------


def test_creating_a_parliamentarian_returns_every_field_as_given(
    client: TestClient, admin: User, admin_headers: Headers, secretariat: Organisation
) -> None:
    response = client.post(PARLIAMENTARIANS, json=FULL, headers=admin_headers)

    created = ok(response, 201)
    assert created.keys() == CONTRACT_FIELDS | LIFECYCLE_FIELDS
    assert {name: created[name] for name in FULL} == FULL
    assert created["version"] == 1
    assert created["organisation_id"] == str(secretariat.id)
    assert created["created_by"] == created["updated_by"] == f"user:{admin.id}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{PARLIAMENTARIANS}/{created['id']}")
    assert read(client, admin_headers, created["id"]) == created


def test_fields_left_out_of_a_create_body_get_their_defaults(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    assert created["other_names"] == created["links"] == created["memberships"] == []
    assert created["visibility"] == "partners"
    for name in ("chamber", "party", "constituency", "gender", "contact"):
        assert created[name] is None, name


def test_memberships_keep_the_order_given(client: TestClient, admin_headers: Headers) -> None:
    given = [
        {"role": "observer", "started_on": "2024-01-01", "ended_on": None},
        {"role": "member", "started_on": "2018-01-01", "ended_on": "2019-01-01"},
        {"role": "focal_point", "started_on": "2021-06-01", "ended_on": None},
        {"role": "convenor", "started_on": "2020-01-01", "ended_on": "2020-12-31"},
    ]

    created = create(client, admin_headers, memberships=given)

    assert created["memberships"] == given
    assert read(client, admin_headers, created["id"])["memberships"] == given


def test_other_names_and_links_given_twice_are_kept_once_in_first_order(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(
        client,
        admin_headers,
        other_names=["ម៉ារី", "M. Santos", "ម៉ារី", "M. Santos"],
        links=["https://example.org/b", "https://example.org/a", "https://example.org/b"],
    )

    assert created["other_names"] == ["ម៉ារី", "M. Santos"]
    assert created["links"] == ["https://example.org/b", "https://example.org/a"]
    assert read(client, admin_headers, created["id"])["other_names"] == ["ម៉ារី", "M. Santos"]

    changed = ok(
        patch(
            client,
            admin_headers,
            created["id"],
            {"other_names": ["X", "Y", "X"], "links": ["https://example.org/c"] * 2},
        )
    )
    assert changed["other_names"] == ["X", "Y"]
    assert changed["links"] == ["https://example.org/c"]


def test_every_role_can_be_held(client: TestClient, admin_headers: Headers) -> None:
    roles = ["member", "convenor", "focal_point", "observer", "advisory_committee"]
    given = [{"role": role, "started_on": "2024-01-01", "ended_on": None} for role in roles]

    created = create(client, admin_headers, memberships=given)

    assert [membership["role"] for membership in created["memberships"]] == roles


# ---- refused bodies ------------------------------------------------------------------------


def test_a_membership_ending_before_it_starts_is_refused_naming_memberships(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    backwards = [
        {"role": "member", "started_on": "2020-01-01"},
        {"role": "convenor", "started_on": "2022-05-02", "ended_on": "2022-05-01"},
    ]

    response = client.post(
        PARLIAMENTARIANS, json=body(memberships=backwards), headers=admin_headers
    )

    assert_invalid(response, "body", "memberships")
    assert counts(session) == (0, 0)


def test_a_membership_ending_the_day_it_starts_is_accepted(
    client: TestClient, admin_headers: Headers
) -> None:
    one_day = [{"role": "observer", "started_on": "2022-05-01", "ended_on": "2022-05-01"}]

    assert create(client, admin_headers, memberships=one_day)["memberships"] == one_day


def test_a_patch_with_a_membership_ending_before_it_starts_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: Headers
) -> None:
    kept = [{"role": "member", "started_on": "2020-01-01", "ended_on": None}]
    created = create(client, admin_headers, memberships=kept)
    backwards = [{"role": "member", "started_on": "2020-01-01", "ended_on": "2019-12-31"}]

    response = patch(client, admin_headers, created["id"], {"memberships": backwards})

    assert_invalid(response, "body", "memberships")
    after = read(client, admin_headers, created["id"])
    assert (after["memberships"], after["version"]) == (kept, 1)


@pytest.mark.parametrize("code", ["ZZ", "XK", "ph", "PHL"])
def test_a_country_that_is_not_an_iso_code_is_refused(
    client: TestClient, session: Session, admin_headers: Headers, code: str
) -> None:
    response = client.post(PARLIAMENTARIANS, json=body(country=code), headers=admin_headers)

    assert_invalid(response, "body", "country")
    assert counts(session) == (0, 0)


def test_a_patch_to_an_unknown_country_is_refused(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    assert_invalid(
        patch(client, admin_headers, created["id"], {"country": "ZZ"}), "body", "country"
    )
    assert read(client, admin_headers, created["id"])["country"] == "PH"


@pytest.mark.parametrize(
    "field", ["name", "other_names", "country", "parliament", "links", "memberships", "visibility"]
)
def test_null_for_a_required_field_in_a_patch_is_refused_naming_it(
    client: TestClient, admin_headers: Headers, field: str
) -> None:
    created = create(client, admin_headers, other_names=["M. Santos"])

    assert_invalid(patch(client, admin_headers, created["id"], {field: None}), "body", field)
    assert read(client, admin_headers, created["id"]) == created


def test_null_for_an_optional_field_in_a_patch_clears_it(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, party="Akbayan", gender="woman", chamber="lower_house")

    changed = ok(patch(client, admin_headers, created["id"], {"party": None, "gender": None}))

    assert (changed["party"], changed["gender"], changed["chamber"]) == (None, None, "lower_house")


@pytest.mark.parametrize(
    "changes",
    [
        {"memberships": [{"role": "chair", "started_on": "2024-01-01"}]},
        {"memberships": [{"role": "member"}]},
        {"gender": "female"},
        {"chamber": "senate"},
        {"links": ["not a url"]},
        {"contact": {"email": "not-an-email"}},
        {"name": ""},
        {"id": "5d70e6d8-033e-452a-a1bf-f36a6c165897"},
    ],
    ids=["role", "no-start", "gender", "chamber", "link", "email", "empty-name", "unknown-field"],
)
def test_values_outside_the_schema_are_refused(
    client: TestClient, admin_headers: Headers, changes: dict[str, Any]
) -> None:
    refused = client.post(PARLIAMENTARIANS, json=body(**changes), headers=admin_headers)

    assert refused.status_code == 422, refused.text
    assert ok(client.get(PARLIAMENTARIANS, headers=admin_headers))["items"] == []


# ---- replacing memberships -----------------------------------------------------------------


def test_a_patch_replacing_memberships_keeps_past_ones_only_if_sent(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    past = {"role": "convenor", "started_on": "2019-01-01", "ended_on": "2022-12-31"}
    current = {"role": "member", "started_on": "2023-01-01", "ended_on": None}
    created = create(client, admin_headers, memberships=[past, current])
    path_id = created["id"]

    # Sent again (ending the current one, adding a new one): the past one stays.
    ended = {**current, "ended_on": "2024-06-30"}
    new = {"role": "focal_point", "started_on": "2024-07-01", "ended_on": None}
    kept = ok(patch(client, admin_headers, path_id, {"memberships": [past, ended, new]}))
    assert kept["memberships"] == [past, ended, new]
    assert kept["version"] == 2

    # Left out: the list is replaced whole, so it is gone.
    replaced = ok(patch(client, admin_headers, path_id, {"memberships": [new]}))
    assert replaced["memberships"] == [new]
    assert read(client, admin_headers, path_id)["memberships"] == [new]
    assert counts(session) == (1, 1)  # no orphaned membership rows


def test_a_patch_of_other_fields_leaves_memberships_as_they_were(
    client: TestClient, admin_headers: Headers
) -> None:
    given = [
        {"role": "convenor", "started_on": "2019-01-01", "ended_on": "2022-12-31"},
        {"role": "member", "started_on": "2023-01-01", "ended_on": None},
    ]
    created = create(client, admin_headers, memberships=given)

    changed = ok(patch(client, admin_headers, created["id"], {"party": "Akbayan"}))

    assert changed["memberships"] == given
    assert changed["party"] == "Akbayan"


def test_an_empty_memberships_list_removes_every_membership(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(
        client, admin_headers, memberships=[{"role": "member", "started_on": "2020-01-01"}]
    )

    assert ok(patch(client, admin_headers, created["id"], {"memberships": []}))["memberships"] == []
    assert counts(session) == (1, 0)


def test_a_revision_keeps_the_memberships_each_write_left(
    client: TestClient, admin_headers: Headers
) -> None:
    first = [{"role": "member", "started_on": "2020-01-01", "ended_on": None}]
    second = [{"role": "convenor", "started_on": "2023-01-01", "ended_on": None}]
    created = create(client, admin_headers, memberships=first)
    ok(patch(client, admin_headers, created["id"], {"memberships": second}))

    revisions = ok(
        client.get(f"{PARLIAMENTARIANS}/{created['id']}/revisions", headers=admin_headers)
    )["items"]

    assert [r["snapshot"]["memberships"] for r in revisions] == [second, first]
    assert revisions[0]["changed_fields"] == ["memberships"]
