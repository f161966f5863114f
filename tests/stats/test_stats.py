from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.core.db import utcnow
from app.countries.models import Country, Region
from app.identity.models import Organisation
from tests.api import assert_problem, counting_statements, ok
from tests.countries import records
from tests.countries.records import RESTRICTED, assert_links_to_the_same_set, collection_ids, ids

pytestmark = pytest.mark.usefixtures("reference")

Headers = dict[str, str]


def stats(client: TestClient, headers: Headers, **params: object) -> dict:
    return ok(client.get("/api/v1/stats", params=params, headers=headers))  # type: ignore[no-any-return]


def countries_in(session: Session, region: Region) -> int:
    return session.exec(
        select(func.count()).select_from(Country).where(Country.region == region)
    ).one()


def test_ratifications_are_counted_per_instrument_and_region(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    records.ratification(session, secretariat, "PH", "C189", "in_force")
    records.ratification(session, secretariat, "ID", "C189", "not_ratified")
    records.ratification(session, secretariat, "SA", "C189", "in_force")
    south_east = countries_in(session, Region.south_east_asia)

    everywhere = stats(client, admin_headers)["ratifications"]
    narrowed = stats(client, admin_headers, region="south_east_asia")["ratifications"]

    c189 = next(item for item in everywhere if item["code"] == "C189")
    assert c189["named_in_founding_statement"] is True
    assert c189["by_region"]["south_east_asia"] == {
        "not_ratified": 1,
        "signed": 0,
        "ratified_not_in_force": 0,
        "in_force": 1,
        "denounced": 0,
        "unknown": south_east - 2,
    }
    assert c189["by_region"]["west_asia"]["in_force"] == 1
    assert c189["totals"]["in_force"] == 2
    assert sum(c189["totals"].values()) == sum(
        sum(counts.values()) for counts in c189["by_region"].values()
    )
    [narrow] = [item for item in narrowed if item["code"] == "C189"]
    assert list(narrow["by_region"]) == ["south_east_asia"]
    assert narrow["totals"] == narrow["by_region"]["south_east_asia"]


def test_agreements_are_counted_per_corridor_and_status(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    records.agreement(session, secretariat, "PH", "SA")
    records.agreement(session, secretariat, "PH", "SA", status="expired")
    records.agreement(session, secretariat, "PH", "SA", status="expired")
    records.agreement(session, secretariat, "ID", "MY")
    records.agreement(session, secretariat, "NP", "QA")

    corridors = stats(client, admin_headers)["agreements"]["corridors"]
    narrowed = stats(client, admin_headers, region="south_east_asia")["agreements"]["corridors"]

    assert [(item["origin"], item["destination"]) for item in corridors] == [
        ("ID", "MY"),
        ("NP", "QA"),
        ("PH", "SA"),
    ]
    assert corridors[2]["total"] == 3
    assert corridors[2]["by_status"] == {"expired": 2, "in_force": 1}
    assert corridors[2]["link"] == "/api/v1/corridors/PH/SA"
    assert [(item["origin"], item["destination"]) for item in narrowed] == [
        ("ID", "MY"),
        ("PH", "SA"),
    ]


def test_agreements_expiring_within_the_days_asked_are_listed_soonest_first(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    today = utcnow().date()

    def expiring_in(days: int) -> str:
        return records.agreement(
            session, secretariat, "PH", "SA", expires_on=(today + timedelta(days=days)).isoformat()
        )

    later, soon, last_day = expiring_in(100), expiring_in(10), expiring_in(180)
    expiring_in(181)
    expiring_in(-1)
    records.agreement(session, secretariat, "PH", "SA")

    default = stats(client, admin_headers)["agreements"]["expiring"]
    narrow = stats(client, admin_headers, expiring_within_days=30)["agreements"]["expiring"]

    assert default["within_days"] == 180
    assert (default["since"], default["until"]) == (
        today.isoformat(),
        (today + timedelta(days=180)).isoformat(),
    )
    assert ids(default) == [soon, later, last_day]
    assert default["total"] == 3
    assert_links_to_the_same_set(client, admin_headers, default)
    assert ids(narrow) == [soon]
    assert collection_ids(client, admin_headers, narrow["link"]) == {soon}


def test_the_implementation_rate_counts_implemented_ones_only(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    for status in ("implemented", "partially_implemented", "open", "rejected"):
        records.recommendation(session, secretariat, "MY", status)
    records.recommendation(session, secretariat, "PH", "implemented")
    records.recommendation(session, secretariat, "SA", "open")

    rates = stats(client, admin_headers)["recommendations"]
    narrowed = stats(client, admin_headers, region="south_east_asia")["recommendations"]

    assert [item["country"] for item in rates] == ["MY", "PH", "SA"]
    malaysia = rates[0]
    assert (malaysia["total"], malaysia["implemented"], malaysia["partially_implemented"]) == (
        4,
        1,
        1,
    )
    assert malaysia["rate"] == 0.25
    assert malaysia["by_status"]["rejected"] == 1
    assert malaysia["link"] == "/api/v1/recommendations?country=MY"
    assert (rates[1]["rate"], rates[2]["rate"]) == (1.0, 0.0)
    assert [item["country"] for item in narrowed] == ["MY", "PH"]


def test_records_the_caller_may_not_see_are_not_counted(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
) -> None:
    other = records.other_organisation(session)
    records.ratification(session, other, "PH", "C189", "in_force", RESTRICTED)
    soon = (utcnow().date() + timedelta(days=5)).isoformat()
    records.agreement(session, other, "PH", "SA", RESTRICTED, expires_on=soon)
    records.recommendation(session, other, "MY", "implemented", visibility=RESTRICTED)

    seen = stats(client, partner_headers)
    everything = stats(client, admin_headers)

    def in_force(answer: dict) -> int:
        return next(i for i in answer["ratifications"] if i["code"] == "C189")["totals"]["in_force"]  # type: ignore[no-any-return]

    assert (in_force(seen), in_force(everything)) == (0, 1)
    assert seen["agreements"]["corridors"] == []
    assert seen["agreements"]["expiring"]["total"] == 0
    assert seen["recommendations"] == []
    assert len(everything["agreements"]["corridors"]) == 1
    assert everything["agreements"]["expiring"]["total"] == 1
    assert len(everything["recommendations"]) == 1


def test_the_expiry_window_is_bounded(client: TestClient, admin_headers: Headers) -> None:
    for days in (-1, 3651):
        problem = assert_problem(
            client.get(f"/api/v1/stats?expiring_within_days={days}", headers=admin_headers), 422
        )
        assert problem["errors"][0]["location"] == ["query", "expiring_within_days"]
    assert_problem(client.get("/api/v1/stats?region=europe", headers=admin_headers), 422)


def test_the_statistics_cost_the_same_statements_with_few_and_with_many_records(
    client: TestClient,
    app: FastAPI,
    session: Session,
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    soon = (utcnow().date() + timedelta(days=5)).isoformat()
    countries = ["PH", "ID", "MY", "TH", "VN", "KH", "LA", "MM", "SG", "BN"] * 3

    def add(chosen: list[str]) -> None:
        for country in chosen:
            mou = records.agreement(session, secretariat, country, "SA", expires_on=soon)
            records.assessment(session, secretariat, "agreement", mou, {"gender": "met"})
            records.recommendation(session, secretariat, country, "implemented")
            records.ratification(session, secretariat, country, "C189", "in_force")

    def cost() -> tuple[int, int]:
        stats(client, admin_headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            found = stats(client, admin_headers)
        expiring = found["agreements"]["expiring"]
        assert all(item["latest_score"]["score"] == 100.0 for item in expiring["items"])
        assert found["scores"]["assessments"] == expiring["total"]
        return expiring["total"], len(statements)

    add(countries[:2])
    few, cost_of_few = cost()
    add(countries[2:10])
    # The same pair of an instrument and a country is recorded once.
    for _ in range(20):
        mou = records.agreement(session, secretariat, "PH", "SA", expires_on=soon)
        records.assessment(session, secretariat, "agreement", mou, {"gender": "met"})
        records.recommendation(session, secretariat, "PH", "implemented")
    many, cost_of_many = cost()

    assert (few, many) == (2, 30)
    assert cost_of_many == cost_of_few


def test_agreements_filter_by_the_first_day_of_expiry(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    records.agreement(session, secretariat, "PH", "SA", expires_on="2030-01-01")
    later = records.agreement(session, secretariat, "PH", "SA", expires_on="2030-01-02")
    records.agreement(session, secretariat, "PH", "SA")

    found = collection_ids(client, admin_headers, "/api/v1/agreements?expiring_from=2030-01-02")

    assert found == {later}
