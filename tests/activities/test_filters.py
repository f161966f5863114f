"""The activity list: oldest recorded first, paged by cursor, narrowed by kind, country, year,
parliamentarian, q and updated_since, exported as CSV with the same filters, and costing as many
statements for a page of 50 as for a page of 5."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation
from app.records.models import Visibility
from tests.activities.helpers import (
    ACTIVITIES,
    Headers,
    assert_problem,
    by_id,
    counting_statements,
    create,
    create_agreement,
    create_law,
    create_parliamentarian,
    csv_response,
    csv_rows,
    listed,
    listed_ids,
    ok,
    patch,
    record_activity,
    record_parliamentarian,
)


@pytest.fixture
def catalogue(client: TestClient, admin_headers: Headers) -> dict[str, str]:
    """Four activities, different in every field a filter reads."""
    return {
        "kl_seminar": create(
            client,
            admin_headers,
            kind="seminar",
            title="Seminar on Domestic Workers",
            start_date="2024-03-10",
            country="MY",
            city="Kuala Lumpur",
        )["id"],
        "dhaka_hearing": create(
            client,
            admin_headers,
            kind="oversight_hearing",
            title="Hearing on recruitment fees",
            start_date="2023-11-02",
            country="BD",
            city="Dhaka",
            summary="The ministry answered on WAGE THEFT in the Gulf.",
        )["id"],
        "manila_debate": create(
            client,
            admin_headers,
            kind="parliamentary_debate",
            title="Debate on C189 ratification",
            year=2024,
            country="PH",
            city="Quezon City",
        )["id"],
        "caucus": create(
            client,
            admin_headers,
            kind="caucus_meeting",
            title="Annual caucus meeting",
            start_date="2025-01-20",
            country="MY",
            city="Penang",
        )["id"],
    }


def test_the_list_gives_every_activity_oldest_recorded_first(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    items = listed(client, admin_headers)

    assert [item["id"] for item in items] == list(catalogue.values())
    assert items[0] == ok(
        client.get(f"{ACTIVITIES}/{catalogue['kl_seminar']}", headers=admin_headers)
    )


def test_kind_lists_only_activities_of_that_kind(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, kind="seminar") == {catalogue["kl_seminar"]}
    assert listed_ids(client, admin_headers, kind="caucus_meeting") == {catalogue["caucus"]}
    assert listed_ids(client, admin_headers, kind="exchange_visit") == set()


def test_country_lists_only_activities_that_took_place_there(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, country="MY") == {
        catalogue["kl_seminar"],
        catalogue["caucus"],
    }
    assert listed_ids(client, admin_headers, country="BD") == {catalogue["dhaka_hearing"]}
    assert listed_ids(client, admin_headers, country="NP") == set()


def test_year_lists_activities_of_that_year_by_start_date_or_year_alone(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, year=2024) == {
        catalogue["kl_seminar"],
        catalogue["manila_debate"],
    }
    assert listed_ids(client, admin_headers, year=2023) == {catalogue["dhaka_hearing"]}
    assert listed_ids(client, admin_headers, year=2022) == set()


def test_a_patched_start_date_moves_the_activity_to_its_new_year(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    moved = catalogue["kl_seminar"]
    ok(patch(client, admin_headers, moved, {"start_date": "2022-06-01"}))

    assert listed_ids(client, admin_headers, year=2022) == {moved}
    assert moved not in listed_ids(client, admin_headers, year=2024)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("domestic workers", {"kl_seminar"}),  # title, another case
        ("KUALA", {"kl_seminar"}),  # city
        ("wage theft", {"dhaka_hearing"}),  # summary
        ("quezon", {"manila_debate"}),
        ("on", {"kl_seminar", "dhaka_hearing", "manila_debate"}),
        ("C189", {"manila_debate"}),
        ("nothing like it", set()),
        ("%", set()),
        ("_", set()),
    ],
)
def test_q_finds_words_in_the_title_city_or_summary_in_any_case(
    client: TestClient,
    admin_headers: Headers,
    catalogue: dict[str, str],
    q: str,
    expected: set[str],
) -> None:
    assert listed_ids(client, admin_headers, q=q) == {catalogue[name] for name in expected}


def test_q_folds_the_case_of_letters_beyond_ascii(
    client: TestClient, admin_headers: Headers
) -> None:
    da_nang = create(client, admin_headers, title="Hội thảo về lao động", city="ĐÀ NẴNG")["id"]
    create(client, admin_headers, title="Caucus meeting", city="Hanoi")

    assert listed_ids(client, admin_headers, q="đà nẵng") == {da_nang}
    assert listed_ids(client, admin_headers, q="HỘI THẢO") == {da_nang}


def test_filters_combine(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, country="MY", year=2025) == {catalogue["caucus"]}
    assert listed_ids(client, admin_headers, country="MY", kind="oversight_hearing") == set()
    assert listed_ids(client, admin_headers, q="penang", kind="caucus_meeting") == {
        catalogue["caucus"]
    }


def test_parliamentarian_lists_the_activities_they_took_part_in(
    client: TestClient, admin_headers: Headers
) -> None:
    maria = create_parliamentarian(client, admin_headers)
    sita = create_parliamentarian(client, admin_headers, name="Sita Gurung", country="NP")
    nobody = create_parliamentarian(client, admin_headers, name="Nobody", country="TH")
    both = create(client, admin_headers, parliamentarian_ids=[maria, sita])["id"]
    only_sita = create(client, admin_headers, parliamentarian_ids=[sita])["id"]
    create(client, admin_headers)

    assert listed_ids(client, admin_headers, parliamentarian=maria) == {both}
    assert listed_ids(client, admin_headers, parliamentarian=sita) == {both, only_sita}
    assert listed_ids(client, admin_headers, parliamentarian=nobody) == set()
    assert listed_ids(client, admin_headers, parliamentarian=maria.upper()) == {both}
    assert [row["id"] for row in csv_rows(client, admin_headers, parliamentarian=maria)] == [both]


def test_a_parliamentarian_unlinked_by_a_patch_no_longer_lists_the_activity(
    client: TestClient, admin_headers: Headers
) -> None:
    maria = create_parliamentarian(client, admin_headers)
    activity = create(client, admin_headers, parliamentarian_ids=[maria])["id"]

    ok(patch(client, admin_headers, activity, {"parliamentarian_ids": []}))

    assert listed_ids(client, admin_headers, parliamentarian=maria) == set()


def test_the_parliamentarian_filter_does_not_reveal_a_link_the_caller_cannot_see(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    partner = headers_of("partner")
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)
    activity = create(client, admin_headers, parliamentarian_ids=[hidden])["id"]
    assert listed_ids(client, admin_headers, parliamentarian=hidden) == {activity}

    # The partner reads the activity as naming nobody: filtering by the hidden id must agree.
    assert ok(client.get(f"{ACTIVITIES}/{activity}", headers=partner))["parliamentarian_ids"] == []
    assert listed_ids(client, partner, parliamentarian=hidden) == set()


def test_updated_since_lists_the_activities_changed_at_or_after_a_time(
    client: TestClient, admin_headers: Headers
) -> None:
    older = create(client, admin_headers, title="Older")
    newer = create(client, admin_headers, title="Newer")

    assert listed_ids(client, admin_headers, updated_since=newer["updated_at"]) == {newer["id"]}
    assert listed_ids(client, admin_headers, updated_since=older["updated_at"]) == {
        older["id"],
        newer["id"],
    }

    changed = ok(patch(client, admin_headers, older["id"], {"title": "Older, changed"}))
    assert listed_ids(client, admin_headers, updated_since=changed["updated_at"]) == {older["id"]}
    assert listed_ids(client, admin_headers, updated_since="2100-01-01T00:00:00Z") == set()


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "workshop"},
        {"country": "ZZ"},
        {"year": "0"},
        {"year": "10000"},
        {"year": "soon"},
        {"parliamentarian": "maria"},
        {"updated_since": "yesterday"},
        {"limit": "0"},
        {"limit": "201"},
        {"cursor": "not-a-cursor"},
    ],
)
def test_a_filter_with_a_value_it_cannot_take_is_refused(
    client: TestClient, admin_headers: Headers, params: dict[str, str]
) -> None:
    assert_problem(client.get(ACTIVITIES, params=params, headers=admin_headers), 422)


# ---- pages ---------------------------------------------------------------------------------


def test_the_list_pages_through_every_activity_with_the_cursor(
    client: TestClient, admin_headers: Headers
) -> None:
    made = [create(client, admin_headers, title=f"Activity {i}")["id"] for i in range(7)]
    walked: list[str] = []
    cursor = None

    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get(ACTIVITIES, params=params, headers=admin_headers)
        page = ok(response)
        assert len(page["items"]) <= 3
        walked.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
    else:
        pytest.fail("the walk never ended")

    assert walked == made


def test_the_cursor_keeps_the_filters_to_the_end(
    client: TestClient, admin_headers: Headers
) -> None:
    seminars = [create(client, admin_headers, kind="seminar")["id"] for _ in range(3)]
    for _ in range(3):
        create(client, admin_headers, kind="caucus_meeting")

    first = ok(
        client.get(ACTIVITIES, params={"kind": "seminar", "limit": 2}, headers=admin_headers)
    )
    second = ok(
        client.get(
            ACTIVITIES,
            params={"kind": "seminar", "limit": 2, "cursor": first["next_cursor"]},
            headers=admin_headers,
        )
    )

    assert [i["id"] for i in first["items"] + second["items"]] == seminars
    assert second["next_cursor"] is None


def test_the_default_page_holds_50_activities(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    for i in range(51):
        record_activity(session, secretariat, title=f"Activity {i}")

    page = ok(client.get(ACTIVITIES, headers=admin_headers))

    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


# ---- CSV -----------------------------------------------------------------------------------


def test_the_csv_export_has_a_row_per_activity_with_lists_joined_by_semicolons(
    client: TestClient, admin_headers: Headers, partner_organisation: Organisation
) -> None:
    first = create_parliamentarian(client, admin_headers)
    second = create_parliamentarian(client, admin_headers, name="Sita Gurung", country="NP")
    agreement = create_agreement(client, admin_headers)
    law = create_law(client, admin_headers)
    full = create(
        client,
        admin_headers,
        title='=HYPERLINK("https://example.org")',
        start_date="2024-03-10",
        country="MY",
        city="Kuala Lumpur",
        outcomes=["One", "Two"],
        parliamentarian_ids=[first, second],
        partner_organisation_ids=[str(partner_organisation.id)],
        agreement_ids=[agreement],
        law_ids=[law],
        instrument_codes=["ICRMW", "c189"],
    )
    bare = create(client, admin_headers, year=2019)

    response = csv_response(client, admin_headers)
    rows = {row["id"]: row for row in csv_rows(client, admin_headers)}

    assert response.headers["content-disposition"].startswith("attachment;")
    header = response.content.decode("utf-8").splitlines()[0].split(",")
    assert {"kind", "title", "year", "parliamentarian_ids", "instrument_codes"} <= set(header)
    assert list(rows) == [full["id"], bare["id"]]
    row = rows[full["id"]]
    assert row["parliamentarian_ids"] == ";".join(by_id(first, second))
    assert row["instrument_codes"] == "C189;ICRMW"
    assert row["outcomes"] == "One;Two"
    assert row["partner_organisation_ids"] == str(partner_organisation.id)
    assert (row["agreement_ids"], row["law_ids"]) == (agreement, law)
    assert (row["kind"], row["year"], row["start_date"], row["country"]) == (
        "seminar",
        "2024",
        "2024-03-10",
        "MY",
    )
    assert row["title"] == '\'=HYPERLINK("https://example.org")'  # not run as a formula
    assert (rows[bare["id"]]["year"], rows[bare["id"]]["start_date"]) == ("2019", "")


def test_the_csv_export_is_named_activities_csv(client: TestClient, admin_headers: Headers) -> None:
    create(client, admin_headers)

    disposition = csv_response(client, admin_headers).headers["content-disposition"]

    assert disposition == 'attachment; filename="activities.csv"'


def test_the_csv_export_takes_the_same_filters_as_the_list(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    for params in (
        {"country": "MY"},
        {"year": "2024"},
        {"kind": "oversight_hearing"},
        {"q": "quezon"},
    ):
        exported = [row["id"] for row in csv_rows(client, admin_headers, **params)]
        assert exported == [item["id"] for item in listed(client, admin_headers, **params)]
        assert exported


def test_the_csv_export_holds_every_activity_beyond_one_page(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    made = [record_activity(session, secretariat, title=f"A{i}") for i in range(205)]

    assert [row["id"] for row in csv_rows(client, admin_headers, limit=5)] == made


# ---- what a list page costs ----------------------------------------------------------------


@pytest.mark.parametrize("caller", ["admin", "partner"])
def test_a_page_of_50_activities_costs_as_many_statements_as_a_page_of_5(
    client: TestClient,
    app: FastAPI,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
    caller: str,
) -> None:
    """Linked records are checked a page at a time, never one activity at a time."""
    headers = headers_of(caller)
    member = create_parliamentarian(client, admin_headers, visibility="public")
    hidden = record_parliamentarian(session, secretariat, Visibility.restricted)
    agreement = create_agreement(client, admin_headers)
    law = create_law(client, admin_headers)

    def add(n: int) -> None:
        for i in range(n):
            record_activity(
                session,
                secretariat,
                title=f"Activity {i}",
                parliamentarian_ids=[member, hidden],
                agreement_ids=[agreement],
                law_ids=[law],
                instrument_codes=["C189"],
            )

    def list_page() -> tuple[int, int]:
        client.get(ACTIVITIES, params={"limit": 1}, headers=headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(ACTIVITIES, params={"limit": 50}, headers=headers))
        seen = by_id(member, hidden) if caller == "admin" else [member]
        assert all(item["parliamentarian_ids"] == seen for item in page["items"])
        assert all(item["law_ids"] == [law] for item in page["items"])
        return len(page["items"]), len(statements)

    add(5)
    few, cost_of_few = list_page()
    add(45)
    many, cost_of_many = list_page()

    assert (few, many) == (5, 50)
    assert cost_of_many == cost_of_few
