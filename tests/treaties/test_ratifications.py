"""Ratifications: one record per country and instrument, written whole with PUT on the record
lifecycle (versions, If-Match, revisions, soft delete), its dates kept in order, listed with
filters and exported as CSV; written by editors and admins, read by everyone signed in."""

import csv
import io
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.core.config import Settings
from app.countries.codes import CountryCode
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role
from app.records.models import ChangeEvent
from app.treaties.models import Ratification
from tests.conftest import login_headers, make_user

RATIFICATIONS = "/api/v1/ratifications"
AUDIT = "/api/v1/audit"
PROBLEM_JSON = "application/problem+json"

# The Philippines' ratification of C189 as ILO NORMLEX records it.
PH_C189: dict[str, Any] = {
    "action": "ratification",
    "signed_on": None,
    "ratified_on": "2012-08-06",
    "registered_on": "2012-09-05",
    "in_force_on": "2013-09-05",
    "status": "in_force",
    "declarations": None,
    "sources": ["ILO NORMLEX", "Senate concurrence, 6 August 2012"],
    "as_of": "2025-06-16",
    "notes": "First ratification in Asia.",
    "visibility": "public",
}
DEFAULTS: dict[str, Any] = {
    "action": None,
    "signed_on": None,
    "ratified_on": None,
    "registered_on": None,
    "in_force_on": None,
    "declarations": None,
    "sources": [],
    "as_of": None,
    "notes": None,
    "visibility": "partners",
}


@pytest.fixture(autouse=True)
def countries_and_instruments(reference: None) -> None:
    """Ratifications refer to countries and instruments."""


def url(country: str = "PH", instrument: str = "C189") -> str:
    return f"{RATIFICATIONS}/{country}/{instrument}"


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def put(
    client: TestClient,
    headers: dict[str, str],
    country: str = "PH",
    instrument: str = "C189",
    **body: Any,
) -> httpx2.Response:
    return client.put(url(country, instrument), json=body, headers=headers)


def record(
    client: TestClient, headers: dict[str, str], country: str, instrument: str, **body: Any
) -> dict[str, Any]:
    """Create the record of a pair; `status` defaults to in_force."""
    created: dict[str, Any] = ok(
        put(client, headers, country, instrument, **{"status": "in_force", **body}), 201
    )
    return created


def revisions(client: TestClient, headers: dict[str, str], path: str) -> list[dict[str, Any]]:
    page = ok(client.get(f"{path}/revisions", params={"limit": 200}, headers=headers))
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def pairs(client: TestClient, headers: dict[str, str], **params: Any) -> list[tuple[str, str]]:
    page = ok(client.get(RATIFICATIONS, params={"limit": 200, **params}, headers=headers))
    assert page["next_cursor"] is None
    return [(item["country"], item["instrument"]) for item in page["items"]]


def reader_headers(session: Session, settings: Settings, organisation: Organisation) -> Any:
    reader = make_user(session, organisation, Role.reader, "reader@example.org")
    return login_headers(settings, reader)


# ---- PUT creates, then replaces --------------------------------------------------------------


def test_put_creates_with_201_location_and_etag_then_replaces_with_200_and_a_new_version(
    client: TestClient, admin_headers: dict[str, str], secretariat: Organisation
) -> None:
    response = put(client, admin_headers, **PH_C189)

    created = ok(response, 201)
    assert {name: created[name] for name in PH_C189} == PH_C189
    assert (created["country"], created["instrument"]) == ("PH", "C189")
    assert created["version"] == 1
    assert created["organisation_id"] == str(secretariat.id)
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(url("PH", "C189"))
    assert ok(client.get(response.headers["location"], headers=admin_headers)) == created

    again = put(client, admin_headers, **{**PH_C189, "status": "denounced", "as_of": "2026-01-05"})

    updated = ok(again, 200)
    assert updated["version"] == 2
    assert again.headers["etag"] == '"2"'
    assert "location" not in again.headers
    assert (updated["status"], updated["as_of"]) == ("denounced", "2026-01-05")
    assert updated["id"] == created["id"]
    assert updated["created_at"] == created["created_at"]
    assert ok(client.get(url(), headers=admin_headers)) == updated


def test_put_replaces_the_whole_record_so_fields_left_out_go_back_to_their_defaults(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(put(client, admin_headers, **PH_C189), 201)

    replaced = ok(put(client, admin_headers, status="signed"))

    assert replaced["status"] == "signed"
    assert {name: replaced[name] for name in DEFAULTS} == DEFAULTS
    assert replaced["version"] == 2


def test_put_of_the_same_body_changes_nothing_and_keeps_the_version(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = ok(put(client, admin_headers, **PH_C189), 201)

    response = put(client, admin_headers, **PH_C189)

    assert ok(response) == created
    assert response.headers["etag"] == '"1"'
    assert len(revisions(client, admin_headers, url())) == 1


def test_revisions_list_every_write_newest_first_with_the_fields_it_changed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(put(client, admin_headers, status="signed", signed_on="2011-06-16"), 201)
    ok(put(client, admin_headers, status="signed", signed_on="2011-06-16", notes="checked"))
    ok(put(client, admin_headers, **PH_C189))

    found = revisions(client, admin_headers, url())

    assert [revision["version"] for revision in found] == [3, 2, 1]
    assert [revision["action"] for revision in found] == ["updated", "updated", "created"]
    assert found[2]["changed_fields"] == [
        "country",
        "instrument",
        "signed_on",
        "status",
        "visibility",
    ]
    assert found[1]["changed_fields"] == ["notes"]
    assert found[0]["changed_fields"] == sorted(
        {
            "action",
            "signed_on",
            "ratified_on",
            "registered_on",
            "in_force_on",
            "status",
            "sources",
            "as_of",
            "notes",
            "visibility",
        }
    )
    assert found[0]["snapshot"]["status"] == "in_force"
    assert found[2]["snapshot"]["status"] == "signed"
    assert found[2]["snapshot"]["country"] == "PH"


def test_each_write_leaves_an_audit_entry_and_a_change_event(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    created = ok(put(client, admin_headers, **PH_C189), 201)
    ok(put(client, admin_headers, **{**PH_C189, "status": "denounced"}))

    for action in ("ratification.created", "ratification.updated"):
        entries = ok(client.get(AUDIT, params={"action": action}, headers=admin_headers))["items"]
        assert [entry["subject_id"] for entry in entries] == [created["id"]], action
    events = session.exec(
        select(ChangeEvent.action).where(ChangeEvent.record_type == "ratification")
    ).all()
    assert sorted(events) == ["created", "updated"]


def test_codes_in_the_path_are_accepted_in_any_case(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = ok(put(client, admin_headers, "ph", "c189", status="in_force"), 201)

    assert (created["country"], created["instrument"]) == ("PH", "C189")
    assert ok(client.get(url("Ph", "C189"), headers=admin_headers))["id"] == created["id"]
    assert ok(put(client, admin_headers, "PH", "c189", status="signed"))["version"] == 2
    assert len(revisions(client, admin_headers, url("pH", "c189"))) == 2


def test_a_source_given_twice_is_kept_once_in_first_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = ok(
        put(
            client, admin_headers, status="in_force", sources=["ILO NORMLEX", "DOLE", "ILO NORMLEX"]
        ),
        201,
    )

    assert created["sources"] == ["ILO NORMLEX", "DOLE"]


# ---- If-Match --------------------------------------------------------------------------------


def test_put_with_the_current_etag_succeeds_and_with_a_stale_one_is_412_changing_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(put(client, admin_headers, **PH_C189), 201)
    fresh = client.put(
        url(), json={**PH_C189, "notes": "second"}, headers={**admin_headers, "If-Match": '"1"'}
    )
    current = ok(fresh)
    assert current["version"] == 2

    stale = client.put(
        url(), json={**PH_C189, "notes": "third"}, headers={**admin_headers, "If-Match": '"1"'}
    )

    problem = assert_problem(stale, 412)
    assert "version is 2" in problem["detail"]
    assert ok(client.get(url(), headers=admin_headers)) == current
    assert [revision["version"] for revision in revisions(client, admin_headers, url())] == [2, 1]


def test_if_match_on_a_pair_with_no_record_is_412_and_creates_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.put(url(), json=PH_C189, headers={**admin_headers, "If-Match": '"1"'})

    assert_problem(response, 412)
    assert_problem(client.get(url(), headers=admin_headers), 404)


# ---- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({"signed_on": "2020-01-10", "ratified_on": "2020-01-09"}, "ratified_on"),
        ({"ratified_on": "2020-01-10", "in_force_on": "2020-01-09"}, "in_force_on"),
        ({"signed_on": "2020-01-10", "in_force_on": "2020-01-09"}, "in_force_on"),
        ({"ratified_on": "2020-01-10", "registered_on": "2020-01-09"}, "registered_on"),
        (
            {
                "signed_on": "2019-01-01",
                "ratified_on": "2020-01-10",
                "registered_on": "2020-02-01",
                "in_force_on": "2020-01-09",
            },
            "in_force_on",
        ),
    ],
    ids=[
        "ratified before signed",
        "in force before ratified",
        "in force before signed",
        "registered before ratified",
        "in force before ratified with every date",
    ],
)
def test_dates_out_of_order_are_a_422_naming_the_field_and_change_nothing(
    client: TestClient, admin_headers: dict[str, str], dates: dict[str, str], field: str
) -> None:
    problem = assert_problem(put(client, admin_headers, status="in_force", **dates), 422)

    assert [error["location"] for error in problem["errors"]] == [["body", field]]
    assert_problem(client.get(url(), headers=admin_headers), 404)

    # Nor may an update put them out of order.
    stored = ok(put(client, admin_headers, status="signed"), 201)
    assert_problem(put(client, admin_headers, status="in_force", **dates), 422)
    assert ok(client.get(url(), headers=admin_headers)) == stored


def test_dates_on_one_day_and_in_order_are_accepted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    same_day = {
        "signed_on": "2020-01-10",
        "ratified_on": "2020-01-10",
        "registered_on": "2020-01-10",
        "in_force_on": "2020-01-10",
    }
    assert {
        name: value
        for name, value in ok(
            put(client, admin_headers, status="in_force", **same_day), 201
        ).items()
        if name in same_day
    } == same_day
    # Registration and entry into force are each bound to ratification, not to each other.
    ok(
        put(
            client,
            admin_headers,
            "ID",
            "ICRMW",
            status="in_force",
            ratified_on="2012-05-31",
            registered_on="2012-07-01",
            in_force_on="2012-06-15",
        ),
        201,
    )


def test_a_malformed_date_is_a_422_naming_it_without_echoing_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = put(client, admin_headers, status="in_force", ratified_on="31/05/2012")

    problem = assert_problem(response, 422)
    assert ["body", "ratified_on"] in [error["location"] for error in problem["errors"]]
    assert "31/05/2012" not in response.text


# ---- the body and the path -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "status"),
        ({"status": "ratified"}, "status"),
        ({"status": "in_force", "action": "adhesion"}, "action"),
        ({"status": "in_force", "country": "SA"}, "country"),
        ({"status": "in_force", "version": 7}, "version"),
        ({"status": "in_force", "visibility": "secret"}, "visibility"),
    ],
    ids=["no status", "unknown status", "unknown action", "country", "version", "visibility"],
)
def test_a_body_the_schema_refuses_is_a_422_naming_the_field(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(client.put(url(), json=body, headers=admin_headers), 422)

    assert ["body", field] in [error["location"] for error in problem["errors"]]
    assert_problem(client.get(url(), headers=admin_headers), 404)


@pytest.mark.parametrize(
    ("country", "instrument"),
    [("XX", "C189"), ("PH", "C999"), ("xx", "c999")],
    ids=["unknown country", "unknown instrument", "both"],
)
def test_an_unknown_country_or_instrument_in_the_path_is_a_404(
    client: TestClient, admin_headers: dict[str, str], country: str, instrument: str
) -> None:
    assert_problem(put(client, admin_headers, country, instrument, status="in_force"), 404)
    assert_problem(client.get(url(country, instrument), headers=admin_headers), 404)
    assert pairs(client, admin_headers) == []


@pytest.mark.parametrize(
    ("country", "instrument"), [("PHL", "C189"), ("P1", "C189"), ("PH", "C 189")]
)
def test_a_malformed_code_in_the_path_is_a_422(
    client: TestClient, admin_headers: dict[str, str], country: str, instrument: str
) -> None:
    assert_problem(put(client, admin_headers, country, instrument, status="in_force"), 422)


def test_get_of_a_pair_with_no_record_is_a_404(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    record(client, admin_headers, "PH", "C189")

    assert_problem(client.get(url("PH", "ICRMW"), headers=admin_headers), 404)
    assert_problem(client.get(url("ID", "C189"), headers=admin_headers), 404)


# ---- delete and restore ------------------------------------------------------------------------


def test_put_on_a_deleted_pair_is_a_409_until_it_is_restored(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(put(client, admin_headers, **PH_C189), 201)
    deleted = client.delete(url(), headers={**admin_headers, "If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text
    assert_problem(client.get(url(), headers=admin_headers), 404)
    assert pairs(client, admin_headers) == []

    problem = assert_problem(put(client, admin_headers, status="signed"), 409)

    assert "restore" in problem["detail"]
    restored = ok(client.post(f"{url()}/restore", headers=admin_headers))
    assert (restored["status"], restored["version"]) == ("in_force", 3)
    assert ok(put(client, admin_headers, status="signed"))["version"] == 4
    assert [revision["action"] for revision in revisions(client, admin_headers, url())] == [
        "updated",
        "restored",
        "deleted",
        "created",
    ]


# ---- who may write and read ------------------------------------------------------------------


def test_partners_and_readers_cannot_put_but_can_read(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
    settings: Settings,
) -> None:
    readers = reader_headers(session, settings, partner_organisation)

    for headers in (partner_headers, readers):
        assert_problem(put(client, headers, **PH_C189), 403)
    assert_problem(client.get(url(), headers=admin_headers), 404)

    created = ok(put(client, admin_headers, **{**PH_C189, "visibility": "partners"}), 201)
    for headers in (partner_headers, readers):
        assert_problem(put(client, headers, **{**PH_C189, "status": "denounced"}), 403)
        assert_problem(client.delete(url(), headers=headers), 403)
        assert ok(client.get(url(), headers=headers)) == created
        assert pairs(client, headers) == [("PH", "C189")]
        assert len(revisions(client, headers, url())) == 1
    assert ok(client.get(url(), headers=admin_headers)) == created


def test_an_editor_can_create_and_replace(
    client: TestClient, editor_headers: dict[str, str]
) -> None:
    ok(put(client, editor_headers, **PH_C189), 201)

    assert ok(put(client, editor_headers, status="signed"))["version"] == 2


def test_a_restricted_record_is_hidden_from_partners_and_from_editors_of_other_organisations(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    session: Session,
    settings: Settings,
) -> None:
    ok(put(client, admin_headers, **{**PH_C189, "visibility": "restricted"}), 201)
    record(client, admin_headers, "ID", "ICRMW")
    parliament = identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(
            name="Office of a member", kind=OrganisationKind.parliament, country=CountryCode("PH")
        ),
    )
    outside_editor = login_headers(
        settings, make_user(session, parliament, Role.editor, "office@example.org")
    )

    for headers in (partner_headers, outside_editor):
        assert_problem(client.get(url(), headers=headers), 404)
        assert_problem(client.get(f"{url()}/revisions", headers=headers), 404)
        assert pairs(client, headers) == [("ID", "ICRMW")]
    # The editor cannot replace it, nor learn more than that it cannot see it.
    assert_problem(put(client, outside_editor, **PH_C189), 404)
    assert ok(client.get(url(), headers=admin_headers))["version"] == 1
    assert pairs(client, admin_headers) == [("ID", "ICRMW"), ("PH", "C189")]


# ---- the list --------------------------------------------------------------------------------


@pytest.fixture
def recorded(client: TestClient, admin_headers: dict[str, str]) -> None:
    record(client, admin_headers, "SA", "C189", status="not_ratified")
    record(client, admin_headers, "PH", "ICRMW")
    record(client, admin_headers, "PH", "C189")
    record(client, admin_headers, "ID", "ICRMW")
    record(client, admin_headers, "KR", "C087")
    record(client, admin_headers, "FR", "C189", status="not_ratified")
    record(client, admin_headers, "KH", "ICRMW", status="signed")


@pytest.mark.usefixtures("recorded")
def test_the_list_is_ordered_by_country_then_instrument(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert pairs(client, admin_headers) == [
        ("FR", "C189"),
        ("ID", "ICRMW"),
        ("KH", "ICRMW"),
        ("KR", "C087"),
        ("PH", "C189"),
        ("PH", "ICRMW"),
        ("SA", "C189"),
    ]


@pytest.mark.usefixtures("recorded")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "PH"}, [("PH", "C189"), ("PH", "ICRMW")]),
        ({"country": "ph"}, [("PH", "C189"), ("PH", "ICRMW")]),
        ({"country": "VN"}, []),
        ({"instrument": "ICRMW"}, [("ID", "ICRMW"), ("KH", "ICRMW"), ("PH", "ICRMW")]),
        ({"instrument": "c189"}, [("FR", "C189"), ("PH", "C189"), ("SA", "C189")]),
        ({"status": "not_ratified"}, [("FR", "C189"), ("SA", "C189")]),
        ({"status": "signed"}, [("KH", "ICRMW")]),
        ({"status": "denounced"}, []),
        (
            {"region": "south_east_asia"},
            [("ID", "ICRMW"), ("KH", "ICRMW"), ("PH", "C189"), ("PH", "ICRMW")],
        ),
        ({"region": "west_asia"}, [("SA", "C189")]),
        ({"region": "east_asia"}, [("KR", "C087")]),
        ({"region": "other"}, [("FR", "C189")]),
        (
            {"region": "south_east_asia", "instrument": "ICRMW", "status": "in_force"},
            [("ID", "ICRMW"), ("PH", "ICRMW")],
        ),
        ({"country": "PH", "instrument": "C189"}, [("PH", "C189")]),
    ],
)
def test_the_list_filters_by_country_instrument_status_and_region(
    client: TestClient,
    admin_headers: dict[str, str],
    params: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    assert pairs(client, admin_headers, **params) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"country": "PHL"},
        {"instrument": "C 189"},
        {"status": "ratified"},
        {"region": "asia"},
        {"updated_since": "yesterday"},
    ],
)
def test_a_malformed_filter_is_a_422(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    assert_problem(client.get(RATIFICATIONS, params=params, headers=admin_headers), 422)


@pytest.mark.usefixtures("recorded")
def test_pages_follow_the_cursor_in_country_and_instrument_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    everything = pairs(client, admin_headers)
    seen: list[tuple[str, str]] = []
    params: dict[str, Any] = {"limit": 3}
    written_meanwhile = iter(["C087", "C098", "C097"])
    while True:
        page = ok(client.get(RATIFICATIONS, params=params, headers=admin_headers))
        assert len(page["items"]) <= 3
        seen += [(item["country"], item["instrument"]) for item in page["items"]]
        if page["next_cursor"] is None:
            break
        # Records written meanwhile before the cursor (AF sorts first) do not shift the pages.
        record(client, admin_headers, "AF", next(written_meanwhile))
        params = {"limit": 3, "cursor": page["next_cursor"]}

    assert seen == everything


@pytest.mark.usefixtures("recorded")
def test_updated_since_and_include_deleted(
    client: TestClient, admin_headers: dict[str, str], partner_headers: dict[str, str]
) -> None:
    changed = ok(put(client, admin_headers, "KR", "C087", status="denounced"))
    assert client.delete(url("FR", "C189"), headers=admin_headers).status_code == 204

    assert pairs(client, admin_headers, updated_since=changed["updated_at"]) == [("KR", "C087")]
    assert ("FR", "C189") not in pairs(client, admin_headers)
    assert ("FR", "C189") in pairs(client, admin_headers, include_deleted="true")
    assert_problem(
        client.get(RATIFICATIONS, params={"include_deleted": "true"}, headers=partner_headers),
        403,
    )


def test_the_list_exports_as_csv_with_the_same_filters(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(put(client, admin_headers, **PH_C189), 201)
    record(client, admin_headers, "ID", "ICRMW", ratified_on="2012-05-31")
    record(client, admin_headers, "SA", "C189", status="not_ratified")

    response = client.get(
        RATIFICATIONS,
        params={"region": "south_east_asia"},
        headers={**admin_headers, "Accept": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="ratifications.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["country"], row["instrument"]) for row in rows] == [
        ("ID", "ICRMW"),
        ("PH", "C189"),
    ]
    assert rows[1]["sources"] == "ILO NORMLEX;Senate concurrence, 6 August 2012"
    assert rows[1]["in_force_on"] == "2013-09-05"
    assert rows[0]["ratified_on"] == "2012-05-31"
    assert rows[0]["sources"] == ""


def test_the_list_without_a_token_is_a_401(client: TestClient) -> None:
    assert_problem(client.get(RATIFICATIONS), 401)
    assert_problem(client.put(url(), json=PH_C189), 401)


def test_a_pair_has_one_record_however_often_it_is_put(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    for status in ("signed", "in_force", "in_force", "denounced"):
        put(client, admin_headers, status=status)

    assert session.exec(select(func.count()).select_from(Ratification)).one() == 1


def test_a_nul_character_in_a_source_is_a_422_and_changes_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = put(client, admin_headers, status="in_force", sources=["ILO\x00NORMLEX"])

    assert_problem(response, 422)
    assert_problem(client.get(url(), headers=admin_headers), 404)
