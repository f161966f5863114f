"""Filters of the parliamentarian list: country, active_on (inclusive at both ends), role alone
and with active_on (on the same membership), and q over names, party and constituency."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.members.helpers import Headers, create, csv_rows, listed_ids


def member(role: str, started_on: str, ended_on: str | None = None) -> dict[str, str | None]:
    return {"role": role, "started_on": started_on, "ended_on": ended_on}


def test_country_lists_only_parliamentarians_of_that_country(
    client: TestClient, admin_headers: Headers
) -> None:
    ph = create(client, admin_headers, country="PH")["id"]
    th = create(client, admin_headers, country="TH", name="Somchai")["id"]
    np_ = create(client, admin_headers, country="NP", name="Sita")["id"]

    assert listed_ids(client, admin_headers, country="TH") == {th}
    assert listed_ids(client, admin_headers, country="PH") == {ph}
    assert listed_ids(client, admin_headers, country="KH") == set()
    assert listed_ids(client, admin_headers) == {ph, th, np_}
    assert [row["id"] for row in csv_rows(client, admin_headers, country="TH")] == [th]


def test_an_unknown_country_filter_is_refused(client: TestClient, admin_headers: Headers) -> None:
    response = client.get(
        "/api/v1/parliamentarians", params={"country": "ZZ"}, headers=admin_headers
    )

    assert response.status_code == 422, response.text


def test_active_on_includes_both_ends_of_a_membership_and_open_ones(
    client: TestClient, admin_headers: Headers
) -> None:
    day = "2024-03-15"
    ended_the_day_before = create(
        client, admin_headers, name="A", memberships=[member("member", "2020-01-01", "2024-03-14")]
    )["id"]
    ends_that_day = create(
        client, admin_headers, name="B", memberships=[member("member", "2020-01-01", day)]
    )["id"]
    starts_that_day = create(
        client, admin_headers, name="C", memberships=[member("observer", day, "2024-12-31")]
    )["id"]
    no_end = create(client, admin_headers, name="D", memberships=[member("member", "2023-01-01")])[
        "id"
    ]
    starts_after = create(
        client, admin_headers, name="E", memberships=[member("member", "2024-03-16")]
    )["id"]
    never = create(client, admin_headers, name="F")["id"]

    active = listed_ids(client, admin_headers, active_on=day)

    assert active == {ends_that_day, starts_that_day, no_end}
    for absent in (ended_the_day_before, starts_after, never):
        assert absent not in active
    assert listed_ids(client, admin_headers, active_on="2024-03-14") == {
        ended_the_day_before,
        ends_that_day,
        no_end,
    }


def test_active_on_matches_a_parliamentarian_with_a_gap_only_inside_a_membership(
    client: TestClient, admin_headers: Headers
) -> None:
    returning = create(
        client,
        admin_headers,
        memberships=[member("member", "2018-01-01", "2019-12-31"), member("member", "2022-01-01")],
    )["id"]

    assert listed_ids(client, admin_headers, active_on="2019-06-01") == {returning}
    assert listed_ids(client, admin_headers, active_on="2021-01-01") == set()
    assert listed_ids(client, admin_headers, active_on="2025-01-01") == {returning}


def test_role_alone_matches_any_membership_in_that_role_past_or_present(
    client: TestClient, admin_headers: Headers
) -> None:
    past_convenor = create(
        client,
        admin_headers,
        name="A",
        memberships=[
            member("convenor", "2018-01-01", "2020-12-31"),
            member("member", "2021-01-01"),
        ],
    )["id"]
    convenor = create(
        client, admin_headers, name="B", memberships=[member("convenor", "2023-01-01")]
    )["id"]
    observer = create(
        client, admin_headers, name="C", memberships=[member("observer", "2023-01-01")]
    )["id"]

    assert listed_ids(client, admin_headers, role="convenor") == {past_convenor, convenor}
    assert listed_ids(client, admin_headers, role="member") == {past_convenor}
    assert listed_ids(client, admin_headers, role="observer") == {observer}
    assert listed_ids(client, admin_headers, role="advisory_committee") == set()


def test_role_with_active_on_needs_that_role_on_that_date(
    client: TestClient, admin_headers: Headers
) -> None:
    today = date.today()
    long_ago = (today - timedelta(days=2000)).isoformat()
    last_year = (today - timedelta(days=365)).isoformat()
    day_after = (today - timedelta(days=364)).isoformat()
    past_convenor_now_member = create(
        client,
        admin_headers,
        memberships=[member("convenor", long_ago, last_year), member("member", day_after)],
    )["id"]

    on_today = today.isoformat()
    assert listed_ids(client, admin_headers, role="member", active_on=on_today) == {
        past_convenor_now_member
    }
    assert listed_ids(client, admin_headers, role="convenor", active_on=on_today) == set()
    assert listed_ids(client, admin_headers, role="convenor", active_on=last_year) == {
        past_convenor_now_member
    }
    assert listed_ids(client, admin_headers, role="member", active_on=last_year) == set()


def test_an_unknown_role_filter_is_refused(client: TestClient, admin_headers: Headers) -> None:
    response = client.get(
        "/api/v1/parliamentarians", params={"role": "chair"}, headers=admin_headers
    )

    assert response.status_code == 422, response.text


@pytest.fixture
def searchable(client: TestClient, admin_headers: Headers) -> dict[str, str]:
    return {
        "thai": create(
            client,
            admin_headers,
            name="Rangsiman Rome",
            other_names=["รังสิมันต์ โรม"],
            country="TH",
            party="People's Party",
            constituency="Party list",
        )["id"],
        "khmer": create(
            client,
            admin_headers,
            name="Sok Chenda",
            other_names=["សុខ ចិន្តា"],
            country="KH",
            party="Candlelight",
            constituency="Phnom Penh",
        )["id"],
        "nepal": create(
            client,
            admin_headers,
            name="Sita Gurung",
            country="NP",
            party="Nepali Congress",
            constituency="Kaski-2",
        )["id"],
    }


@pytest.mark.parametrize(
    ("q", "who"),
    [
        ("rangsiman", "thai"),
        ("SOK CHEN", "khmer"),
        ("gUrUnG", "nepal"),
        ("candlelight", "khmer"),
        ("NEPALI congress", "nepal"),
        ("phnom PENH", "khmer"),
        ("kaski", "nepal"),
    ],
)
def test_q_matches_name_party_and_constituency_ignoring_case(
    client: TestClient, admin_headers: Headers, searchable: dict[str, str], q: str, who: str
) -> None:
    assert listed_ids(client, admin_headers, q=q) == {searchable[who]}


@pytest.mark.parametrize(("q", "who"), [("รังสิมันต์", "thai"), ("ចិន្តា", "khmer")])
def test_q_matches_another_name_in_another_script(
    client: TestClient, admin_headers: Headers, searchable: dict[str, str], q: str, who: str
) -> None:
    assert listed_ids(client, admin_headers, q=q) == {searchable[who]}


def test_q_matches_another_name_in_latin_script_ignoring_case(
    client: TestClient, admin_headers: Headers
) -> None:
    wanted = create(client, admin_headers, name="Sok Chenda", other_names=["Chenda SOPHEA"])["id"]
    create(client, admin_headers, name="Someone Else")

    assert listed_ids(client, admin_headers, q="sophea") == {wanted}


def test_q_matching_nothing_lists_nothing(
    client: TestClient, admin_headers: Headers, searchable: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, q="Batasan") == set()


@pytest.mark.parametrize("q", ['"', "[]", "u0e23"], ids=["quote", "brackets", "escape"])
def test_q_does_not_match_the_json_syntax_of_the_stored_other_names(
    client: TestClient, admin_headers: Headers, q: str
) -> None:
    """Nobody's name, party or constituency contains `q`, so nobody is listed."""
    create(client, admin_headers, name="Rangsiman Rome", other_names=["รังสิมันต์", "Rome R."])
    create(client, admin_headers, name="Sok Chenda")

    assert listed_ids(client, admin_headers, q=q) == set()


def test_filters_combine(client: TestClient, admin_headers: Headers) -> None:
    wanted = create(
        client,
        admin_headers,
        country="TH",
        party="Move Forward",
        memberships=[member("focal_point", "2022-01-01")],
    )["id"]
    create(
        client,
        admin_headers,
        country="PH",
        party="Move Forward",
        memberships=[member("focal_point", "2022-01-01")],
    )
    create(
        client,
        admin_headers,
        country="TH",
        party="Move Forward",
        memberships=[member("member", "2022-01-01")],
    )
    create(
        client,
        admin_headers,
        country="TH",
        party="Pheu Thai",
        memberships=[member("focal_point", "2022-01-01")],
    )

    found = listed_ids(
        client, admin_headers, country="TH", role="focal_point", active_on="2024-01-01", q="forward"
    )
    assert found == {wanted}
