"""Links from an activity to parliamentarians, agreements, laws, organisations and instruments:
checked when written, kept once each in id order, and hidden from a caller who cannot see the
record linked to (an id is itself a finding) in every place the activity is read."""

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation
from app.records.models import Visibility
from tests.activities.helpers import (
    ACTIVITIES,
    AGREEMENTS,
    LAWS,
    PARLIAMENTARIANS,
    Headers,
    activity_count,
    assert_invalid,
    body,
    by_id,
    create,
    create_agreement,
    create_law,
    create_parliamentarian,
    csv_rows,
    listed,
    ok,
    patch,
    read,
    record_law,
    record_parliamentarian,
    revisions,
)

NOBODY = "00000000-0000-4000-8000-000000000001"

# A link field, and how an admin makes a record it may name.
Maker = Callable[[TestClient, Headers], str]
LINK_FIELDS: list[tuple[str, Maker, str]] = [
    ("parliamentarian_ids", create_parliamentarian, PARLIAMENTARIANS),
    ("agreement_ids", create_agreement, AGREEMENTS),
    ("law_ids", create_law, LAWS),
]


# ---- checked when written ------------------------------------------------------------------


@pytest.mark.parametrize(("field", "make", "path"), LINK_FIELDS)
def test_linked_records_given_twice_are_kept_once_in_id_order(
    client: TestClient, admin_headers: Headers, field: str, make: Maker, path: str
) -> None:
    first, second, third = (make(client, admin_headers) for _ in range(3))

    created = create(client, admin_headers, **{field: [third, first, second, third, first]})

    assert created[field] == by_id(first, second, third)
    assert read(client, admin_headers, created["id"])[field] == by_id(first, second, third)


@pytest.mark.parametrize(("field", "make", "path"), LINK_FIELDS)
def test_an_id_naming_no_record_is_refused_naming_the_field(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    field: str,
    make: Maker,
    path: str,
) -> None:
    real = make(client, admin_headers)

    problem = assert_invalid(
        client.post(ACTIVITIES, json=body(**{field: [real, NOBODY]}), headers=admin_headers),
        field,
    )

    assert NOBODY in problem["detail"]
    assert activity_count(session) == 0
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {field: [NOBODY]}), field)
    assert read(client, admin_headers, created["id"])[field] == []


@pytest.mark.parametrize(("field", "make", "path"), LINK_FIELDS)
def test_a_deleted_record_cannot_be_linked(
    client: TestClient, admin_headers: Headers, field: str, make: Maker, path: str
) -> None:
    gone = make(client, admin_headers)
    assert client.delete(f"{path}/{gone}", headers=admin_headers).status_code == 204

    assert_invalid(
        client.post(ACTIVITIES, json=body(**{field: [gone]}), headers=admin_headers), field
    )
    created = create(client, admin_headers)
    assert_invalid(patch(client, admin_headers, created["id"], {field: [gone]}), field)


@pytest.mark.parametrize("field", ["parliamentarian_ids", "law_ids"])
def test_a_restricted_record_of_another_organisation_is_refused_like_an_unknown_one(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    secretariat: Organisation,
    partner_organisation: Organisation,
    field: str,
) -> None:
    """An editor of a member's office cannot link what only the secretariat or a partner sees."""
    office = headers_of("parliament-editor")
    record = record_parliamentarian if field == "parliamentarian_ids" else record_law
    of_secretariat = record(session, secretariat, Visibility.restricted)
    of_partner = record(session, partner_organisation, Visibility.restricted)
    shared = record(session, partner_organisation, Visibility.partners)

    for hidden in (of_secretariat, of_partner):
        problem = assert_invalid(
            client.post(ACTIVITIES, json=body(**{field: [shared, hidden]}), headers=office),
            field,
        )
        assert problem["detail"].count("-") == 4  # names the one id refused, and only it
        assert hidden in problem["detail"]
    assert activity_count(session) == 0
    assert create(client, office, **{field: [shared]})[field] == [shared]


def test_a_restricted_agreement_of_the_secretariat_is_refused_to_another_organisations_editor(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    office = headers_of("parliament-editor")
    hidden = create_agreement(client, admin_headers, visibility="restricted")
    shared = create_agreement(client, admin_headers, visibility="public")

    assert_invalid(
        client.post(ACTIVITIES, json=body(agreement_ids=[hidden]), headers=office),
        "agreement_ids",
    )
    assert create(client, office, agreement_ids=[shared])["agreement_ids"] == [shared]


def test_the_secretariat_may_link_a_restricted_record_of_another_organisation(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    member = record_parliamentarian(session, partner_organisation, Visibility.restricted)

    created = create(client, admin_headers, parliamentarian_ids=[member])

    assert created["parliamentarian_ids"] == [member]


def test_partner_organisations_must_exist_and_are_kept_once_in_id_order(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    secretariat: Organisation,
    partner_organisation: Organisation,
) -> None:
    both = by_id(str(secretariat.id), str(partner_organisation.id))

    created = create(client, admin_headers, partner_organisation_ids=[*reversed(both), *both])
    assert created["partner_organisation_ids"] == both

    problem = assert_invalid(
        client.post(
            ACTIVITIES,
            json=body(partner_organisation_ids=[str(partner_organisation.id), NOBODY]),
            headers=admin_headers,
        ),
        "partner_organisation_ids",
    )
    assert NOBODY in problem["detail"]
    assert activity_count(session) == 1
    assert_invalid(
        patch(client, admin_headers, created["id"], {"partner_organisation_ids": [NOBODY]}),
        "partner_organisation_ids",
    )
    assert read(client, admin_headers, created["id"])["partner_organisation_ids"] == both


def test_an_id_that_is_not_a_uuid_is_refused_naming_the_field(
    client: TestClient, admin_headers: Headers
) -> None:
    for field in ("parliamentarian_ids", "partner_organisation_ids", "agreement_ids", "law_ids"):
        assert_invalid(
            client.post(ACTIVITIES, json=body(**{field: ["not-an-id"]}), headers=admin_headers),
            field,
        )


def test_instrument_codes_in_any_case_are_stored_upper_case_once_each_in_code_order(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, instrument_codes=["icrmw", "C189", "c189", "c087"])

    assert created["instrument_codes"] == ["C087", "C189", "ICRMW"]
    assert read(client, admin_headers, created["id"])["instrument_codes"] == [
        "C087",
        "C189",
        "ICRMW",
    ]
    changed = ok(patch(client, admin_headers, created["id"], {"instrument_codes": ["c143"]}))
    assert changed["instrument_codes"] == ["C143"]


@pytest.mark.parametrize("codes", [["C189", "C999"], ["c999"], ["189"], ["C 189"]])
def test_an_unknown_instrument_is_refused_naming_instrument_codes(
    client: TestClient, session: Session, admin_headers: Headers, codes: list[str]
) -> None:
    response = client.post(ACTIVITIES, json=body(instrument_codes=codes), headers=admin_headers)

    assert_invalid(response, "instrument_codes")
    assert activity_count(session) == 0


def test_a_patch_replaces_each_link_list_whole(
    client: TestClient, admin_headers: Headers, partner_organisation: Organisation
) -> None:
    first = create_parliamentarian(client, admin_headers)
    second = create_parliamentarian(client, admin_headers, name="Sita Gurung", country="NP")
    law = create_law(client, admin_headers)
    created = create(
        client,
        admin_headers,
        parliamentarian_ids=[first],
        law_ids=[law],
        partner_organisation_ids=[str(partner_organisation.id)],
        instrument_codes=["C189"],
    )

    changed = ok(
        patch(
            client,
            admin_headers,
            created["id"],
            {
                "parliamentarian_ids": [second],
                "law_ids": [],
                "partner_organisation_ids": [],
                "instrument_codes": ["C087"],
            },
        )
    )

    assert changed["parliamentarian_ids"] == [second]
    assert changed["law_ids"] == changed["partner_organisation_ids"] == []
    assert changed["instrument_codes"] == ["C087"]
    assert read(client, admin_headers, created["id"]) == changed


def test_a_patch_may_keep_a_linked_record_deleted_since(
    client: TestClient, admin_headers: Headers
) -> None:
    kept = create_law(client, admin_headers)
    other = create_law(client, admin_headers, title="Overseas Employment Act")
    created = create(client, admin_headers, law_ids=[kept])
    assert client.delete(f"{LAWS}/{kept}", headers=admin_headers).status_code == 204

    changed = ok(patch(client, admin_headers, created["id"], {"law_ids": [kept, other]}))

    assert changed["law_ids"] == by_id(kept, other)


# ---- hidden from those who cannot see what is linked ----------------------------------------


def test_an_activity_names_only_the_parliamentarians_the_caller_may_see_everywhere_it_is_read(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    partner = headers_of("partner")
    shared = create_parliamentarian(client, admin_headers, visibility="public")
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)
    activity = create(
        client, admin_headers, visibility="public", parliamentarian_ids=[shared, hidden]
    )
    ok(patch(client, admin_headers, activity["id"], {"summary": "Met the workers."}))
    both = by_id(shared, hidden)

    assert read(client, admin_headers, activity["id"])["parliamentarian_ids"] == both
    assert read(client, partner, activity["id"])["parliamentarian_ids"] == [shared]
    assert [item["parliamentarian_ids"] for item in listed(client, partner)] == [[shared]]
    assert [row["parliamentarian_ids"] for row in csv_rows(client, partner)] == [shared]
    assert [row["parliamentarian_ids"] for row in csv_rows(client, admin_headers)] == [
        ";".join(both)
    ]
    history = revisions(client, partner, activity["id"])
    assert [r["snapshot"]["parliamentarian_ids"] for r in history] == [[shared]] * 2
    for path in ("", "/revisions"):
        text = client.get(f"{ACTIVITIES}/{activity['id']}{path}", headers=partner).text
        assert hidden not in text
    assert hidden not in client.get(ACTIVITIES, headers=partner).text
    assert hidden not in client.get(ACTIVITIES, headers={**partner, "Accept": "text/csv"}).text


def test_a_revision_does_not_name_a_change_to_links_the_caller_cannot_see(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    partner = headers_of("partner")
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)
    activity = create(client, admin_headers)
    ok(
        patch(
            client,
            admin_headers,
            activity["id"],
            {"parliamentarian_ids": [hidden], "city": "Doha"},
        )
    )

    newest = revisions(client, partner, activity["id"])[0]

    assert newest["changed_fields"] == ["city"]
    assert newest["snapshot"]["parliamentarian_ids"] == []
    assert revisions(client, admin_headers, activity["id"])[0]["changed_fields"] == [
        "city",
        "parliamentarian_ids",
    ]


def test_agreements_and_laws_the_caller_cannot_see_are_hidden_too(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    reader = headers_of("reader")
    agreement = create_agreement(client, admin_headers)
    hidden_agreement = create_agreement(client, admin_headers, visibility="restricted")
    law = create_law(client, admin_headers)
    hidden_law = record_law(session, secretariat, Visibility.restricted)
    activity = create(
        client,
        admin_headers,
        agreement_ids=[agreement, hidden_agreement],
        law_ids=[hidden_law, law],
    )

    seen = read(client, reader, activity["id"])

    assert (seen["agreement_ids"], seen["law_ids"]) == ([agreement], [law])
    assert [(r["agreement_ids"], r["law_ids"]) for r in csv_rows(client, reader)] == [
        (agreement, law)
    ]


def test_a_link_to_a_record_deleted_since_is_hidden_from_callers_outside_the_secretariat(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    partner = headers_of("partner")
    law = create_law(client, admin_headers)
    activity = create(client, admin_headers, law_ids=[law])
    assert client.delete(f"{LAWS}/{law}", headers=admin_headers).status_code == 204

    assert read(client, partner, activity["id"])["law_ids"] == []
    assert read(client, admin_headers, activity["id"])["law_ids"] == [law]


def test_an_editor_who_cannot_see_a_linked_parliamentarian_does_not_unlink_it_by_patching(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    office = headers_of("parliament-editor")
    shared = create_parliamentarian(client, admin_headers)
    added = create_parliamentarian(client, admin_headers, name="Sita Gurung", country="NP")
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)
    activity = create(client, admin_headers, parliamentarian_ids=[shared, hidden])

    seen = read(client, office, activity["id"])["parliamentarian_ids"]
    assert seen == [shared]
    changed = ok(patch(client, office, activity["id"], {"parliamentarian_ids": [*seen, added]}))

    assert changed["parliamentarian_ids"] == by_id(shared, added)
    assert read(client, admin_headers, activity["id"])["parliamentarian_ids"] == by_id(
        shared, added, hidden
    )

    # Emptying the list empties what the editor sees; the hidden link stays.
    emptied = ok(patch(client, office, activity["id"], {"parliamentarian_ids": []}))
    assert emptied["parliamentarian_ids"] == []
    assert read(client, admin_headers, activity["id"])["parliamentarian_ids"] == [hidden]


def test_the_secretariat_can_unlink_any_record(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    hidden = record_parliamentarian(session, partner_organisation, Visibility.restricted)
    activity = create(client, admin_headers, parliamentarian_ids=[hidden])

    changed = ok(patch(client, admin_headers, activity["id"], {"parliamentarian_ids": []}))

    assert changed["parliamentarian_ids"] == []


def test_the_owning_organisation_sees_its_own_restricted_parliamentarian_linked(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    partner = headers_of("partner")
    own = record_parliamentarian(session, partner_organisation, Visibility.restricted)
    activity = create(client, admin_headers, parliamentarian_ids=[own])

    assert read(client, partner, activity["id"])["parliamentarian_ids"] == [own]
    assert read(client, headers_of("reader"), activity["id"])["parliamentarian_ids"] == []


def test_link_ids_are_compared_as_ids_whatever_case_they_are_sent_in(
    client: TestClient, admin_headers: Headers
) -> None:
    member = create_parliamentarian(client, admin_headers)

    created = create(client, admin_headers, parliamentarian_ids=[member.upper(), member])

    assert created["parliamentarian_ids"] == [str(uuid.UUID(member))]
