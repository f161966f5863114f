from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utcnow
from app.identity.models import Organisation
from tests.api import assert_problem, counting_statements, ok
from tests.countries import records
from tests.countries.records import RESTRICTED, assert_links_to_the_same_set, ids

pytestmark = pytest.mark.usefixtures("reference")

Headers = dict[str, str]
FOUNDING = ["C087", "C097", "C098", "C143", "C189", "ICRMW"]


def dossier(client: TestClient, headers: Headers, code: str = "PH", **params: object) -> dict:
    return ok(client.get(f"/api/v1/countries/{code}/dossier", params=params, headers=headers))  # type: ignore[no-any-return]


def test_the_six_instruments_each_have_a_status_unknown_where_nothing_is_recorded(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    records.ratification(session, secretariat, "PH", "C189", "in_force")
    records.ratification(session, secretariat, "PH", "C087", "not_ratified")
    records.ratification(session, secretariat, "PH", "C143", "signed")
    records.ratification(session, secretariat, "MY", "C097", "in_force")

    standing = dossier(client, admin_headers)["ratifications"]

    statuses = {item["code"]: item["status"] for item in standing["instruments"]}
    assert statuses == {
        "C087": "not_ratified",
        "C097": "unknown",
        "C098": "unknown",
        "C143": "signed",
        "C189": "in_force",
        "ICRMW": "unknown",
    }
    assert standing["not_ratified"] == ["C087", "C143"]
    assert standing["unknown"] == ["C097", "C098", "ICRMW"]
    assert standing["link"] == "/api/v1/ratifications?country=PH"


def test_each_list_shows_the_newest_records_of_the_country_with_the_total_and_a_link(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    laws = [records.law(session, secretariat, "PH") for _ in range(12)]
    records.law(session, secretariat, "MY")
    sending = records.agreement(session, secretariat, "PH", "SA")
    receiving = records.agreement(session, secretariat, "MM", "PH")
    records.agreement(session, secretariat, "ID", "MY")
    visit = records.report(session, secretariat, "PH", ["MM"])
    activity = records.activity(session, secretariat, "PH")
    records.activity(session, secretariat, "MY")

    found = dossier(client, admin_headers, "ph", limit=5)

    assert found["country"]["code"] == "PH"
    assert found["laws"]["total"] == 12
    assert ids(found["laws"]) == laws[::-1][:5]
    assert found["laws"]["items"][0]["link"] == f"/api/v1/laws/{laws[-1]}"
    assert found["laws"]["link"] == "/api/v1/laws?country=PH"
    assert ids(found["agreements"]["as_origin"]) == [sending]
    assert found["agreements"]["as_origin"]["link"] == "/api/v1/agreements?origin=PH"
    assert found["agreements"]["as_origin"]["items"][0]["parties"] == [
        {"country": "PH", "role": "origin"},
        {"country": "SA", "role": "destination"},
    ]
    assert ids(found["agreements"]["as_destination"]) == [receiving]
    assert ids(found["field_visits"]) == [visit]
    assert found["field_visits"]["link"] == "/api/v1/field-visits?country=PH"
    assert ids(found["activities"]) == [activity]
    assert found["activities"]["link"] == "/api/v1/activities?country=PH"
    for listed in (
        found["laws"],
        found["agreements"]["as_origin"],
        found["agreements"]["as_destination"],
        found["field_visits"],
        found["activities"],
    ):
        assert_links_to_the_same_set(client, admin_headers, listed)


def test_agreements_and_laws_show_the_latest_published_score_the_caller_may_see(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
    secretariat: Organisation,
) -> None:
    other = records.other_organisation(session)
    law = records.law(session, secretariat, "PH")
    unassessed = records.law(session, secretariat, "PH")
    records.assessment(
        session, secretariat, "law", law, {"gender": "met"}, assessed_on="2025-01-01"
    )
    seen_by_all = records.assessment(
        session, secretariat, "law", law, {"gender": "not_met"}, assessed_on="2026-01-01"
    )
    seen_by_its_own = records.assessment(
        session, other, "law", law, {"gender": "met"}, assessed_on="2026-06-01",
        visibility=RESTRICTED,
    )  # fmt: skip
    records.assessment(
        session, secretariat, "law", law, {"gender": "met"}, assessed_on="2026-12-01",
        published=False,
    )  # fmt: skip
    deleted = records.assessment(
        session, secretariat, "law", law, {"gender": "met"}, assessed_on="2026-11-01"
    )
    records.delete_assessment(session, secretariat, deleted)
    sending = records.agreement(session, secretariat, "PH", "SA")
    receiving = records.agreement(session, secretariat, "MM", "PH")
    met_half = records.assessment(
        session, secretariat, "agreement", sending, {"gender": "met", "transparency": "not_met"}
    )
    two_thirds = records.assessment(
        session, secretariat, "agreement", receiving,
        {"gender": "met", "transparency": "met", "fair_recruitment": "not_met"},
    )  # fmt: skip

    def scores(listed: dict) -> dict[str, dict | None]:
        return {item["id"]: item["latest_score"] for item in listed["items"]}

    seen, everything = dossier(client, partner_headers), dossier(client, admin_headers)

    latest = {"assessment_id": seen_by_all, "score": 0.0, "assessed_on": "2026-01-01"}
    assert scores(seen["laws"]) == {law: latest, unassessed: None}
    assert scores(everything["laws"])[law] == {
        "assessment_id": seen_by_its_own,
        "score": 100.0,
        "assessed_on": "2026-06-01",
    }
    assert scores(seen["agreements"]["as_origin"]) == {
        sending: {"assessment_id": met_half, "score": 50.0, "assessed_on": "2026-11-30"}
    }
    assert scores(seen["agreements"]["as_destination"]) == {
        receiving: {"assessment_id": two_thirds, "score": 66.67, "assessed_on": "2026-11-30"}
    }


def test_recommendations_are_counted_by_status_with_the_overdue_ones_apart(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    past = utcnow().date() - timedelta(days=30)
    late = records.recommendation(session, secretariat, "PH", "in_progress", due_on=past)
    records.recommendation(session, secretariat, "PH", "implemented", due_on=past)
    records.recommendation(session, secretariat, "PH", "open")
    records.recommendation(session, secretariat, "MY", "open", due_on=past)

    found = dossier(client, admin_headers)["recommendations"]

    assert found["total"] == 3
    assert found["by_status"] == {
        "open": 1,
        "in_progress": 1,
        "partially_implemented": 0,
        "implemented": 1,
        "rejected": 0,
        "superseded": 0,
    }
    assert ids(found["overdue"]) == [late]
    assert found["overdue"]["items"][0]["overdue"] is True
    assert found["overdue"]["link"] == "/api/v1/recommendations?country=PH&overdue=true"
    assert_links_to_the_same_set(client, admin_headers, found)
    assert_links_to_the_same_set(client, admin_headers, found["overdue"])


def test_restricted_records_of_others_and_deleted_ones_are_neither_shown_nor_counted(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    other = records.other_organisation(session)
    own = records.law(session, partner_organisation, "PH", RESTRICTED)
    records.law(session, other, "PH", RESTRICTED)
    records.agreement(session, other, "PH", "SA", RESTRICTED)
    records.recommendation(session, other, "PH", "implemented", visibility=RESTRICTED)
    records.activity(session, other, "PH", RESTRICTED)
    records.ratification(session, other, "PH", "C189", "in_force", RESTRICTED)
    deleted = records.law(session, partner_organisation, "PH")
    records.delete_law(session, partner_organisation, deleted)

    seen = dossier(client, partner_headers)

    assert ids(seen["laws"]) == [own]
    assert seen["laws"]["total"] == 1
    assert seen["agreements"]["as_origin"]["total"] == 0
    assert seen["recommendations"]["total"] == 0
    assert seen["recommendations"]["by_status"]["implemented"] == 0
    assert seen["activities"]["total"] == 0
    assert "C189" in seen["ratifications"]["unknown"]
    everything = dossier(client, admin_headers)
    assert everything["laws"]["total"] == 2
    assert everything["agreements"]["as_origin"]["total"] == 1
    assert everything["recommendations"]["by_status"]["implemented"] == 1
    assert everything["activities"]["total"] == 1
    assert "C189" not in everything["ratifications"]["unknown"]


def test_report_drafts_of_another_organisation_are_left_out(
    client: TestClient,
    session: Session,
    partner_headers: Headers,
    partner_organisation: Organisation,
) -> None:
    other = records.other_organisation(session)
    published = records.report(session, other, "PH", ["MM"])
    records.report(session, other, "PH", ["MM"], published=False)
    draft = records.report(session, partner_organisation, "PH", ["MM"], published=False)

    seen = dossier(client, partner_headers)["field_visits"]

    assert ids(seen) == [draft, published]
    assert seen["total"] == 2
    assert "testimonies" not in seen["items"][0]


def test_an_unknown_country_is_not_found_and_a_malformed_code_invalid(
    client: TestClient, admin_headers: Headers
) -> None:
    assert_problem(client.get("/api/v1/countries/XX/dossier", headers=admin_headers), 404)
    problem = assert_problem(
        client.get("/api/v1/countries/PHL/dossier", headers=admin_headers), 422
    )
    assert problem["errors"][0]["location"] == ["path", "code"]
    problem = assert_problem(
        client.get("/api/v1/countries/PH/dossier?limit=51", headers=admin_headers), 422
    )
    assert problem["errors"][0]["location"] == ["query", "limit"]


def test_a_dossier_costs_the_same_statements_with_few_and_with_many_records(
    client: TestClient,
    app: FastAPI,
    session: Session,
    admin_headers: Headers,
    secretariat: Organisation,
) -> None:
    past = utcnow().date() - timedelta(days=1)

    def add(n: int) -> None:
        for _ in range(n):
            law = records.law(session, secretariat, "PH")
            records.assessment(session, secretariat, "law", law, {"gender": "met"})
            for origin, destination in (("PH", "SA"), ("SA", "PH")):
                mou = records.agreement(session, secretariat, origin, destination)
                records.assessment(session, secretariat, "agreement", mou, {"gender": "met"})
            records.report(session, secretariat, "PH", ["MM"])
            records.recommendation(session, secretariat, "PH", "open", due_on=past)
            records.activity(session, secretariat, "PH")

    def cost() -> tuple[int, int]:
        dossier(client, admin_headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            found = dossier(client, admin_headers)
        for listed in (found["laws"], *found["agreements"].values()):
            assert all(item["latest_score"]["score"] == 100.0 for item in listed["items"])
        return found["laws"]["total"], len(statements)

    add(2)
    few, cost_of_few = cost()
    add(28)
    many, cost_of_many = cost()

    assert (few, many) == (2, 30)
    assert cost_of_many == cost_of_few
