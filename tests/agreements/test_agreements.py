"""Agreements: what a created agreement carries, and the rules its dates, parties, sectors and
fields keep on create and on PATCH (against what is stored)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.identity.models import Organisation, User
from tests.agreements.helpers import (
    AGREEMENTS,
    CONTRACT_FIELDS,
    assert_invalid,
    body,
    create,
    ok,
    parties,
    read,
)

FULL = {
    "title": "Hiệp định về LAO ĐỘNG giữa Việt Nam và Hàn Quốc",
    "kind": "bilateral_agreement",
    "status": "in_force",
    "parties": parties(("VN", "origin"), ("KR", "destination")),
    "signed_on": "2004-06-17",
    "effective_on": "2004-08-17",
    "expires_on": "2030-08-16",
    "sectors": ["manufacturing", "fishing", "agriculture"],
    "summary": "Employment Permit System: recruitment through public agencies only.",
    "text_url": "https://example.org/agreements/vn-kr-eps.pdf",
    "language": "vi",
    "sources": ["Ministry of Labour, Invalids and Social Affairs", "https://example.org/eps"],
    "visibility": "public",
}


def patch(
    client: TestClient, headers: dict[str, str], agreement_id: str, changes: dict[str, Any]
) -> Any:
    return client.patch(f"{AGREEMENTS}/{agreement_id}", json=changes, headers=headers)


# ---- creating ------------------------------------------------------------------------------


def test_creating_an_agreement_returns_every_contract_field_as_given(
    client: TestClient,
    admin_headers: dict[str, str],
    admin: User,
    secretariat: Organisation,
) -> None:
    response = client.post(AGREEMENTS, json=FULL, headers=admin_headers)

    created = ok(response, 201)
    assert created.keys() >= CONTRACT_FIELDS
    assert {name: created[name] for name in FULL} == FULL
    assert created["version"] == 1
    assert created["organisation_id"] == str(secretariat.id)
    assert created["created_by"] == created["updated_by"] == f"user:{admin.id}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{AGREEMENTS}/{created['id']}")
    assert read(client, admin_headers, created["id"]) == created


def test_fields_left_out_of_a_create_body_get_their_defaults(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)

    assert created.keys() >= CONTRACT_FIELDS
    assert created["visibility"] == "partners"
    assert created["sectors"] == created["sources"] == []
    for name in ("signed_on", "effective_on", "expires_on", "summary", "text_url", "language"):
        assert created[name] is None, name


def test_a_sector_or_source_given_twice_is_kept_once_in_first_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(
        client,
        admin_headers,
        sectors=["care", "domestic_work", "care"],
        sources=["ILO NORMLEX", "POEA", "ILO NORMLEX"],
    )

    assert created["sectors"] == ["care", "domestic_work"]
    assert created["sources"] == ["ILO NORMLEX", "POEA"]


KINDS = ["mou", "bilateral_agreement", "multilateral_agreement", "regional_framework"]
STATUSES = [
    "draft",
    "under_negotiation",
    "signed",
    "in_force",
    "under_review",
    "suspended",
    "expired",
    "terminated",
]


def test_every_kind_and_every_status_can_be_recorded(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for number, status in enumerate(STATUSES):
        kind = KINDS[number % len(KINDS)]
        created = create(client, admin_headers, kind=kind, status=status)
        assert (created["kind"], created["status"]) == (kind, status)


# ---- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({"signed_on": "2020-01-10", "effective_on": "2020-01-09"}, "effective_on"),
        ({"effective_on": "2020-01-10", "expires_on": "2020-01-09"}, "expires_on"),
        ({"signed_on": "2020-01-10", "expires_on": "2020-01-09"}, "expires_on"),
        (
            {"signed_on": "2020-01-01", "effective_on": "2020-03-01", "expires_on": "2020-02-01"},
            "expires_on",
        ),
    ],
    ids=["effective-before-signed", "expires-before-effective", "expires-before-signed", "all-3"],
)
def test_dates_out_of_order_are_refused_naming_the_later_field(
    client: TestClient, admin_headers: dict[str, str], dates: dict[str, str], field: str
) -> None:
    response = client.post(AGREEMENTS, json=body(**dates), headers=admin_headers)

    assert_invalid(response, "body", field)
    assert ok(client.get(AGREEMENTS, headers=admin_headers))["items"] == []


def test_dates_on_the_same_day_are_in_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    same_day = {"signed_on": "2021-07-01", "effective_on": "2021-07-01", "expires_on": "2021-07-01"}

    created = create(client, admin_headers, **same_day)

    assert {name: created[name] for name in same_day} == same_day


@pytest.mark.parametrize(
    ("stored", "change", "field"),
    [
        ({"signed_on": "2020-01-10"}, {"effective_on": "2020-01-09"}, "effective_on"),
        ({"effective_on": "2020-01-10"}, {"expires_on": "2020-01-09"}, "expires_on"),
        ({"signed_on": "2020-01-10"}, {"expires_on": "2020-01-09"}, "expires_on"),
        (
            {"signed_on": "2020-01-01", "expires_on": "2020-12-31"},
            {"effective_on": "2021-01-01"},
            "effective_on",
        ),
    ],
    ids=[
        "effective-before-stored-signed",
        "expires-before-stored-effective",
        "expires-before-stored-signed",
        "effective-after-stored-expiry",
    ],
)
def test_a_patch_putting_dates_out_of_order_with_stored_ones_is_refused(
    client: TestClient,
    admin_headers: dict[str, str],
    stored: dict[str, str],
    change: dict[str, str],
    field: str,
) -> None:
    agreement = create(client, admin_headers, **stored)

    response = patch(client, admin_headers, agreement["id"], change)

    assert_invalid(response, "body", field)
    assert read(client, admin_headers, agreement["id"]) == agreement


@pytest.mark.parametrize(
    "stored",
    [{"effective_on": "2020-01-10"}, {"expires_on": "2020-01-10"}],
    ids=["after-stored-effective", "after-stored-expiry"],
)
def test_a_patch_moving_signed_on_after_stored_dates_names_signed_on(
    client: TestClient, admin_headers: dict[str, str], stored: dict[str, str]
) -> None:
    agreement = create(client, admin_headers, **stored)

    response = patch(client, admin_headers, agreement["id"], {"signed_on": "2020-02-01"})

    assert_invalid(response, "body", "signed_on")
    assert read(client, admin_headers, agreement["id"]) == agreement


def test_a_patch_can_move_dates_that_are_in_order_together(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    agreement = create(client, admin_headers, signed_on="2020-01-01", effective_on="2020-02-01")
    moved = {"signed_on": "2024-01-01", "effective_on": "2024-02-01", "expires_on": "2029-01-31"}

    updated = ok(patch(client, admin_headers, agreement["id"], moved))

    assert {name: updated[name] for name in moved} == moved


def test_clearing_a_stored_date_lifts_the_order_it_imposed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    agreement = create(client, admin_headers, signed_on="2020-01-10")

    updated = ok(
        patch(
            client,
            admin_headers,
            agreement["id"],
            {"signed_on": None, "effective_on": "2019-01-01"},
        )
    )

    assert (updated["signed_on"], updated["effective_on"]) == (None, "2019-01-01")


# ---- parties -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mou", "bilateral_agreement"])
def test_an_mou_or_bilateral_agreement_with_one_party_is_refused(
    client: TestClient, admin_headers: dict[str, str], kind: str
) -> None:
    response = client.post(
        AGREEMENTS,
        json=body(kind=kind, parties=parties(("PH", "origin"))),
        headers=admin_headers,
    )

    assert_invalid(response, "body", "parties")


@pytest.mark.parametrize("kind", ["regional_framework", "multilateral_agreement"])
def test_a_regional_framework_or_multilateral_agreement_may_have_one_party(
    client: TestClient, admin_headers: dict[str, str], kind: str
) -> None:
    created = create(client, admin_headers, kind=kind, parties=parties(("ID", "party")))

    assert created["parties"] == parties(("ID", "party"))


def test_an_agreement_with_no_party_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        AGREEMENTS, json=body(kind="regional_framework", parties=[]), headers=admin_headers
    )

    assert_invalid(response, "body", "parties")


@pytest.mark.parametrize("kind", ["mou", "multilateral_agreement"])
def test_a_country_named_twice_among_the_parties_is_refused(
    client: TestClient, admin_headers: dict[str, str], kind: str
) -> None:
    twice = parties(("PH", "origin"), ("SA", "destination"), ("PH", "destination"))

    response = client.post(AGREEMENTS, json=body(kind=kind, parties=twice), headers=admin_headers)

    problem = assert_invalid(response, "body", "parties")
    assert "PH" in problem["detail"]


def test_changing_the_kind_to_bilateral_with_one_stored_party_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    framework = create(
        client, admin_headers, kind="regional_framework", parties=parties(("PH", "party"))
    )

    response = patch(client, admin_headers, framework["id"], {"kind": "bilateral_agreement"})

    assert_invalid(response, "body", "parties")
    assert read(client, admin_headers, framework["id"]) == framework


def test_changing_the_kind_to_bilateral_together_with_a_second_party_is_accepted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    framework = create(
        client, admin_headers, kind="regional_framework", parties=parties(("PH", "party"))
    )
    two = parties(("PH", "origin"), ("JP", "destination"))

    updated = ok(
        patch(
            client,
            admin_headers,
            framework["id"],
            {"kind": "bilateral_agreement", "parties": two},
        )
    )

    assert (updated["kind"], updated["parties"]) == ("bilateral_agreement", two)


@pytest.mark.parametrize(
    "replacement",
    [
        parties(("PH", "origin")),
        parties(("PH", "origin"), ("SA", "destination"), ("PH", "destination")),
        [],
    ],
    ids=["one-party-for-an-mou", "a-country-twice", "none"],
)
def test_a_patch_with_parties_breaking_the_rules_is_refused(
    client: TestClient, admin_headers: dict[str, str], replacement: list[dict[str, str]]
) -> None:
    mou = create(client, admin_headers)

    response = patch(client, admin_headers, mou["id"], {"parties": replacement})

    assert_invalid(response, "body", "parties")
    assert read(client, admin_headers, mou["id"]) == mou


def test_a_patch_replaces_the_parties_whole_and_keeps_their_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    mou = create(client, admin_headers)
    reordered = parties(("SA", "destination"), ("AE", "destination"), ("PH", "origin"))

    updated = ok(patch(client, admin_headers, mou["id"], {"parties": reordered}))

    assert updated["parties"] == reordered
    assert updated["version"] == 2
    assert read(client, admin_headers, mou["id"])["parties"] == reordered

    fewer = parties(("AE", "destination"), ("NP", "origin"))
    assert ok(patch(client, admin_headers, mou["id"], {"parties": fewer}))["parties"] == fewer
    assert read(client, admin_headers, mou["id"])["parties"] == fewer
    # The parties replaced are gone, not merely hidden from the record.
    for gone in ("PH", "SA"):
        page = ok(client.get(AGREEMENTS, params={"country": gone}, headers=admin_headers))
        assert page["items"] == [], gone


def test_a_patch_that_only_reorders_the_parties_keeps_the_new_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    mou = create(client, admin_headers)
    reversed_parties = mou["parties"][::-1]

    updated = ok(patch(client, admin_headers, mou["id"], {"parties": reversed_parties}))

    assert (updated["parties"], updated["version"]) == (reversed_parties, 2)
    assert read(client, admin_headers, mou["id"])["parties"] == reversed_parties


def test_a_patch_sending_the_stored_parties_changes_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    mou = create(client, admin_headers)

    response = patch(client, admin_headers, mou["id"], {"parties": mou["parties"]})

    assert ok(response) == mou
    assert response.headers["etag"] == '"1"'
    assert read(client, admin_headers, mou["id"]) == mou


def test_a_patch_can_change_a_party_role(client: TestClient, admin_headers: dict[str, str]) -> None:
    mou = create(client, admin_headers)
    swapped = parties(("PH", "destination"), ("SA", "origin"))

    assert ok(patch(client, admin_headers, mou["id"], {"parties": swapped}))["parties"] == swapped
    assert read(client, admin_headers, mou["id"])["parties"] == swapped


def test_parties_keep_the_order_given_on_create(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    given = parties(("TH", "party"), ("BN", "party"), ("ID", "party"), ("KH", "party"))

    created = create(client, admin_headers, kind="regional_framework", parties=given)

    assert created["parties"] == given
    assert read(client, admin_headers, created["id"])["parties"] == given


@pytest.mark.parametrize("code", ["ZZ", "XK", "ph", "PHL"])
def test_a_party_that_is_not_an_iso_country_code_is_refused(
    client: TestClient, admin_headers: dict[str, str], code: str
) -> None:
    unknown = [{"country": code, "role": "origin"}, {"country": "SA", "role": "destination"}]

    response = client.post(AGREEMENTS, json=body(parties=unknown), headers=admin_headers)

    problem = assert_invalid(response, "body", "parties", 0, "country")
    assert f"'{code}'" not in response.text
    assert f'"{code}"' not in response.text
    assert all(error["location"][:2] == ["body", "parties"] for error in problem["errors"])


def test_a_party_role_outside_origin_destination_party_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    odd = [{"country": "PH", "role": "origin"}, {"country": "SA", "role": "employer"}]

    response = client.post(AGREEMENTS, json=body(parties=odd), headers=admin_headers)

    assert_invalid(response, "body", "parties", 1, "role")
    assert "employer" not in response.text


# ---- sectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("sector", ["nursing", "Domestic_Work", "domestic work", ""])
def test_a_sector_outside_the_vocabulary_is_refused_on_create_and_patch(
    client: TestClient, admin_headers: dict[str, str], sector: str
) -> None:
    response = client.post(AGREEMENTS, json=body(sectors=["care", sector]), headers=admin_headers)
    assert_invalid(response, "body", "sectors", 1)
    if sector:
        assert sector not in response.text

    agreement = create(client, admin_headers, sectors=["care"])
    response = patch(client, admin_headers, agreement["id"], {"sectors": [sector]})
    assert_invalid(response, "body", "sectors", 0)
    assert read(client, admin_headers, agreement["id"]) == agreement


def test_every_sector_of_the_vocabulary_is_accepted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    vocabulary = [
        "domestic_work",
        "construction",
        "agriculture",
        "fishing",
        "manufacturing",
        "care",
        "hospitality",
        "seafaring",
        "general",
    ]

    assert create(client, admin_headers, sectors=vocabulary)["sectors"] == vocabulary


# ---- fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["title", "kind", "status", "sectors", "sources", "parties", "visibility"]
)
def test_null_for_a_required_field_in_a_patch_is_refused_naming_it(
    client: TestClient, admin_headers: dict[str, str], field: str
) -> None:
    agreement = create(client, admin_headers, sectors=["care"], sources=["POEA"])

    response = patch(client, admin_headers, agreement["id"], {field: None})

    assert_invalid(response, "body", field)
    assert read(client, admin_headers, agreement["id"]) == agreement


def test_null_clears_an_optional_field_in_a_patch(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    agreement = create(
        client,
        admin_headers,
        summary="To be cleared.",
        text_url="https://example.org/text.pdf",
        language="en",
        expires_on="2030-01-01",
    )
    cleared = {"summary": None, "text_url": None, "language": None, "expires_on": None}

    updated = ok(patch(client, admin_headers, agreement["id"], cleared))

    assert {name: updated[name] for name in cleared} == cleared
    assert updated["title"] == agreement["title"]


@pytest.mark.parametrize("field", ["title", "kind", "status", "parties"])
def test_a_create_body_without_a_required_field_is_refused_naming_it(
    client: TestClient, admin_headers: dict[str, str], field: str
) -> None:
    incomplete = body()
    del incomplete[field]

    assert_invalid(client.post(AGREEMENTS, json=incomplete, headers=admin_headers), "body", field)


@pytest.mark.parametrize("extra", ["organisation_id", "version", "created_by", "countries"])
def test_unknown_fields_are_refused_on_create_and_patch(
    client: TestClient, admin_headers: dict[str, str], extra: str
) -> None:
    smuggled = "a1b2c3-smuggled-value"

    response = client.post(AGREEMENTS, json=body(**{extra: smuggled}), headers=admin_headers)
    assert_invalid(response, "body", extra)
    assert smuggled not in response.text

    agreement = create(client, admin_headers)
    response = patch(client, admin_headers, agreement["id"], {"title": "New", extra: smuggled})
    assert_invalid(response, "body", extra)
    assert smuggled not in response.text
    assert read(client, admin_headers, agreement["id"]) == agreement


def test_an_unknown_field_in_a_party_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    extra = [
        {"country": "PH", "role": "origin", "agreement_id": "x"},
        {"country": "SA", "role": "destination"},
    ]

    response = client.post(AGREEMENTS, json=body(parties=extra), headers=admin_headers)

    assert_invalid(response, "body", "parties", 0, "agreement_id")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signed_on", "17/06/2004"),
        ("effective_on", 20040617),
        ("text_url", "ftp://example.org/text.pdf"),
        ("language", "Vietnamese!"),
        ("title", ""),
        ("status", "ratified"),
        ("kind", "treaty"),
        ("visibility", "secret"),
    ],
)
def test_a_malformed_value_is_refused_naming_its_field_without_echoing_it(
    client: TestClient, admin_headers: dict[str, str], field: str, value: Any
) -> None:
    response = client.post(AGREEMENTS, json=body(**{field: value}), headers=admin_headers)

    problem = assert_invalid(response, "body", field)
    if value != "":
        assert str(value) not in str(problem)
