"""The workflow of a field-visit report (issue 5, items 3, 6 and 7): `draft` -> `submitted` ->
`published`, or `returned` with a reason and back to the authors. Partners write and submit
their organisation's reports; editors and admins return or publish them, and correct published
ones. Every refused step is a 409 naming what the caller may do next. Publication turns each
recommendation of the report into a record of its own, all in one transaction."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.core.config import Settings
from app.field_visits.models import FieldVisit, ReportStatus
from app.identity.models import Organisation
from tests.field_visits.helpers import (
    AUTHOR_STEPS,
    CORRECT,
    FIELD_VISITS,
    NOTHING,
    REASON,
    REVIEW_STEPS,
    Headers,
    assert_invalid,
    assert_problem,
    assert_refused,
    change_events_of,
    create,
    ok,
    other_organisation,
    partner_of,
    patch,
    path_of,
    publish,
    published_report,
    read,
    recommendation_count,
    recommendations_listed,
    recommendations_of,
    return_,
    returned_report,
    revisions,
    step,
    stored_writes,
    submit,
    submitted_report,
)

REVIEWERS = ["editor", "admin"]
PARTNERS = ["partner", "partner-api-token"]

TWO_RECOMMENDATIONS = [
    {
        "text": "Include domestic workers in the minimum wage order.",
        "addressed_to": "Ministry of Human Resources",
        "priority": "high",
        "due_on": "2027-06-30",
    },
    {
        "text": "Stop the practice of holding workers' passports.",
        "addressed_to": "Embassy of the Philippines",
        "country": "PH",
    },
]


@pytest.fixture
def author(headers_of: Callable[[str], Headers]) -> Headers:
    """A partner user of the partner organisation, which owns the reports it starts."""
    return headers_of("partner")


@pytest.fixture
def reviewer(headers_of: Callable[[str], Headers]) -> Headers:
    return headers_of("editor")


# ---- submitting -----------------------------------------------------------------------------


@pytest.mark.parametrize("caller", PARTNERS)
def test_the_authors_submit_their_draft(
    client: TestClient, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)
    created = create(client, headers)

    response = step(client, headers, created["id"], "submit")

    submitted = ok(response)
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None
    assert submitted["published_at"] is None
    assert submitted["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert read(client, headers, created["id"]) == submitted


def test_a_returned_report_is_edited_and_submitted_again(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    returned = returned_report(client, author, reviewer)
    assert returned["status"] == "returned"

    ok(patch(client, author, returned["id"], {"findings": "Workers met in Petaling Jaya: 12."}))
    again = submit(client, author, returned["id"])

    assert again["status"] == "submitted"
    assert again["findings"] == "Workers met in Petaling Jaya: 12."
    assert again["submitted_at"] is not None
    assert [r["snapshot"]["status"] for r in revisions(client, author, returned["id"])][:2] == [
        "submitted",
        "returned",
    ]


def test_submitting_a_submitted_report_again_is_refused_saying_what_is_next(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author)

    assert_refused(step(client, author, report["id"], "submit"), NOTHING)
    assert_refused(step(client, reviewer, report["id"], "submit"), REVIEW_STEPS)
    assert read(client, author, report["id"]) == report


def test_a_published_report_cannot_be_submitted(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    report = published_report(client, author, reviewer)

    assert_refused(step(client, author, report["id"], "submit"), NOTHING)
    assert_refused(step(client, reviewer, report["id"], "submit"), CORRECT)
    assert read(client, reviewer, report["id"]) == report


def test_a_reader_cannot_submit(
    client: TestClient, author: Headers, headers_of: Callable[[str], Headers]
) -> None:
    created = create(client, author, visibility="public")

    assert_problem(step(client, headers_of("reader"), created["id"], "submit"), 403)
    assert read(client, author, created["id"])["status"] == "draft"


# ---- returning ------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", REVIEWERS)
def test_reviewers_return_a_submitted_report_with_a_reason(
    client: TestClient, author: Headers, headers_of: Callable[[str], Headers], caller: str
) -> None:
    report = submitted_report(client, author)

    response = step(client, headers_of(caller), report["id"], "return", {"reason": REASON})

    returned = ok(response)
    assert returned["status"] == "returned"
    assert returned["returned_reason"] == REASON
    assert returned["version"] == 3
    assert response.headers["etag"] == '"3"'
    seen = read(client, author, report["id"])
    assert (seen["status"], seen["returned_reason"]) == ("returned", REASON)


@pytest.mark.parametrize("data", [None, {}, {"reason": ""}, {"reason": None}])
def test_a_return_without_a_reason_is_refused_and_changes_nothing(
    client: TestClient, author: Headers, reviewer: Headers, data: dict[str, Any] | None
) -> None:
    report = submitted_report(client, author)

    response = step(client, reviewer, report["id"], "return", data)

    if data is None:
        assert_problem(response, 422)
    else:
        assert_invalid(response, "body", "reason")
    assert read(client, author, report["id"]) == report


@pytest.mark.parametrize("caller", PARTNERS)
def test_a_partner_returning_its_submitted_report_is_refused_with_allowed_next(
    client: TestClient, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)
    report = submitted_report(client, headers)

    problem = assert_refused(
        step(client, headers, report["id"], "return", {"reason": "x"}), NOTHING
    )

    assert "editor" in problem["detail"]
    assert read(client, headers, report["id"]) == report


@pytest.mark.parametrize("status", ["draft", "returned", "published"])
def test_only_a_submitted_report_can_be_returned(
    client: TestClient, author: Headers, reviewer: Headers, status: str
) -> None:
    report = _report_in(client, author, reviewer, status)
    allowed = CORRECT if status == "published" else AUTHOR_STEPS

    assert_refused(step(client, reviewer, report["id"], "return", {"reason": REASON}), allowed)
    assert read(client, reviewer, report["id"]) == report


# ---- publishing -----------------------------------------------------------------------------


@pytest.mark.parametrize("caller", REVIEWERS)
def test_reviewers_publish_a_submitted_report(
    client: TestClient, author: Headers, headers_of: Callable[[str], Headers], caller: str
) -> None:
    report = submitted_report(client, author)

    response = step(client, headers_of(caller), report["id"], "publish")

    published = ok(response)
    assert published["status"] == "published"
    assert published["published_at"] is not None
    assert published["submitted_at"] == report["submitted_at"]
    assert published["version"] == 3
    assert response.headers["etag"] == '"3"'
    assert read(client, author, report["id"]) == published


@pytest.mark.parametrize("caller", PARTNERS)
def test_a_partner_publishing_its_submitted_report_is_refused_with_allowed_next(
    client: TestClient, session: Session, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)
    report = submitted_report(client, headers)
    before = stored_writes(session)

    problem = assert_refused(step(client, headers, report["id"], "publish"), NOTHING)

    assert "editor" in problem["detail"]
    assert stored_writes(session) == before
    assert read(client, headers, report["id"]) == report


def test_a_partner_publishing_its_draft_is_told_it_may_edit_and_submit(
    client: TestClient, session: Session, author: Headers
) -> None:
    created = create(client, author)

    assert_refused(step(client, author, created["id"], "publish"), AUTHOR_STEPS)
    assert recommendation_count(session) == 0
    assert read(client, author, created["id"]) == created


@pytest.mark.parametrize("status", ["draft", "returned"])
def test_publishing_a_report_that_is_not_submitted_is_refused(
    client: TestClient, session: Session, author: Headers, reviewer: Headers, status: str
) -> None:
    report = _report_in(client, author, reviewer, status)
    before = stored_writes(session)

    problem = assert_refused(step(client, reviewer, report["id"], "publish"), AUTHOR_STEPS)

    assert status in problem["detail"]
    assert stored_writes(session) == before
    assert read(client, reviewer, report["id"]) == report


def test_publishing_a_draft_never_submitted_says_so(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    created = create(client, author)

    problem = assert_refused(step(client, reviewer, created["id"], "publish"), AUTHOR_STEPS)

    assert "never submitted" in problem["detail"]


@pytest.mark.parametrize("name", ["publish", "return"])
def test_refusing_a_step_on_a_returned_report_does_not_say_it_was_never_submitted(
    client: TestClient, author: Headers, reviewer: Headers, name: str
) -> None:
    report = returned_report(client, author, reviewer)

    problem = assert_refused(
        step(client, reviewer, report["id"], name, {"reason": REASON}), AUTHOR_STEPS
    )

    assert "never submitted" not in problem["detail"]


def test_publishing_a_published_report_again_is_refused_and_makes_no_recommendation(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    report = published_report(client, author, reviewer)
    before = stored_writes(session)

    assert_refused(step(client, reviewer, report["id"], "publish"), CORRECT)

    assert stored_writes(session) == before
    assert len(recommendations_of(session, report["id"])) == 1


# ---- editing at each step -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["submitted", "published"])
def test_a_partner_editing_a_report_no_longer_in_its_hands_is_refused(
    client: TestClient, author: Headers, reviewer: Headers, status: str
) -> None:
    report = _report_in(client, author, reviewer, status)

    problem = assert_refused(patch(client, author, report["id"], {"findings": "Edited."}), NOTHING)

    assert status in problem["detail"]
    assert read(client, author, report["id"]) == report


def test_an_editor_edits_a_submitted_report_under_review(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author)

    changed = ok(patch(client, reviewer, report["id"], {"title": "Shelters in Kuala Lumpur"}))

    assert (changed["title"], changed["status"]) == ("Shelters in Kuala Lumpur", "submitted")


@pytest.mark.parametrize("caller", REVIEWERS)
def test_a_correction_of_a_published_report_is_kept_as_a_revision(
    client: TestClient, author: Headers, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)
    report = published_report(client, author, headers)

    corrected = ok(
        patch(client, headers, report["id"], {"findings": "Corrected.", "places": ["Klang"]})
    )

    assert corrected["status"] == "published"
    assert (corrected["findings"], corrected["places"]) == ("Corrected.", ["Klang"])
    assert corrected["version"] == report["version"] + 1
    newest, previous = revisions(client, author, report["id"])[:2]
    assert (newest["version"], newest["action"]) == (corrected["version"], "updated")
    assert newest["changed_fields"] == ["findings", "places"]
    assert newest["snapshot"] == corrected
    assert (previous["action"], previous["snapshot"]) == ("published", report)
    assert read(client, author, report["id"]) == corrected


def test_the_recommendations_of_a_published_report_cannot_be_changed_in_the_report(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    report = published_report(client, author, reviewer)
    before = stored_writes(session)
    new = [{"text": "Something else.", "addressed_to": "Someone else"}]

    problem = assert_refused(
        patch(client, reviewer, report["id"], {"recommendations": new}), CORRECT
    )

    assert "/api/v1/recommendations" in problem["detail"]
    assert stored_writes(session) == before
    assert read(client, reviewer, report["id"]) == report


@pytest.mark.parametrize("status", ["draft", "published", "archived", None])
def test_a_status_in_a_patch_body_is_refused_and_changes_nothing(
    client: TestClient, session: Session, author: Headers, reviewer: Headers, status: str | None
) -> None:
    created = create(client, author)
    before = stored_writes(session)

    for headers in (author, reviewer):
        assert_invalid(patch(client, headers, created["id"], {"status": status}), "body", "status")
        assert_invalid(
            patch(client, headers, created["id"], {"status": status, "findings": "x"}),
            "body",
            "status",
        )
    assert stored_writes(session) == before
    assert read(client, author, created["id"]) == created


@pytest.mark.parametrize("name", ["archive", "approve", "unpublish"])
def test_a_step_that_does_not_exist_is_not_found(
    client: TestClient, author: Headers, reviewer: Headers, name: str
) -> None:
    report = submitted_report(client, author)

    assert_problem(step(client, reviewer, report["id"], name), 404)
    assert read(client, reviewer, report["id"]) == report


# ---- If-Match and Idempotency-Key on the steps ----------------------------------------------


def test_a_stale_if_match_on_submit_is_refused_and_changes_nothing(
    client: TestClient, author: Headers
) -> None:
    created = create(client, author)
    changed = ok(patch(client, author, created["id"], {"findings": "Changed."}))

    stale = step(client, author, created["id"], "submit", **{"If-Match": '"1"'})

    assert_problem(stale, 412)
    assert read(client, author, created["id"]) == changed
    fresh = ok(step(client, author, created["id"], "submit", **{"If-Match": '"2"'}))
    assert fresh["status"] == "submitted"


def test_a_stale_if_match_on_return_is_refused_and_changes_nothing(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author)

    stale = step(
        client, reviewer, report["id"], "return", {"reason": REASON}, **{"If-Match": '"1"'}
    )

    assert_problem(stale, 412)
    assert read(client, author, report["id"]) == report
    fresh = step(
        client, reviewer, report["id"], "return", {"reason": REASON}, **{"If-Match": '"2"'}
    )
    assert ok(fresh)["status"] == "returned"


def test_a_stale_if_match_on_publish_is_refused_and_creates_no_recommendation(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author, recommendations=TWO_RECOMMENDATIONS)
    edited = ok(patch(client, reviewer, report["id"], {"title": "Edited under review"}))
    before = stored_writes(session)

    stale = step(client, reviewer, report["id"], "publish", **{"If-Match": '"2"'})

    assert_problem(stale, 412)
    assert stored_writes(session) == before
    assert recommendation_count(session) == 0
    assert read(client, reviewer, report["id"]) == edited
    published = ok(step(client, reviewer, report["id"], "publish", **{"If-Match": '"3"'}))
    assert published["status"] == "published"
    assert recommendation_count(session) == 2


def test_a_submit_retried_with_the_same_idempotency_key_is_replayed(
    client: TestClient, author: Headers
) -> None:
    created = create(client, author)
    headers = {**author, "Idempotency-Key": "submit-0001"}

    first = client.post(f"{FIELD_VISITS}/{created['id']}/submit", headers=headers)
    again = client.post(f"{FIELD_VISITS}/{created['id']}/submit", headers=headers)

    assert ok(first) == ok(again)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"] == '"2"'
    assert read(client, author, created["id"])["version"] == 2
    assert [r["action"] for r in revisions(client, author, created["id"])] == [
        "updated",
        "created",
    ]
    # Without the key, the same request is a second submit, refused.
    assert_refused(client.post(f"{FIELD_VISITS}/{created['id']}/submit", headers=author), NOTHING)


# ---- what publication writes ----------------------------------------------------------------


def test_publication_makes_one_recommendation_record_per_recommendation_of_the_report(
    client: TestClient,
    session: Session,
    author: Headers,
    reviewer: Headers,
    partner_organisation: Organisation,
) -> None:
    report = submitted_report(
        client, author, country="MY", visibility="public", recommendations=TWO_RECOMMENDATIONS
    )
    assert recommendation_count(session) == 0

    published = publish(client, reviewer, report["id"])

    made = sorted(recommendations_listed(client, author, report["id"]), key=lambda r: r["text"])
    assert len(made) == 2 == recommendation_count(session)
    by_text = {r["text"]: r for r in made}
    wage = by_text[TWO_RECOMMENDATIONS[0]["text"]]
    passports = by_text[TWO_RECOMMENDATIONS[1]["text"]]
    assert (wage["addressed_to"], wage["priority"], wage["due_on"]) == (
        "Ministry of Human Resources",
        "high",
        "2027-06-30",
    )
    assert (passports["addressed_to"], passports["priority"], passports["due_on"]) == (
        "Embassy of the Philippines",
        "medium",
        None,
    )
    # The report's country unless the recommendation names another.
    assert (wage["country"], passports["country"]) == ("MY", "PH")
    for made_one in made:
        assert made_one["source_type"] == "field_visit"
        assert made_one["source_id"] == report["id"]
        assert made_one["organisation_id"] == str(partner_organisation.id)
        assert made_one["visibility"] == "public"
        assert made_one["status"] == "open"
    # The report names the record each of its recommendations became, in order.
    assert [r["recommendation_id"] for r in published["recommendations"]] == [
        wage["id"],
        passports["id"],
    ]
    assert [
        {k: v for k, v in r.items() if k != "recommendation_id"}
        for r in published["recommendations"]
    ] == [
        {"country": None, **TWO_RECOMMENDATIONS[0]},
        {"priority": "medium", "due_on": None, **TWO_RECOMMENDATIONS[1]},
    ]
    assert read(client, author, report["id"]) == published


@pytest.mark.parametrize("visibility", ["partners", "restricted"])
def test_the_recommendations_made_are_shown_as_the_report_is(
    client: TestClient,
    session: Session,
    author: Headers,
    reviewer: Headers,
    headers_of: Callable[[str], Headers],
    visibility: str,
) -> None:
    report = published_report(client, author, reviewer, visibility=visibility)
    reader = headers_of("reader")

    (stored,) = recommendations_of(session, report["id"])
    assert stored.visibility == visibility
    assert len(recommendations_listed(client, author, report["id"])) == 1
    expected = 0 if visibility == "restricted" else 1
    assert len(recommendations_listed(client, reader, report["id"])) == expected


def test_a_report_without_recommendations_is_published_making_none(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    published = published_report(client, author, reviewer, recommendations=[])

    assert published["recommendations"] == []
    assert recommendation_count(session) == 0


def test_a_draft_or_submitted_report_makes_no_recommendation_record(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    _report_in(client, author, reviewer, "draft", recommendations=TWO_RECOMMENDATIONS)
    _report_in(client, author, reviewer, "submitted", recommendations=TWO_RECOMMENDATIONS)
    _report_in(client, author, reviewer, "returned", recommendations=TWO_RECOMMENDATIONS)

    assert recommendation_count(session) == 0


def test_the_publication_is_a_revision_and_a_change_event_named_published(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author)

    published = publish(client, reviewer, report["id"])

    newest = revisions(client, author, report["id"])[0]
    assert (newest["version"], newest["action"]) == (published["version"], "published")
    assert newest["changed_fields"] == ["published_at", "recommendations", "status"]
    assert newest["snapshot"] == published
    assert newest["actor"] != published["created_by"]
    events = change_events_of(session, report["id"])
    assert [event.action for event in events] == ["created", "updated", "published"]
    assert events[-1].record_type == "field_visit"
    assert events[-1].visibility == published["visibility"]
    (made,) = recommendations_of(session, report["id"])
    assert [event.action for event in change_events_of(session, str(made.id))] == ["created"]


def test_the_whole_workflow_leaves_one_revision_per_step(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    created = create(client, author)
    submit(client, author, created["id"])
    return_(client, reviewer, created["id"])
    ok(patch(client, author, created["id"], {"findings": "Completed."}))
    submit(client, author, created["id"])
    publish(client, reviewer, created["id"])
    ok(patch(client, reviewer, created["id"], {"title": "Corrected title"}))

    history = revisions(client, reviewer, created["id"])

    assert [(r["snapshot"]["status"], r["action"]) for r in reversed(history)] == [
        ("draft", "created"),
        ("submitted", "updated"),
        ("returned", "updated"),
        ("returned", "updated"),
        ("submitted", "updated"),
        ("published", "published"),
        ("published", "updated"),
    ]
    assert [r["version"] for r in history] == list(range(7, 0, -1))


# ---- publication is all or nothing ----------------------------------------------------------


@pytest.fixture
def failing_report_flush() -> Iterator[None]:
    """Make the flush that writes a report as published fail, as it does when another writer
    changed the report meanwhile, after its recommendations have been flushed."""

    def refuse(session: Session, _context: Any, _instances: Any) -> None:
        for row in session.dirty:
            if isinstance(row, FieldVisit) and row.status == ReportStatus.published:
                raise StaleDataError("the report changed meanwhile")

    sa.event.listen(Session, "before_flush", refuse)
    try:
        yield
    finally:
        sa.event.remove(Session, "before_flush", refuse)


def test_a_publication_that_fails_creates_no_recommendation_and_changes_nothing(
    client: TestClient,
    session: Session,
    author: Headers,
    reviewer: Headers,
    failing_report_flush: None,
) -> None:
    report = submitted_report(client, author, recommendations=TWO_RECOMMENDATIONS)
    before = stored_writes(session)

    assert_problem(step(client, reviewer, report["id"], "publish"), 409)

    assert stored_writes(session) == before
    assert recommendation_count(session) == 0
    assert read(client, reviewer, report["id"]) == report
    assert [event.action for event in change_events_of(session, report["id"])] == [
        "created",
        "updated",
    ]


# ---- helpers --------------------------------------------------------------------------------


def _report_in(
    client: TestClient, author: Headers, reviewer: Headers, status: str, **overrides: Any
) -> dict[str, Any]:
    """A report of the author's organisation, brought to `status` through the workflow."""
    if status == "draft":
        return create(client, author, **overrides)
    if status == "submitted":
        return submitted_report(client, author, **overrides)
    if status == "returned":
        return returned_report(client, author, reviewer, **overrides)
    assert status == "published", status
    return published_report(client, author, reviewer, **overrides)


# ---- what others learn of a report before its publication ---------------------------------


def test_a_return_reason_of_spaces_only_is_refused(
    client: TestClient, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author)

    response = client.post(
        f"{path_of(report['id'])}/return", json={"reason": "   "}, headers=reviewer
    )

    assert_invalid(response, "body", "reason")
    assert read(client, reviewer, report["id"])["status"] == "submitted"


def test_others_read_the_history_of_a_published_report_from_its_publication_on(
    client: TestClient,
    session: Session,
    settings: Settings,
    author: Headers,
    reviewer: Headers,
) -> None:
    report = returned_report(client, author, reviewer)
    submit(client, author, report["id"])
    publish(client, reviewer, report["id"])
    outsider = partner_of(session, settings, other_organisation(session), "out@example.org")

    seen = revisions(client, outsider, report["id"])

    assert [item["action"] for item in seen] == ["published"]
    assert "returned_reason" not in str([item["changed_fields"] for item in seen])
    # The authors and the reviewers still read every version.
    for insider in (author, reviewer):
        assert len(revisions(client, insider, report["id"])) == 5


def test_the_change_events_of_a_report_are_restricted_until_it_is_published(
    client: TestClient, session: Session, author: Headers, reviewer: Headers
) -> None:
    report = submitted_report(client, author, visibility="public")
    return_(client, reviewer, report["id"])
    submit(client, author, report["id"])

    publish(client, reviewer, report["id"])

    events = change_events_of(session, report["id"])
    assert [(event.action, event.visibility) for event in events] == [
        ("created", "restricted"),
        ("updated", "restricted"),
        ("updated", "restricted"),
        ("updated", "restricted"),
        ("published", "public"),
    ]
