"""Publishing: a draft with a score is published once; after that it is only corrected, each
correction kept as a revision; a refused step says what is allowed next."""

from fastapi.testclient import TestClient

from tests.assessments.helpers import (
    ASSESSMENTS,
    NOT_SCORED,
    WORKED_RATINGS,
    Headers,
    assert_invalid,
    assert_problem,
    create,
    create_law,
    ok,
    patch,
    publish,
    revisions,
)


def test_publishing_a_draft_makes_it_published_and_keeps_the_step_as_a_revision(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law)
    assert made["published_at"] is None
    done = publish(client, admin_headers, made["id"])
    assert done["status"] == "published"
    assert done["published_at"] is not None
    latest = revisions(client, admin_headers, made["id"])[0]
    assert latest["action"] == "published"
    assert set(latest["changed_fields"]) == {"status", "published_at"}


def test_a_published_assessment_is_not_published_again(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law)
    publish(client, admin_headers, made["id"])
    problem = assert_problem(
        client.post(f"{ASSESSMENTS}/{made['id']}/publish", headers=admin_headers), 409
    )
    assert problem["allowed_next"] == ["correct"]


def test_a_draft_with_no_score_is_not_published(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law, ratings=NOT_SCORED)
    response = client.post(f"{ASSESSMENTS}/{made['id']}/publish", headers=admin_headers)
    problem = assert_problem(response, 409)
    assert problem["allowed_next"] == ["edit"]
    assert "met, partially_met or not_met" in problem["detail"]
    assert ok(client.get(f"{ASSESSMENTS}/{made['id']}", headers=admin_headers))["status"] == "draft"


def test_an_editor_corrects_a_published_assessment_and_it_stays_published(
    client: TestClient, admin_headers: Headers, editor_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law)
    publish(client, admin_headers, made["id"])
    corrected = ok(patch(client, editor_headers, made["id"], {"ratings": WORKED_RATINGS}))
    assert (corrected["status"], corrected["score"]) == ("published", 62.5)
    [correction, published, _] = revisions(client, admin_headers, made["id"])
    assert correction["action"] == "updated"
    assert published["snapshot"]["score"] == 100.0


def test_a_correction_cannot_leave_a_published_assessment_without_a_score(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law)
    publish(client, admin_headers, made["id"])
    assert_invalid(patch(client, admin_headers, made["id"], {"ratings": NOT_SCORED}), "ratings")
    assert ok(client.get(f"{ASSESSMENTS}/{made['id']}", headers=admin_headers))["score"] == 100.0


def test_status_is_not_set_through_a_body(client: TestClient, admin_headers: Headers) -> None:
    law = create_law(client, admin_headers)
    made = create(client, admin_headers, law)
    assert_invalid(patch(client, admin_headers, made["id"], {"status": "published"}), "status")
