"""Assessments on the record lifecycle: the score derived from the ratings and never sent, the
ratings checked against the rubric, the subject one the caller can see, and writes for editors."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.assessments.helpers import (
    ASSESSMENTS,
    CRITERIA_COUNT,
    MISSING,
    NOT_SCORED,
    WORKED_RATINGS,
    Headers,
    assert_invalid,
    assert_problem,
    body,
    create,
    create_agreement,
    create_law,
    csv_rows,
    listed_ids,
    ok,
    patch,
    read,
    revisions,
)


def test_two_met_one_partially_one_not_met_one_not_applicable_one_unknown_score_62_5(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    ratings = [
        *WORKED_RATINGS,
        {"criterion": "gender", "rating": "not_applicable"},
        {"criterion": "social_protection", "rating": "unknown"},
    ]
    made = create(client, admin_headers, law, ratings=ratings)
    assert made["score"] == 62.5
    assert made["not_applicable_count"] == 1
    # The unknown one, and the eight criteria of the rubric not rated at all.
    assert made["unknown_count"] == 1 + CRITERIA_COUNT - len(ratings)
    assert made["status"] == "draft"
    assert made["ratings"][2] == WORKED_RATINGS[2]


def test_the_score_is_null_when_nothing_is_rated_met_partially_met_or_not_met(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law, ratings=NOT_SCORED)
    assert made["score"] is None
    assert (made["not_applicable_count"], made["unknown_count"]) == (1, CRITERIA_COUNT - 1)
    assert create(client, admin_headers, law, ratings=[])["score"] is None


def test_a_score_sent_is_refused(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    response = client.post(ASSESSMENTS, json=body(law, score=100), headers=admin_headers)
    assert_invalid(response, "score")
    made = create(client, admin_headers, law)
    assert_invalid(patch(client, admin_headers, made["id"], {"score": 100}), "score")


def test_ratings_are_kept_in_the_rubrics_order(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law, ratings=list(reversed(WORKED_RATINGS)))
    assert [r["criterion"] for r in made["ratings"]] == [r["criterion"] for r in WORKED_RATINGS]


def test_a_criterion_not_of_the_rubric_is_refused_by_name(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    ratings = [*WORKED_RATINGS, {"criterion": "child_labour", "rating": "met"}]
    response = client.post(ASSESSMENTS, json=body(law, ratings=ratings), headers=admin_headers)
    problem = assert_invalid(response, "ratings")
    assert "ratings[4]" in problem["detail"]
    assert "child_labour" in problem["detail"]


def test_a_criterion_rated_twice_is_refused(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    ratings = [*WORKED_RATINGS, {"criterion": "transparency", "rating": "not_met"}]
    response = client.post(ASSESSMENTS, json=body(law, ratings=ratings), headers=admin_headers)
    assert "transparency" in assert_invalid(response, "ratings")["detail"]
    assert listed_ids(client, admin_headers) == set()


def test_the_subject_must_be_an_agreement_or_law_the_caller_can_see(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    law = create_law(client, admin_headers, visibility="restricted")
    agreement = create_agreement(client, admin_headers)
    office = headers_of("parliament-editor")
    for subject in (law, MISSING):
        response = client.post(ASSESSMENTS, json=body(subject), headers=office)
        assert_invalid(response, "subject_id")
    # An agreement's id is not a law's.
    assert_invalid(client.post(ASSESSMENTS, json=body(agreement), headers=office), "subject_id")
    made = create(client, office, agreement, subject_type="agreement")
    assert made["subject_id"] == agreement


def test_the_rubric_must_exist(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    response = client.post(ASSESSMENTS, json=body(law, rubric_id=MISSING), headers=admin_headers)
    assert_invalid(response, "rubric_id")


def test_fields_are_named_when_missing_or_wrong(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    sent = body(law)
    del sent["assessor"]
    assert_invalid(client.post(ASSESSMENTS, json=sent, headers=admin_headers), "assessor")
    wrong = body(law, ratings=[{"criterion": "transparency", "rating": "mostly"}])
    assert_invalid(client.post(ASSESSMENTS, json=wrong, headers=admin_headers), "ratings")
    assert_invalid(
        client.post(ASSESSMENTS, json=body(law, subject_type="bill"), headers=admin_headers),
        "subject_type",
    )


def test_partners_and_readers_only_read_assessments(
    client: TestClient, admin_headers: Headers, headers_of: Callable[[str], Headers]
) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law)
    for caller in ("partner", "reader"):
        headers = headers_of(caller)
        assert_problem(client.post(ASSESSMENTS, json=body(law), headers=headers), 403)
        assert_problem(patch(client, headers, made["id"], {"assessor": "X"}), 403)
        assert read(client, headers, made["id"]) == made


def test_an_assessment_is_read_updated_deleted_and_restored_on_the_lifecycle(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    response = client.post(ASSESSMENTS, json=body(law), headers=admin_headers)
    made = ok(response, 201)
    assert response.headers["Location"].endswith(f"{ASSESSMENTS}/{made['id']}")
    assert response.headers["ETag"] == '"1"'
    assert read(client, admin_headers, made["id"]) == made

    stale = patch(
        client, admin_headers, made["id"], {"ratings": WORKED_RATINGS}, **{"If-Match": '"2"'}
    )
    assert_problem(stale, 412)
    changed = ok(
        patch(client, admin_headers, made["id"], {"ratings": WORKED_RATINGS}, **{"If-Match": '"1"'})
    )
    assert (changed["score"], changed["version"]) == (62.5, 2)
    [second, first] = revisions(client, admin_headers, made["id"])
    assert set(second["changed_fields"]) == {"ratings", "score", "unknown_count"}
    assert first["snapshot"]["score"] == 100.0

    assert client.delete(f"{ASSESSMENTS}/{made['id']}", headers=admin_headers).status_code == 204
    assert_problem(client.get(f"{ASSESSMENTS}/{made['id']}", headers=admin_headers), 404)
    assert listed_ids(client, admin_headers) == set()
    restored = ok(client.post(f"{ASSESSMENTS}/{made['id']}/restore", headers=admin_headers))
    assert restored["score"] == 62.5


def test_a_retry_with_the_same_idempotency_key_creates_one_assessment(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    headers = {**admin_headers, "Idempotency-Key": "assess-ph-1"}
    first = ok(client.post(ASSESSMENTS, json=body(law), headers=headers), 201)
    again = client.post(ASSESSMENTS, json=body(law), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    assert listed_ids(client, admin_headers) == {first["id"]}


def test_the_filters_pick_assessments_by_subject_rubric_and_status(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    other_law = create_law(client, admin_headers, title="Overseas Filipinos Act")
    agreement = create_agreement(client, admin_headers)
    older = create(client, admin_headers, law, assessed_on="2025-01-10")
    newer = create(client, admin_headers, law, assessed_on="2026-06-01")
    of_other = create(client, admin_headers, other_law)
    of_agreement = create(client, admin_headers, agreement, subject_type="agreement")
    ok(client.post(f"{ASSESSMENTS}/{newer['id']}/publish", headers=admin_headers))

    # All of one subject's assessments, in the order recorded.
    page = ok(client.get(ASSESSMENTS, params={"subject_id": law}, headers=admin_headers))
    assert [item["id"] for item in page["items"]] == [older["id"], newer["id"]]
    assert listed_ids(client, admin_headers, subject_type="agreement") == {of_agreement["id"]}
    assert listed_ids(client, admin_headers, status="published") == {newer["id"]}
    assert listed_ids(client, admin_headers, rubric_id=MISSING) == set()
    assert len(listed_ids(client, admin_headers, rubric_id=of_other["rubric_id"])) == 4
    assert listed_ids(client, admin_headers, q="POLICY team") == {
        older["id"],
        newer["id"],
        of_other["id"],
        of_agreement["id"],
    }


def test_assessments_export_as_csv(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law, ratings=WORKED_RATINGS)
    [row] = csv_rows(client, admin_headers, subject_id=law)
    assert (row["id"], row["score"], row["status"]) == (made["id"], "62.5", "draft")
    assert row["ratings"].startswith("transparency:met")
