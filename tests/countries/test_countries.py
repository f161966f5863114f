"""Countries: every ISO 3166-1 country, Asian ones by UN M49 sub-region, and a migration profile
that only the secretariat curates (audited, and kept when the reference data is loaded again)."""

import csv
import io
import re
from datetime import datetime
from typing import Any

import pycountry
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, func, select

from app.countries.models import Country, Region
from app.identity.models import User
from app.reference.loader import load_reference

COUNTRIES = "/api/v1/countries"
AUDIT = "/api/v1/audit"
PROBLEM_JSON = "application/problem+json"
LINK_NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')

# UN Statistics Division, Standard country or area codes for statistical use (M49): Asia's
# sub-regions. M49 has no separate entry for Taiwan (it is counted within China, in Eastern
# Asia), so the ISO 3166-1 code TW goes to Eastern Asia.
M49_ASIA: dict[str, set[str]] = {
    "south_east_asia": {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"},
    "south_asia": {"AF", "BD", "BT", "IN", "IR", "MV", "NP", "PK", "LK"},
    "east_asia": {"CN", "HK", "MO", "KP", "JP", "MN", "KR", "TW"},
    "central_asia": {"KZ", "KG", "TJ", "TM", "UZ"},
    "west_asia": {
        "AM", "AZ", "BH", "CY", "GE", "IQ", "IL", "JO", "KW",
        "LB", "OM", "QA", "SA", "PS", "SY", "TR", "AE", "YE",
    },
}  # fmt: skip
ISO_CODES = {country.alpha_2 for country in pycountry.countries}
ISO_NAMES = {country.alpha_2: country.name for country in pycountry.countries}


@pytest.fixture
def reference(session: Session) -> dict[str, int]:
    return {result.name: result.rows for result in load_reference(session)}


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def ok(response: Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


def walk(
    client: TestClient, headers: dict[str, str], **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every item of the list, page by page through `cursor`; and how many pages it took."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = ok(client.get(COUNTRIES, params=query, headers=headers))
        pages += 1
        assert len(body["items"]) <= params.get("limit", 50)
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 20, "the cursor never ends"


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    items, _ = walk(client, headers, limit=200, **params)
    return set(codes(items))


def matching(needle: str) -> set[str]:
    """What `q` promises: part of the name, case-insensitive, or the exact code."""
    return {
        code
        for code, name in ISO_NAMES.items()
        if needle.casefold() in name.casefold() or code == needle.upper()
    }


def audit_entries(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    body = ok(
        client.get(AUDIT, params={"action": "country.updated", "limit": 200}, headers=headers)
    )
    items: list[dict[str, Any]] = body["items"]
    return items


def set_profile(
    client: TestClient, headers: dict[str, str], code: str, profile: str | None
) -> Response:
    return client.patch(f"{COUNTRIES}/{code}", json={"migration_profile": profile}, headers=headers)


# ---- the list -----------------------------------------------------------------------------


def test_loading_the_reference_data_lists_every_iso_country_once_in_code_order(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    assert ok(client.get(COUNTRIES, headers=admin_headers)) == {"items": [], "next_cursor": None}
    assert_problem(client.get(f"{COUNTRIES}/PH", headers=admin_headers), 404)

    loaded = {result.name: result.rows for result in load_reference(session)}

    assert loaded["countries"] == len(pycountry.countries)
    items, pages = walk(client, admin_headers, limit=100)
    assert len(items) == len(pycountry.countries)
    assert pages == -(-len(pycountry.countries) // 100)
    assert codes(items) == sorted(ISO_CODES)
    for item in items:
        assert item["name"] == ISO_NAMES[item["code"]]
        assert item["migration_profile"] is None
        assert {"code", "name", "region", "migration_profile", "updated_at"} <= item.keys()

    default = ok(client.get(COUNTRIES, headers=admin_headers))
    assert len(default["items"]) == 50
    assert default["next_cursor"] is not None
    small = ok(client.get(COUNTRIES, params={"limit": 7}, headers=admin_headers))
    assert codes(small["items"]) == sorted(ISO_CODES)[:7]


def test_the_link_header_leads_to_the_next_page_with_the_same_filters(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    response = client.get(
        COUNTRIES, params={"region": "west_asia", "limit": 5}, headers=admin_headers
    )
    seen = codes(ok(response)["items"])
    pages = 1
    while "link" in response.headers:
        match = LINK_NEXT.match(response.headers["link"])
        assert match is not None, response.headers["link"]
        assert response.json()["next_cursor"] is not None
        response = client.get(match["url"], headers=admin_headers)
        seen += codes(ok(response)["items"])
        pages += 1
    assert response.json()["next_cursor"] is None

    assert pages == -(-len(M49_ASIA["west_asia"]) // 5)
    assert seen == sorted(M49_ASIA["west_asia"])


def test_asian_countries_carry_their_un_m49_sub_region_and_the_rest_are_other(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    for region, members in M49_ASIA.items():
        assert listed(client, admin_headers, region=region) == members, region
    others = listed(client, admin_headers, region="other")
    assert others == ISO_CODES - set().union(*M49_ASIA.values())
    assert {"FR", "US", "AU", "EG", "RU"} <= others

    items = ok(client.get(COUNTRIES, params={"region": "south_east_asia"}, headers=admin_headers))[
        "items"
    ]
    assert codes(items) == ["BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "TL", "VN"]
    assert {item["region"] for item in items} == {"south_east_asia"}
    assert ok(client.get(f"{COUNTRIES}/NP", headers=admin_headers))["region"] == "south_asia"


def test_filter_by_profile(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    for code, profile in [("PH", "origin"), ("NP", "origin"), ("SA", "destination")]:
        assert set_profile(client, admin_headers, code, profile).status_code == 200

    assert listed(client, admin_headers, profile="origin") == {"NP", "PH"}
    assert listed(client, admin_headers, profile="destination") == {"SA"}
    assert listed(client, admin_headers, profile="both") == set()
    assert listed(client, admin_headers, profile="origin", region="south_asia") == {"NP"}


def test_q_finds_part_of_the_name_whatever_its_case_or_the_exact_code(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    assert listed(client, admin_headers, q="PHILIPPINES") == {"PH"}
    assert listed(client, admin_headers, q="korea") == {"KP", "KR"}
    assert listed(client, admin_headers, q="ViEt") == {"VN"}
    for needle in ["philipp", "land", "ARAB", "Islands"]:
        found = listed(client, admin_headers, q=needle)
        assert found, needle
        assert found == matching(needle), needle
    # Neither "Timor-Leste" nor "Nepal" holds its own code: only the code can find them.
    for needle in ["tl", "TL", "np"]:
        found = listed(client, admin_headers, q=needle)
        assert needle.upper() in found, needle
        assert found == matching(needle), needle
    assert listed(client, admin_headers, q="zz") == set()


def test_q_is_case_insensitive_beyond_ascii(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    assert listed(client, admin_headers, q="åland") == {"AX"}
    assert listed(client, admin_headers, q="ÅLAND") == {"AX"}


def test_q_wildcard_characters_are_taken_literally(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    for needle in ["_", "%"]:
        assert matching(needle) == set()
        assert listed(client, admin_headers, q=needle) == set(), needle


def test_read_a_country_by_code_in_any_case_and_the_errors_are_problems(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    for code in ["PH", "ph", "Ph"]:
        country = ok(client.get(f"{COUNTRIES}/{code}", headers=admin_headers))
        assert country["code"] == "PH"
        assert country["name"] == "Philippines"
        assert country["region"] == "south_east_asia"
        assert country["migration_profile"] is None

    for code in ["XX", "aa"]:
        assert_problem(client.get(f"{COUNTRIES}/{code}", headers=admin_headers), 404)
        assert_problem(set_profile(client, admin_headers, code, "origin"), 404)
    for params in [
        {"region": "oceania"},
        {"profile": "sending"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "not a cursor"},
    ]:
        problem = assert_problem(client.get(COUNTRIES, params=params, headers=admin_headers), 422)
        assert problem.get("errors") or params.keys() == {"cursor"}, params
    assert_problem(client.get(COUNTRIES), 401)
    assert_problem(client.get(f"{COUNTRIES}/PH"), 401)


# ---- the migration profile ----------------------------------------------------------------


def test_an_admin_sets_and_clears_the_migration_profile_and_each_change_is_audited(
    client: TestClient, admin_headers: dict[str, str], admin: User, reference: dict[str, int]
) -> None:
    before = ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers))

    origin = ok(set_profile(client, admin_headers, "ph", "origin"))
    assert origin["code"] == "PH"
    assert origin["migration_profile"] == "origin"
    assert (origin["name"], origin["region"]) == (before["name"], before["region"])
    assert datetime.fromisoformat(origin["updated_at"]) > datetime.fromisoformat(
        before["updated_at"]
    )
    read = ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers))
    assert read["migration_profile"] == "origin"

    assert ok(set_profile(client, admin_headers, "PH", "both"))["migration_profile"] == "both"
    assert ok(set_profile(client, admin_headers, "PH", None))["migration_profile"] is None
    assert ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers))["migration_profile"] is None

    entries = audit_entries(client, admin_headers)  # newest first
    assert [entry["details"]["migration_profile"] for entry in entries] == [
        {"from": "both", "to": None},
        {"from": "origin", "to": "both"},
        {"from": None, "to": "origin"},
    ]
    for entry in entries:
        assert entry["subject_type"] == "country"
        assert entry["subject_id"] == "PH"
        assert entry["actor_user_id"] == str(admin.id)


def test_a_partner_cannot_set_the_migration_profile(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    reference: dict[str, int],
) -> None:
    assert_problem(set_profile(client, partner_headers, "MY", "destination"), 403)
    assert_problem(set_profile(client, partner_headers, "MY", None), 403)

    # Reading is open to a partner all the same.
    assert ok(client.get(f"{COUNTRIES}/MY", headers=partner_headers))["migration_profile"] is None
    assert ok(client.get(COUNTRIES, params={"limit": 1}, headers=partner_headers))["items"]
    assert audit_entries(client, admin_headers) == []


def test_a_patch_cannot_touch_reference_fields_or_send_unknown_values(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    before = ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers))

    for body in [
        {"migration_profile": "origin", "name": "Republic of the Philippines"},
        {"migration_profile": "origin", "region": "east_asia"},
        {"region": "east_asia"},
        {"migration_profile": "origin", "code": "PX"},
        {"migration_profile": "sending"},
    ]:
        response = client.patch(f"{COUNTRIES}/PH", json=body, headers=admin_headers)
        assert assert_problem(response, 422)["errors"], body

    assert ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers)) == before
    assert audit_entries(client, admin_headers) == []


# ---- loading the reference data again -----------------------------------------------------


def test_loading_again_keeps_curated_profiles_and_restores_reference_names_and_regions(
    client: TestClient, session: Session, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    ok(set_profile(client, admin_headers, "PH", "origin"))
    ok(set_profile(client, admin_headers, "NP", "origin"))
    curated = ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers))

    assert {result.name: result.rows for result in load_reference(session)}["countries"] == 0
    assert ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers)) == curated

    country = session.get(Country, "NP")
    assert country is not None
    session.refresh(country)
    country.name, country.region = "Somewhere else", Region.other
    session.add(country)
    session.commit()

    assert {result.name: result.rows for result in load_reference(session)}["countries"] == 1
    restored = ok(client.get(f"{COUNTRIES}/NP", headers=admin_headers))
    assert (restored["name"], restored["region"]) == ("Nepal", "south_asia")
    assert restored["migration_profile"] == "origin"
    assert ok(client.get(f"{COUNTRIES}/PH", headers=admin_headers)) == curated
    assert session.exec(select(func.count()).select_from(Country)).one() == len(ISO_CODES)


def test_the_csv_export_has_every_matching_country_in_one_file_with_its_curated_profile(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    client.patch(f"{COUNTRIES}/PH", json={"migration_profile": "origin"}, headers=admin_headers)
    everyone = client.get(COUNTRIES, headers={**admin_headers, "Accept": "text/csv"})
    assert everyone.status_code == 200
    assert everyone.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(everyone.text)))
    assert len(rows) == len(ISO_CODES) > 200  # more than one page: the export is not paged
    assert {row["code"] for row in rows} == ISO_CODES
    assert next(row for row in rows if row["code"] == "PH")["migration_profile"] == "origin"

    south_asia = client.get(
        COUNTRIES, params={"region": "south_asia"}, headers={**admin_headers, "Accept": "text/csv"}
    )
    assert {row["code"] for row in csv.DictReader(io.StringIO(south_asia.text))} == M49_ASIA[
        "south_asia"
    ]


def test_updated_since_lists_only_the_countries_changed_from_then_on(
    client: TestClient, admin_headers: dict[str, str], reference: dict[str, int]
) -> None:
    client.patch(f"{COUNTRIES}/NP", json={"migration_profile": "origin"}, headers=admin_headers)
    since = ok(client.get(f"{COUNTRIES}/NP", headers=admin_headers))["updated_at"]
    client.patch(
        f"{COUNTRIES}/QA", json={"migration_profile": "destination"}, headers=admin_headers
    )

    changed = ok(client.get(COUNTRIES, params={"updated_since": since}, headers=admin_headers))
    assert codes(changed["items"]) == ["NP", "QA"]
