import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import Organisation
from tests.api import assert_problem, counting_statements, ok
from tests.countries import records
from tests.countries.records import RESTRICTED, assert_links_to_the_same_set, collection_ids, ids

pytestmark = pytest.mark.usefixtures("reference")

Headers = dict[str, str]


def corridor(client: TestClient, headers: Headers, path: str = "PH/SA") -> dict:
    return ok(client.get(f"/api/v1/corridors/{path}", headers=headers))  # type: ignore[no-any-return]


def test_a_corridor_joins_the_records_of_its_two_countries(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    mou = records.agreement(session, secretariat, "PH", "SA")
    records.agreement(session, secretariat, "SA", "PH")
    records.agreement(session, secretariat, "PH", "MY")
    records.ratification(session, secretariat, "PH", "C189", "in_force")
    records.ratification(session, secretariat, "SA", "C087", "not_ratified")
    sending_law = records.law(session, secretariat, "PH")
    receiving_law = records.law(session, secretariat, "SA")
    records.law(session, secretariat, "MY")
    visit = records.report(session, secretariat, "SA", ["ID", "PH"])
    records.report(session, secretariat, "SA", ["ID"])
    records.report(session, secretariat, "MY", ["PH"])
    to_sending = records.recommendation(session, secretariat, "PH")
    to_receiving = records.recommendation(session, secretariat, "SA")
    records.recommendation(session, secretariat, "MY")

    found = corridor(client, admin_headers, "ph/sa")

    assert (found["origin"]["code"], found["destination"]["code"]) == ("PH", "SA")
    assert ids(found["agreements"]) == [mou]
    assert found["agreements"]["link"] == "/api/v1/agreements?origin=PH&destination=SA"
    side_by_side = {
        item["code"]: (item["origin"], item["destination"]) for item in found["ratifications"]
    }
    assert side_by_side["C189"] == ("in_force", "unknown")
    assert side_by_side["C087"] == ("unknown", "not_ratified")
    assert len(side_by_side) == 6
    assert ids(found["laws"]["origin"]) == [sending_law]
    assert ids(found["laws"]["destination"]) == [receiving_law]
    assert ids(found["field_visits"]) == [visit]
    assert found["field_visits"]["link"] == "/api/v1/field-visits?country=SA&origin=PH"
    assert ids(found["recommendations"]["origin"]) == [to_sending]
    assert ids(found["recommendations"]["destination"]) == [to_receiving]
    for listed in (
        found["agreements"],
        found["laws"]["origin"],
        found["laws"]["destination"],
        found["field_visits"],
        found["recommendations"]["origin"],
        found["recommendations"]["destination"],
    ):
        assert_links_to_the_same_set(client, admin_headers, listed)


def test_field_visits_filter_by_the_origin_of_the_workers_met(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    both = records.report(session, secretariat, "MY", ["ID", "PH"])
    indonesian = records.report(session, secretariat, "SA", ["ID"])
    records.report(session, secretariat, "SA", [])

    linked = "/api/v1/field-visits?origin="
    assert collection_ids(client, admin_headers, linked + "PH") == {both}
    assert collection_ids(client, admin_headers, linked + "ID") == {both, indonesian}
    assert collection_ids(client, admin_headers, linked + "MY") == set()


def test_restricted_records_and_drafts_of_another_organisation_are_left_out(
    client: TestClient,
    session: Session,
    partner_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    other = records.other_organisation(session)
    own = records.agreement(session, partner_organisation, "PH", "SA", RESTRICTED)
    records.agreement(session, other, "PH", "SA", RESTRICTED)
    records.report(session, other, "SA", ["PH"], visibility=RESTRICTED)
    records.report(session, other, "SA", ["PH"], published=False)
    records.law(session, other, "SA", RESTRICTED)
    records.recommendation(session, other, "PH", visibility=RESTRICTED)

    seen = corridor(client, partner_headers)

    assert ids(seen["agreements"]) == [own]
    assert seen["agreements"]["total"] == 1
    assert seen["field_visits"]["total"] == 0
    assert seen["laws"]["destination"]["total"] == 0
    assert seen["recommendations"]["origin"]["total"] == 0


def test_agreements_and_laws_of_both_countries_show_their_latest_published_scores(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
    secretariat: Organisation,
) -> None:
    other = records.other_organisation(session)
    mou = records.agreement(session, secretariat, "PH", "SA")
    sending_law = records.law(session, secretariat, "PH")
    receiving_law = records.law(session, secretariat, "SA")
    rated_mou = records.assessment(
        session, secretariat, "agreement", mou, {"gender": "partially_met"}
    )
    rated_law = records.assessment(session, secretariat, "law", sending_law, {"gender": "met"})
    hidden = records.assessment(
        session, other, "law", receiving_law, {"gender": "not_met"}, visibility=RESTRICTED
    )
    records.assessment(
        session, secretariat, "law", receiving_law, {"gender": "met"}, published=False
    )

    seen, everything = corridor(client, partner_headers), corridor(client, admin_headers)

    day = "2026-11-30"
    [agreement] = seen["agreements"]["items"]
    assert agreement["latest_score"] == {
        "assessment_id": rated_mou,
        "score": 50.0,
        "assessed_on": day,
    }
    [law] = seen["laws"]["origin"]["items"]
    assert law["latest_score"] == {"assessment_id": rated_law, "score": 100.0, "assessed_on": day}
    assert seen["laws"]["destination"]["items"][0]["latest_score"] is None
    assert everything["laws"]["destination"]["items"][0]["latest_score"] == {
        "assessment_id": hidden,
        "score": 0.0,
        "assessed_on": day,
    }


def test_the_same_country_twice_is_invalid_and_an_unknown_one_not_found(
    client: TestClient, admin_headers: Headers
) -> None:
    problem = assert_problem(client.get("/api/v1/corridors/PH/ph", headers=admin_headers), 422)
    assert problem["errors"][0]["location"] == ["path", "destination"]
    assert_problem(client.get("/api/v1/corridors/PH/XX", headers=admin_headers), 404)
    assert_problem(client.get("/api/v1/corridors/XX/PH", headers=admin_headers), 404)
    problem = assert_problem(client.get("/api/v1/corridors/PHL/SA", headers=admin_headers), 422)
    assert problem["errors"][0]["location"] == ["path", "origin"]


def test_a_corridor_costs_the_same_statements_with_few_and_with_many_records(
    client: TestClient,
    app: FastAPI,
    session: Session,
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            mou = records.agreement(session, secretariat, "PH", "SA")
            records.assessment(session, secretariat, "agreement", mou, {"gender": "met"})
            for country in ("PH", "SA"):
                law = records.law(session, secretariat, country)
                records.assessment(session, secretariat, "law", law, {"gender": "met"})
            records.report(session, secretariat, "SA", ["PH"])
            records.recommendation(session, secretariat, "PH")
            records.recommendation(session, secretariat, "SA")

    def cost() -> tuple[int, int]:
        corridor(client, admin_headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            found = corridor(client, admin_headers)
        for listed in (found["agreements"], *found["laws"].values()):
            assert all(item["latest_score"]["score"] == 100.0 for item in listed["items"])
        return found["agreements"]["total"], len(statements)

    add(2)
    few, cost_of_few = cost()
    add(28)
    many, cost_of_many = cost()

    assert (few, many) == (2, 30)
    assert cost_of_many == cost_of_few
