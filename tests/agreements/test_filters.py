"""Agreement list filters, each alone and combined: parties by country and role, kind, status,
sector, signing and expiry dates, words in the title or summary, and changes since a time."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.agreements.helpers import AGREEMENTS, assert_invalid, create, listed_ids, ok, parties

# Six agreements that each filter tells apart; PH is origin in one, destination in another and
# a plain party in two more.
CATALOGUE: dict[str, dict[str, Any]] = {
    "ph_sa_mou": {
        "title": "Memorandum of Understanding on Domestic Workers",
        "kind": "mou",
        "status": "in_force",
        "parties": parties(("PH", "origin"), ("SA", "destination")),
        "sectors": ["domestic_work"],
        "signed_on": "2013-05-01",
        "effective_on": "2013-06-01",
        "expires_on": "2026-05-31",
        "summary": "Standard employment contract and recruitment costs.",
    },
    "id_my_bilateral": {
        "title": "Agreement on Placement and Protection of Workers",
        "kind": "bilateral_agreement",
        "status": "signed",
        "parties": parties(("ID", "origin"), ("MY", "destination")),
        "sectors": ["construction", "agriculture"],
        "signed_on": "2022-04-01",
        "expires_on": "2027-03-31",
    },
    "vn_kr_mou": {
        "title": "Bản ghi nhớ về việc phái cử và tiếp nhận LAO ĐỘNG giữa Việt Nam và Hàn Quốc",
        "kind": "mou",
        "status": "under_review",
        "parties": parties(("VN", "origin"), ("KR", "destination")),
        "sectors": ["manufacturing", "fishing"],
        "signed_on": "2004-06-17",
        "language": "vi",
    },
    "asean_consensus": {
        "title": "ASEAN Consensus",
        "kind": "regional_framework",
        "status": "in_force",
        "parties": parties(("PH", "party"), ("ID", "party"), ("MY", "party"), ("TH", "party")),
        "sectors": ["general"],
        "signed_on": "2017-11-14",
        "summary": "บันทึกความเข้าใจ on the protection and promotion of migrant workers' rights.",
    },
    "jp_ph_bilateral": {
        "title": "Memorandum on Specified Skilled Workers",
        "kind": "bilateral_agreement",
        "status": "draft",
        "parties": parties(("JP", "origin"), ("PH", "destination")),
        "sectors": ["care"],
    },
    "seafarers_multilateral": {
        "title": "Multilateral Arrangement on Seafarers' Welfare (100% funded)",
        "kind": "multilateral_agreement",
        "status": "terminated",
        "parties": parties(("PH", "party"), ("ID", "party"), ("SG", "party")),
        "sectors": ["seafaring", "hospitality"],
        "signed_on": "2010-01-01",
        "expires_on": "2020-01-01",
    },
}


@pytest.fixture
def catalogue(client: TestClient, admin_headers: dict[str, str]) -> dict[str, str]:
    """Records the six agreements; their ids by name."""
    ids: dict[str, str] = {}
    for name, fields in CATALOGUE.items():
        created = create(client, admin_headers, **fields)
        ids[name] = created["id"]
    return ids


def names_listed(
    client: TestClient, headers: dict[str, str], catalogue: dict[str, str], **params: Any
) -> set[str]:
    by_id = {agreement_id: name for name, agreement_id in catalogue.items()}
    return {by_id[agreement_id] for agreement_id in listed_ids(client, headers, **params)}


EVERY = set(CATALOGUE)
PH_ANYWHERE = {"ph_sa_mou", "asean_consensus", "jp_ph_bilateral", "seafarers_multilateral"}

# For each filter, values and the agreements each of them lists (the filter alone).
SINGLE_FILTERS: dict[str, list[tuple[str, set[str]]]] = {
    "country": [("PH", PH_ANYWHERE), ("KR", {"vn_kr_mou"}), ("NP", set())],
    "origin": [("PH", {"ph_sa_mou"}), ("ID", {"id_my_bilateral"}), ("SA", set())],
    "destination": [("PH", {"jp_ph_bilateral"}), ("MY", {"id_my_bilateral"}), ("VN", set())],
    "kind": [
        ("mou", {"ph_sa_mou", "vn_kr_mou"}),
        ("bilateral_agreement", {"id_my_bilateral", "jp_ph_bilateral"}),
        ("multilateral_agreement", {"seafarers_multilateral"}),
        ("regional_framework", {"asean_consensus"}),
    ],
    "status": [
        ("in_force", {"ph_sa_mou", "asean_consensus"}),
        ("draft", {"jp_ph_bilateral"}),
        ("expired", set()),
    ],
    "sector": [
        ("domestic_work", {"ph_sa_mou"}),
        ("agriculture", {"id_my_bilateral"}),
        ("care", {"jp_ph_bilateral"}),
        ("hospitality", {"seafarers_multilateral"}),
        ("fishing", {"vn_kr_mou"}),
        ("general", {"asean_consensus"}),
        ("construction", {"id_my_bilateral"}),
    ],
    # Inclusive at both ends; agreements with no signing date never match.
    "signed_from": [
        ("2013-05-01", {"ph_sa_mou", "id_my_bilateral", "asean_consensus"}),
        ("2013-05-02", {"id_my_bilateral", "asean_consensus"}),
    ],
    "signed_to": [
        ("2013-05-01", {"ph_sa_mou", "vn_kr_mou", "seafarers_multilateral"}),
        ("2013-04-30", {"vn_kr_mou", "seafarers_multilateral"}),
    ],
    # Strictly before; agreements with no expiry date never match.
    "expiring_before": [
        ("2026-06-01", {"ph_sa_mou", "seafarers_multilateral"}),
        ("2026-05-31", {"seafarers_multilateral"}),
        ("2030-01-01", {"ph_sa_mou", "id_my_bilateral", "seafarers_multilateral"}),
    ],
}


def test_with_no_filter_every_agreement_is_listed(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    assert names_listed(client, admin_headers, catalogue) == EVERY


@pytest.mark.parametrize("name", list(SINGLE_FILTERS))
def test_each_filter_alone_lists_exactly_the_matching_agreements(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str], name: str
) -> None:
    for value, expected in SINGLE_FILTERS[name]:
        listed = names_listed(client, admin_headers, catalogue, **{name: value})
        assert listed == expected, f"{name}={value}"


def test_origin_and_destination_match_only_a_party_in_that_role(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    as_origin = names_listed(client, admin_headers, catalogue, origin="PH")
    as_destination = names_listed(client, admin_headers, catalogue, destination="PH")
    anywhere = names_listed(client, admin_headers, catalogue, country="PH")

    assert "jp_ph_bilateral" not in as_origin  # PH is its destination
    assert "ph_sa_mou" not in as_destination  # PH is its origin
    # PH is a plain `party` to these two: found by country, by neither role.
    plain = {"asean_consensus", "seafarers_multilateral"}
    assert plain <= anywhere
    assert not plain & (as_origin | as_destination)


Q_CASES: dict[str, list[tuple[str, set[str]]]] = {
    # Vietnamese, from the middle of the title: lower case finds an upper-case word, and the
    # other way round, diacritics and all.
    "vietnamese": [
        ("lao động", {"vn_kr_mou"}),
        ("phái cử", {"vn_kr_mou"}),
        ("GIỮA VIỆT NAM", {"vn_kr_mou"}),
        ("Lao Động Giữa", {"vn_kr_mou"}),
        ("lao dong", set()),
    ],
    # Thai in a summary; English in any case, in a title or a summary.
    "thai-and-english": [
        ("ความเข้าใจ", {"asean_consensus"}),
        ("domestic", {"ph_sa_mou"}),
        ("RECRUITMENT COSTS", {"ph_sa_mou"}),
        ("workers", {"ph_sa_mou", "id_my_bilateral", "asean_consensus", "jp_ph_bilateral"}),
    ],
    # LIKE wildcards match only themselves.
    "literal": [
        ("100%", {"seafarers_multilateral"}),
        ("%", {"seafarers_multilateral"}),
        ("_", set()),
    ],
}


@pytest.mark.parametrize("cases", list(Q_CASES))
def test_q_finds_words_in_the_title_or_summary_in_any_script_and_case(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str], cases: str
) -> None:
    for q, expected in Q_CASES[cases]:
        assert names_listed(client, admin_headers, catalogue, q=q) == expected, q


COMBINATIONS: list[tuple[dict[str, str], set[str]]] = [
    ({"country": "PH", "status": "in_force"}, {"ph_sa_mou", "asean_consensus"}),
    ({"country": "PH", "status": "in_force", "sector": "domestic_work"}, {"ph_sa_mou"}),
    ({"origin": "ID", "destination": "MY"}, {"id_my_bilateral"}),
    ({"origin": "PH", "destination": "PH"}, set()),
    ({"origin": "PH", "kind": "bilateral_agreement"}, set()),
    ({"country": "ID", "kind": "regional_framework"}, {"asean_consensus"}),
    (
        {"signed_from": "2010-01-01", "signed_to": "2020-12-31", "country": "PH"},
        {"ph_sa_mou", "asean_consensus", "seafarers_multilateral"},
    ),
    ({"signed_from": "2014-01-01", "expiring_before": "2030-01-01"}, {"id_my_bilateral"}),
    ({"q": "workers", "destination": "PH", "sector": "care"}, {"jp_ph_bilateral"}),
    ({"q": "workers", "status": "terminated"}, set()),
]


def test_filters_combined_list_the_agreements_matching_all_of_them(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    for params, expected in COMBINATIONS:
        assert names_listed(client, admin_headers, catalogue, **params) == expected, params


def test_updated_since_lists_the_agreements_changed_at_or_after_that_time(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = create(client, admin_headers, title="First")
    second = create(client, admin_headers, title="Second")

    since_second = listed_ids(client, admin_headers, updated_since=second["updated_at"])
    assert since_second == {second["id"]}
    since_first = listed_ids(client, admin_headers, updated_since=first["updated_at"])
    assert since_first == {first["id"], second["id"]}

    changed = ok(
        client.patch(
            f"{AGREEMENTS}/{first['id']}", json={"status": "suspended"}, headers=admin_headers
        )
    )
    since_change = listed_ids(client, admin_headers, updated_since=changed["updated_at"])
    assert since_change == {first["id"]}


def test_filters_see_a_patch_to_parties_sectors_and_dates(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    agreement = create(client, admin_headers, sectors=["domestic_work"], signed_on="2013-05-01")
    assert listed_ids(client, admin_headers, origin="PH") == {agreement["id"]}

    changes = {
        "parties": parties(("NP", "origin"), ("QA", "destination")),
        "sectors": ["construction"],
        "signed_on": "2019-01-01",
        "expires_on": "2024-12-31",
    }
    ok(client.patch(f"{AGREEMENTS}/{agreement['id']}", json=changes, headers=admin_headers))

    for gone in ({"origin": "PH"}, {"country": "SA"}, {"sector": "domestic_work"}):
        assert listed_ids(client, admin_headers, **gone) == set(), gone
    for found in (
        {"origin": "NP"},
        {"destination": "QA"},
        {"sector": "construction"},
        {"signed_from": "2019-01-01"},
        {"expiring_before": "2025-01-01"},
    ):
        assert listed_ids(client, admin_headers, **found) == {agreement["id"]}, found


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("country", "ZZ"),
        ("origin", "philippines"),
        ("destination", "S1"),
        ("kind", "treaty"),
        ("status", "ratified"),
        ("sector", "nursing"),
        ("signed_from", "2020-13-01"),
        ("signed_to", "01/02/2020"),
        ("expiring_before", "soon"),
        ("updated_since", "2020-01-01"),
        ("q", ""),
    ],
)
def test_a_malformed_filter_is_refused_naming_it(
    client: TestClient, admin_headers: dict[str, str], name: str, value: str
) -> None:
    response = client.get(AGREEMENTS, params={name: value}, headers=admin_headers)

    problem = assert_invalid(response, "query", name)
    if value:
        assert value not in str(problem.get("errors"))
