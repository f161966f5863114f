"""Lists filtered by a party, page after page: every matching agreement exactly once, in the
list's order (oldest first), across cursors, while parties are replaced and agreements deleted
and restored; and the copy of each agreement's created_at its parties keep for that."""

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.agreements.models import Agreement, AgreementParty
from tests.agreements.helpers import AGREEMENTS, create, ok, parties

Headers = dict[str, str]
Matches = Callable[[list[dict[str, str]]], bool]

# Recorded in this order, so this is the list's order too. The restricted one is the
# secretariat's: a partner never sees it, filtered or not.
RECORDED: list[dict[str, Any]] = [
    {"parties": parties(("PH", "origin"), ("SA", "destination"))},
    {"parties": parties(("ID", "origin"), ("MY", "destination"))},
    {"parties": parties(("JP", "origin"), ("PH", "destination"))},
    {"parties": parties(("PH", "origin"), ("SA", "destination")), "visibility": "restricted"},
    {"parties": parties(("NP", "origin"), ("SA", "destination"))},
    {"kind": "regional_framework", "parties": parties(("PH", "party"), ("TH", "party"))},
    {
        "kind": "multilateral_agreement",
        "parties": parties(("PH", "origin"), ("SA", "destination"), ("QA", "destination")),
    },
    {"parties": parties(("PH", "origin"), ("AE", "destination"))},
    {"parties": parties(("VN", "origin"), ("KR", "destination"))},
    {"parties": parties(("PH", "origin"), ("SA", "destination"))},
]


def _has(country: str, role: str | None = None) -> Matches:
    return lambda found: any(
        party["country"] == country and role in (None, party["role"]) for party in found
    )


FILTERS: dict[str, tuple[dict[str, str], Matches]] = {
    "country": ({"country": "PH"}, _has("PH")),
    "origin": ({"origin": "PH"}, _has("PH", "origin")),
    "destination": ({"destination": "SA"}, _has("SA", "destination")),
    "origin and destination": (
        {"origin": "PH", "destination": "SA"},
        lambda found: _has("PH", "origin")(found) and _has("SA", "destination")(found),
    ),
    "country since": ({"country": "PH", "updated_since": "2000-01-01T00:00:00Z"}, _has("PH")),
}


@pytest.fixture
def recorded(client: TestClient, admin_headers: Headers) -> list[str]:
    return [create(client, admin_headers, **fields)["id"] for fields in RECORDED]


def walk(
    client: TestClient, headers: Headers, cursor: str | None = None, **params: str
) -> list[str]:
    """The ids of every page of the list, two at a time, following each page's cursor."""
    ids: list[str] = []
    while True:
        query = {"limit": "2", **params, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(AGREEMENTS, params=query, headers=headers))
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def matching_in_list_order(client: TestClient, headers: Headers, matches: Matches) -> list[str]:
    """The unfiltered list (ordered by the record key itself), narrowed to the matches."""
    page = ok(client.get(AGREEMENTS, params={"limit": 200}, headers=headers))
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"] if matches(item["parties"])]


@pytest.mark.parametrize("name", list(FILTERS))
def test_a_party_filtered_list_pages_through_every_match_once_in_list_order(
    client: TestClient, partner_headers: Headers, recorded: list[str], name: str
) -> None:
    params, matches = FILTERS[name]
    expected = matching_in_list_order(client, partner_headers, matches)

    listed = walk(client, partner_headers, **params)

    assert len(expected) >= 3  # more than one page
    assert recorded[3] not in listed  # restricted
    assert listed == expected


@pytest.mark.parametrize("name", list(FILTERS))
def test_after_parties_are_replaced_the_list_pages_in_the_order_agreements_were_recorded(
    client: TestClient, admin_headers: Headers, recorded: list[str], name: str
) -> None:
    params, matches = FILTERS[name]
    # The oldest leaves every filter; an older one than most matches joins all of them.
    for agreement_id, replaced in (
        (recorded[0], parties(("BD", "origin"), ("QA", "destination"))),
        (recorded[1], parties(("PH", "origin"), ("SA", "destination"))),
    ):
        response = client.patch(
            f"{AGREEMENTS}/{agreement_id}", json={"parties": replaced}, headers=admin_headers
        )
        ok(response)

    listed = walk(client, admin_headers, **params)

    assert recorded[0] not in listed
    assert listed[0] == recorded[1]
    assert listed == matching_in_list_order(client, admin_headers, matches)


@pytest.mark.parametrize("name", list(FILTERS))
def test_a_deleted_agreement_leaves_the_list_and_comes_back_in_its_place_when_restored(
    client: TestClient, admin_headers: Headers, recorded: list[str], name: str
) -> None:
    params, _ = FILTERS[name]
    before = walk(client, admin_headers, **params)
    middle = before[len(before) // 2]

    assert client.delete(f"{AGREEMENTS}/{middle}", headers=admin_headers).status_code == 204
    while_deleted = walk(client, admin_headers, **params)
    ok(client.post(f"{AGREEMENTS}/{middle}/restore", headers=admin_headers))

    assert while_deleted == [agreement_id for agreement_id in before if agreement_id != middle]
    assert walk(client, admin_headers, **params) == before


def test_a_cursor_of_the_unfiltered_list_leads_on_in_the_filtered_one(
    client: TestClient, admin_headers: Headers, recorded: list[str]
) -> None:
    # The cursor holds the record key of the last agreement served, filtered or not.
    page = ok(client.get(AGREEMENTS, params={"limit": 3}, headers=admin_headers))
    assert [item["id"] for item in page["items"]] == recorded[:3]

    after_third = walk(client, admin_headers, cursor=page["next_cursor"], country="PH")

    everyone = matching_in_list_order(client, admin_headers, _has("PH"))
    assert after_third == [
        agreement_id for agreement_id in everyone if agreement_id not in recorded[:3]
    ]


def test_a_filtered_csv_export_holds_every_match_once_in_list_order(
    client: TestClient, admin_headers: Headers, recorded: list[str]
) -> None:
    response = client.get(
        AGREEMENTS, params={"country": "PH"}, headers={**admin_headers, "Accept": "text/csv"}
    )

    assert response.status_code == 200, response.text
    ids = [row["id"] for row in csv.DictReader(io.StringIO(response.text))]
    assert ids == matching_in_list_order(client, admin_headers, _has("PH"))


def test_parties_keep_their_agreement_s_created_at_when_recorded_and_replaced(
    client: TestClient, admin_headers: Headers, session: Session, recorded: list[str]
) -> None:
    replaced = parties(("PH", "destination"), ("SA", "origin"), ("AE", "destination"))
    ok(
        client.patch(
            f"{AGREEMENTS}/{recorded[0]}",
            json={"kind": "multilateral_agreement", "parties": replaced},
            headers=admin_headers,
        )
    )

    rows = session.exec(
        select(AgreementParty.created_at, Agreement.created_at).join(
            Agreement, Agreement.id == AgreementParty.agreement_id
        )
    ).all()
    assert len(rows) == sum(len(fields["parties"]) for fields in RECORDED) + 1
    assert all(copy == created_at for copy, created_at in rows)
