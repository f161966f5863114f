"""Rubrics: the shipped default, versions that keep the old ones, versions in use never changed,
and writes for secretariat admins alone."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.assessments.service import load_default_rubric
from app.audit.models import AuditEntry
from tests.assessments.helpers import (
    CRITERIA_COUNT,
    DEFAULT_RUBRIC,
    MISSING,
    RUBRICS,
    Headers,
    assert_invalid,
    assert_problem,
    create,
    create_law,
    ok,
)

CRITERIA = [
    {"key": "fees", "title": "No fees", "question": "Are fees banned?", "basis": "ILO C181"},
    {"key": "contract", "title": "Contract", "question": "Is there a model contract?"},
]


def rubric_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "domestic-work",
        "title": "Domestic work review",
        "criteria": CRITERIA,
        **overrides,
    }


def test_the_default_rubric_is_loaded_from_the_reference_csv(
    client: TestClient, partner_headers: Headers
) -> None:
    [rubric] = ok(client.get(RUBRICS, params={"name": "default"}, headers=partner_headers))["items"]
    assert (rubric["id"], rubric["name"], rubric["version"]) == (DEFAULT_RUBRIC, "default", 1)
    assert len(rubric["criteria"]) == CRITERIA_COUNT
    fair = next(c for c in rubric["criteria"] if c["key"] == "fair_recruitment")
    assert fair["title"] == "Fair recruitment"
    assert "ILO C181 Art. 7" in fair["basis"]
    assert ok(client.get(f"{RUBRICS}/{DEFAULT_RUBRIC}", headers=partner_headers)) == rubric
    later = {"updated_since": "2999-01-01T00:00:00Z"}
    assert ok(client.get(RUBRICS, params=later, headers=partner_headers))["items"] == []


def test_loading_the_reference_data_again_adds_no_rubric(session: Session) -> None:
    assert load_default_rubric(session) == 0


def test_an_admin_adds_a_rubric_as_version_1_and_any_caller_reads_it(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    made = ok(client.post(RUBRICS, json=rubric_body(), headers=admin_headers), 201)
    assert made["version"] == 1
    assert made["criteria"][1] == {**CRITERIA[1], "basis": None}
    read = ok(client.get(f"{RUBRICS}/{made['id']}", headers=headers_of("reader")))
    assert read == made


def test_only_secretariat_admins_write_rubrics(
    client: TestClient, headers_of: Callable[[str], Headers]
) -> None:
    callers = [headers_of("editor"), headers_of("partner")]
    for headers in callers:
        assert_problem(client.post(RUBRICS, json=rubric_body(), headers=headers), 403)
        assert_problem(
            client.patch(f"{RUBRICS}/{DEFAULT_RUBRIC}", json={"title": "X"}, headers=headers), 403
        )
        assert_problem(
            client.post(f"{RUBRICS}/{DEFAULT_RUBRIC}/versions", json={}, headers=headers), 403
        )
    assert len(ok(client.get(RUBRICS, headers=callers[0]))["items"]) == 1


def test_a_criterion_key_is_used_once_in_a_rubric(
    client: TestClient, admin_headers: Headers
) -> None:
    twice = rubric_body(criteria=[CRITERIA[0], {**CRITERIA[1], "key": "fees"}])
    problem = assert_invalid(client.post(RUBRICS, json=twice, headers=admin_headers), "criteria")
    assert "fees" in problem["detail"]
    made = ok(client.post(RUBRICS, json=rubric_body(), headers=admin_headers), 201)
    response = client.post(
        f"{RUBRICS}/{made['id']}/versions",
        json={"criteria": twice["criteria"]},
        headers=admin_headers,
    )
    assert_invalid(response, "criteria")


def test_a_name_already_used_is_a_conflict_that_says_to_make_a_new_version(
    client: TestClient, admin_headers: Headers
) -> None:
    problem = assert_problem(
        client.post(RUBRICS, json=rubric_body(name="default"), headers=admin_headers), 409
    )
    assert f"/api/v1/rubrics/{DEFAULT_RUBRIC}/versions" in problem["detail"]


def test_a_new_version_copies_what_it_leaves_out_and_keeps_the_old_one(
    client: TestClient, admin_headers: Headers
) -> None:
    first = ok(client.post(RUBRICS, json=rubric_body(), headers=admin_headers), 201)
    second = ok(
        client.post(
            f"{RUBRICS}/{first['id']}/versions",
            json={"criteria": CRITERIA[:1]},
            headers=admin_headers,
        ),
        201,
    )
    assert (second["name"], second["version"], second["title"]) == (
        "domestic-work",
        2,
        "Domestic work review",
    )
    assert [c["key"] for c in second["criteria"]] == ["fees"]
    # A version made from an old one still comes after the newest.
    third = ok(
        client.post(f"{RUBRICS}/{first['id']}/versions", json={}, headers=admin_headers), 201
    )
    assert third["version"] == 3
    assert third["criteria"] == first["criteria"]
    versions = ok(client.get(RUBRICS, params={"name": "domestic-work"}, headers=admin_headers))
    assert [item["version"] for item in versions["items"]] == [1, 2, 3]
    assert versions["items"][0] == first


def test_a_rubric_in_use_is_never_changed(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    create(client, admin_headers, law)
    before = ok(client.get(f"{RUBRICS}/{DEFAULT_RUBRIC}", headers=admin_headers))
    response = client.patch(
        f"{RUBRICS}/{DEFAULT_RUBRIC}", json={"criteria": CRITERIA}, headers=admin_headers
    )
    problem = assert_problem(response, 409)
    assert f"POST /api/v1/rubrics/{DEFAULT_RUBRIC}/versions" in problem["detail"]
    assert ok(client.get(f"{RUBRICS}/{DEFAULT_RUBRIC}", headers=admin_headers)) == before


def test_a_version_no_assessment_uses_can_be_corrected_and_the_change_is_audited(
    client: TestClient, admin_headers: Headers, session: Session
) -> None:
    made = ok(client.post(RUBRICS, json=rubric_body(), headers=admin_headers), 201)
    changed = ok(
        client.patch(
            f"{RUBRICS}/{made['id']}", json={"title": "Domestic work"}, headers=admin_headers
        )
    )
    assert (changed["title"], changed["version"]) == ("Domestic work", 1)
    actions = set(
        session.exec(select(AuditEntry.action).where(AuditEntry.subject_id == made["id"]))
    )
    assert actions == {"rubric.created", "rubric.updated"}


def test_a_rubric_that_does_not_exist_is_not_found(
    client: TestClient, admin_headers: Headers
) -> None:
    assert_problem(client.get(f"{RUBRICS}/{MISSING}", headers=admin_headers), 404)
    assert_problem(
        client.post(f"{RUBRICS}/{MISSING}/versions", json={}, headers=admin_headers), 404
    )
