"""Lists filtered by a party, page after page: every matching agreement exactly once, in the
list's order (oldest first), across cursors, while parties are replaced and agreements deleted
and restored; and the copy of each agreement's created_at its parties keep for that."""

import csv
import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.agreements import service
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


def _in_step(session: Session) -> list[tuple[Any, Any]]:
    """Each party row's copy of its agreement's updated_at, with the agreement's own."""
    session.expire_all()
    return list(
        session.exec(
            select(AgreementParty.updated_at, Agreement.updated_at).join(
                Agreement, Agreement.id == AgreementParty.agreement_id
            )
        ).all()
    )


def test_parties_keep_their_agreement_s_updated_at_through_every_write(
    client: TestClient, admin_headers: Headers, session: Session, recorded: list[str]
) -> None:
    first, second, third = recorded[:3]
    writes = [
        lambda: client.patch(f"{AGREEMENTS}/{first}", json={"title": "Re"}, headers=admin_headers),
        lambda: client.patch(
            f"{AGREEMENTS}/{second}",
            json={"parties": parties(("BD", "origin"), ("QA", "destination"))},
            headers=admin_headers,
        ),
        lambda: client.delete(f"{AGREEMENTS}/{third}", headers=admin_headers),
        lambda: client.post(f"{AGREEMENTS}/{third}/restore", headers=admin_headers),
    ]
    stamps = [_in_step(session)]
    for write in writes:
        assert write().status_code in (200, 204)
        stamps.append(_in_step(session))

    assert all(copy == updated_at for rows in stamps for copy, updated_at in rows)
    # Each write moved some agreement's updated_at, so the copies followed a change.
    assert all(before != after for before, after in itertools.pairwise(stamps))


def test_parties_keep_their_agreement_s_updated_at_through_an_import(
    client: TestClient, admin_headers: Headers, session: Session, recorded: list[str]
) -> None:
    exported = client.get(AGREEMENTS, headers={**admin_headers, "Accept": "text/csv"}).text
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    rows[0]["title"] = "Renamed by an import"
    rows[1]["parties"] = "BD:origin;QA:destination"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    before = _in_step(session)

    response = client.post(
        "/api/v1/imports",
        params={"type": "agreements"},
        content=edited.getvalue().encode(),
        headers={**admin_headers, "Content-Type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["updated"] == 2
    after = _in_step(session)
    assert after != before
    assert all(copy == updated_at for copy, updated_at in after)


def _force(monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    """Make `plan` the one each page of a list by a party changed since is read by."""
    if plan == "walk from the oldest change":
        # The walk from the page's cursor is refused, the one from the oldest change is not.
        probe, choose = service._walk_finds_changes, service._plan
        refused: list[bool] = []

        def first_refused(*args: Any) -> bool:
            if not refused:
                refused.append(True)
                return False
            return probe(*args)

        def choosing(*args: Any) -> Any:
            refused.clear()
            return choose(*args)

        monkeypatch.setattr(service, "_walk_finds_changes", first_refused)
        monkeypatch.setattr(service, "_plan", choosing)
    elif plan == "sort":
        # No walk finds changes in an empty window; then the changes are sorted.
        monkeypatch.setattr(service, "_WALK_PROBED", 0)


@pytest.mark.parametrize("plan", ["walk", "walk from the oldest change", "sort"])
@pytest.mark.parametrize("name", ["country", "origin", "destination"])
def test_a_party_filtered_list_changed_since_pages_the_same_by_any_plan(
    client: TestClient,
    admin_headers: Headers,
    recorded: list[str],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
    name: str,
) -> None:
    params, matches = FILTERS[name]
    # Changed after `since`: two old agreements and the newest, out of their list order.
    since = ok(client.get(f"{AGREEMENTS}/{recorded[-1]}", headers=admin_headers))["updated_at"]
    for agreement_id in (recorded[6], recorded[0], recorded[9]):
        changed = client.patch(
            f"{AGREEMENTS}/{agreement_id}", json={"summary": "Changed."}, headers=admin_headers
        )
        ok(changed)
    everyone = ok(client.get(AGREEMENTS, params={"limit": 200}, headers=admin_headers))["items"]
    expected = [
        item["id"] for item in everyone if item["updated_at"] > since and matches(item["parties"])
    ]
    _force(monkeypatch, plan)

    listed = walk(client, admin_headers, **params, updated_since=since)

    assert len(expected) >= 2
    assert listed == expected
