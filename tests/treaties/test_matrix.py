"""The ratification matrix: countries by instruments, `unknown` where no record the caller may
see says anything, per-instrument totals, narrowed by region, instruments and countries, in a
fixed number of queries however many countries it covers."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.countries.models import Country, Region
from app.identity.models import Organisation, Role
from tests.conftest import login_headers, make_user

MATRIX = "/api/v1/ratifications/matrix"
RATIFICATIONS = "/api/v1/ratifications"
INSTRUMENTS = "/api/v1/instruments"
PROBLEM_JSON = "application/problem+json"
FOUNDING = ["C087", "C097", "C098", "C143", "C189", "ICRMW"]
STATUSES = ["not_ratified", "signed", "ratified_not_in_force", "in_force", "denounced", "unknown"]


@pytest.fixture(autouse=True)
def countries_and_instruments(reference: None) -> None:
    """The matrix's rows are countries and its columns instruments."""


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
    country: str,
    instrument: str,
    status: str,
    **body: Any,
) -> dict[str, Any]:
    response = client.put(
        f"{RATIFICATIONS}/{country}/{instrument}", json={"status": status, **body}, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    written: dict[str, Any] = response.json()
    return written


def matrix(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(MATRIX, params=params, headers=headers))
    return found


def cells(found: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (row["country"], code): status
        for row in found["countries"]
        for code, status in row["statuses"].items()
    }


def totals(found: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {column["code"]: column["totals"] for column in found["instruments"]}


def counts(**nonzero: int) -> dict[str, int]:
    return {status: nonzero.get(status, 0) for status in STATUSES}


def asian_codes(session: Session, region: Region | None = None) -> list[str]:
    where = Country.region == region if region else col(Country.region) != Region.other
    return list(session.exec(select(Country.code).where(where).order_by(col(Country.code))))


# ---- cells and totals ------------------------------------------------------------------------


def test_a_pair_without_a_record_is_unknown_and_not_ratified_only_where_recorded(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    put(client, admin_headers, "PH", "C189", "in_force")
    put(client, admin_headers, "SA", "C189", "not_ratified")
    put(client, admin_headers, "SA", "ICRMW", "signed")

    found = matrix(client, admin_headers, instruments="C189,ICRMW", countries="PH,SA,ID")

    assert cells(found) == {
        ("ID", "C189"): "unknown",
        ("ID", "ICRMW"): "unknown",
        ("PH", "C189"): "in_force",
        ("PH", "ICRMW"): "unknown",
        ("SA", "C189"): "not_ratified",
        ("SA", "ICRMW"): "signed",
    }
    assert totals(found) == {
        "C189": counts(in_force=1, not_ratified=1, unknown=1),
        "ICRMW": counts(signed=1, unknown=2),
    }


def test_every_status_is_shown_and_counted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    recorded = {"PH": "not_ratified", "ID": "signed", "TH": "ratified_not_in_force"}
    recorded |= {"VN": "in_force", "MY": "denounced"}
    for country, status in recorded.items():
        put(client, admin_headers, country, "C189", status)

    found = matrix(client, admin_headers, instruments="C189", countries="PH,ID,TH,VN,MY,SG")

    assert {country: status for (country, _), status in cells(found).items()} == {
        **recorded,
        "SG": "unknown",
    }
    assert totals(found)["C189"] == dict.fromkeys(STATUSES, 1)


def test_by_default_the_six_instruments_of_the_founding_statement_over_every_asian_country(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    ok(
        client.post(
            INSTRUMENTS,
            json={"code": "C190", "body": "ILO", "title": "Violence and Harassment Convention"},
            headers=admin_headers,
        ),
        201,
    )
    put(client, admin_headers, "PH", "C190", "in_force")
    put(client, admin_headers, "FR", "C189", "in_force")
    asian = asian_codes(session)

    found = matrix(client, admin_headers)

    assert [column["code"] for column in found["instruments"]] == FOUNDING
    assert [row["country"] for row in found["countries"]] == asian
    assert "FR" not in asian
    assert {"PH", "SA", "KR", "NP", "KZ"} <= set(asian)
    assert len(asian) > 40
    assert set(cells(found).values()) == {"unknown"}
    for code in FOUNDING:
        assert totals(found)[code] == counts(unknown=len(asian))
    philippines = next(row for row in found["countries"] if row["country"] == "PH")
    assert philippines["name"] == "Philippines"
    assert philippines["region"] == "south_east_asia"
    assert list(philippines["statuses"]) == FOUNDING


def test_region_narrows_the_rows_to_its_countries(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    put(client, admin_headers, "SA", "C189", "not_ratified")
    put(client, admin_headers, "PH", "C189", "in_force")

    found = matrix(client, admin_headers, region="west_asia", instruments="C189")

    west_asia = asian_codes(session, Region.west_asia)
    assert [row["country"] for row in found["countries"]] == west_asia
    assert "SA" in west_asia
    assert "PH" not in west_asia
    assert {row["region"] for row in found["countries"]} == {"west_asia"}
    assert totals(found)["C189"] == counts(not_ratified=1, unknown=len(west_asia) - 1)

    others = matrix(client, admin_headers, region="other", instruments="C189")
    assert "FR" in [row["country"] for row in others["countries"]]
    assert "SA" not in [row["country"] for row in others["countries"]]


def test_instruments_keep_the_order_asked_in_any_case_and_may_be_any_recorded_one(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(
        client.post(
            INSTRUMENTS,
            json={"code": "C190", "body": "ILO", "title": "Violence and Harassment Convention"},
            headers=admin_headers,
        ),
        201,
    )
    put(client, admin_headers, "PH", "C190", "in_force")

    found = matrix(client, admin_headers, instruments="icrmw,C190,c189,C190", countries="PH")

    assert [column["code"] for column in found["instruments"]] == ["ICRMW", "C190", "C189"]
    assert list(found["countries"][0]["statuses"]) == ["ICRMW", "C190", "C189"]
    assert found["countries"][0]["statuses"]["C190"] == "in_force"
    assert found["instruments"][2]["short_title"] == "Domestic Workers"


def test_countries_narrow_the_rows_in_any_case_and_with_region_to_those_in_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    found = matrix(client, admin_headers, countries="sa,PH,FR", instruments="C189")
    assert [row["country"] for row in found["countries"]] == ["FR", "PH", "SA"]

    both = matrix(client, admin_headers, countries="SA,PH", region="west_asia")
    assert [row["country"] for row in both["countries"]] == ["SA"]
    assert totals(both)["C189"] == counts(unknown=1)


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"instruments": "C189,C999"}, ["query", "instruments"]),
        ({"instruments": "NOPE"}, ["query", "instruments"]),
        ({"countries": "PH,XX"}, ["query", "countries"]),
    ],
)
def test_an_unknown_instrument_or_country_code_is_a_422_naming_the_parameter(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str], location: list[str]
) -> None:
    response = client.get(MATRIX, params=params, headers=admin_headers)

    problem = assert_problem(response, 422)
    assert [error["location"] for error in problem["errors"]] == [location]
    assert "C999" not in response.text
    assert "XX" not in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"instruments": "C189;C087"},
        {"instruments": "C189,"},
        {"instruments": ""},
        {"countries": "PHL"},
        {"countries": "PH, SA"},
        {"region": "asia"},
    ],
)
def test_a_malformed_parameter_is_a_422(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    assert_problem(client.get(MATRIX, params=params, headers=admin_headers), 422)


# ---- visibility ------------------------------------------------------------------------------


def test_a_record_the_caller_may_not_see_counts_as_unknown(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
    session: Session,
    settings: Settings,
) -> None:
    put(client, admin_headers, "PH", "C189", "in_force", visibility="restricted")
    put(client, admin_headers, "ID", "C189", "signed", visibility="partners")
    put(client, admin_headers, "TH", "C189", "in_force", visibility="public")
    reader = login_headers(
        settings, make_user(session, partner_organisation, Role.reader, "reader@example.org")
    )
    params = {"instruments": "C189", "countries": "PH,ID,TH"}

    for headers in (partner_headers, reader):
        found = matrix(client, headers, **params)
        assert cells(found) == {
            ("ID", "C189"): "signed",
            ("PH", "C189"): "unknown",
            ("TH", "C189"): "in_force",
        }
        assert totals(found)["C189"] == counts(signed=1, in_force=1, unknown=1)

    mine = matrix(client, admin_headers, **params)
    assert cells(mine)[("PH", "C189")] == "in_force"
    assert totals(mine)["C189"] == counts(signed=1, in_force=2)


def test_a_deleted_record_counts_as_unknown(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    put(client, admin_headers, "PH", "C189", "in_force")
    assert client.delete(f"{RATIFICATIONS}/PH/C189", headers=admin_headers).status_code == 204

    found = matrix(client, admin_headers, instruments="C189", countries="PH")

    assert cells(found) == {("PH", "C189"): "unknown"}


def test_the_matrix_needs_a_token(client: TestClient) -> None:
    assert_problem(client.get(MATRIX), 401)


# ---- queries ---------------------------------------------------------------------------------


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    executed: list[str] = []

    def count(*args: Any) -> None:
        executed.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield executed
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_the_number_of_queries_does_not_grow_with_the_countries_or_the_records(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    for country in ("PH", "ID", "TH", "VN", "SA", "KR", "NP"):
        for instrument in FOUNDING:
            put(client, admin_headers, country, instrument, "in_force")
    engine: sa.Engine = app.state.engine
    asking = {
        "one country": {"countries": "PH", "instruments": "C189"},
        "a region": {"region": "south_east_asia"},
        "every Asian country": {},
        "every other country": {"region": "other"},
        "named countries": {"countries": "PH,ID,TH,VN,SA,KR,NP,FR"},
    }

    used = {}
    for name, params in asking.items():
        with statements(engine) as executed:
            found = matrix(client, admin_headers, **params)
        used[name] = len(executed)
        assert found["countries"], name

    assert len(set(used.values())) == 1, used
    # Authentication, then instruments, countries and the records.
    assert used["one country"] <= 6, used
