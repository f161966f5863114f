"""The timeline: `POST .../updates` adds a dated entry (status, note, evidence link), moves the
recommendation's status, and leaves a revision; entries are kept oldest first."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.identity.models import User
from tests.recommendations.helpers import (
    LONG_AGO,
    NOBODY,
    RECOMMENDATIONS,
    STATUSES,
    Headers,
    add_update,
    assert_invalid,
    assert_problem,
    create,
    future_day,
    ok,
    post_update,
    read,
    revisions,
    timeline_entry_count,
    today,
)

ENTRY_FIELDS = {"occurred_on", "status", "note", "evidence_url", "recorded_at", "recorded_by"}


def test_an_update_moves_the_status_and_adds_an_entry_to_the_timeline(
    client: TestClient, admin: User, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    response = post_update(
        client,
        admin_headers,
        created["id"],
        {
            "status": "in_progress",
            "occurred_on": "2026-01-15",
            "note": "The ministry opened a consultation on the wage order.",
            "evidence_url": "https://example.org/consultation-notice",
        },
    )

    updated = ok(response)
    assert updated["status"] == "in_progress"
    assert updated["version"] == 2
    assert response.headers["etag"] == '"2"'
    [entry] = updated["timeline"]
    assert entry.keys() == ENTRY_FIELDS
    assert {k: entry[k] for k in ("occurred_on", "status", "note", "evidence_url")} == {
        "occurred_on": "2026-01-15",
        "status": "in_progress",
        "note": "The ministry opened a consultation on the wage order.",
        "evidence_url": "https://example.org/consultation-notice",
    }
    assert entry["recorded_by"] == f"user:{admin.id}"
    assert entry["recorded_at"]
    assert read(client, admin_headers, created["id"]) == updated


def test_an_update_without_a_date_happened_today(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    updated = add_update(client, admin_headers, created["id"])

    [entry] = updated["timeline"]
    assert entry["occurred_on"] == today().isoformat()
    assert (entry["note"], entry["evidence_url"]) == (None, None)


def test_several_updates_are_kept_in_date_order_and_the_latest_sets_the_status(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    steps = [
        ("2025-03-01", "in_progress", "Consultation opened."),
        ("2025-09-01", "partially_implemented", "Wage order covers Peninsular Malaysia."),
        ("2026-02-01", "implemented", "Sabah and Sarawak included."),
    ]

    for occurred_on, status, note in steps:
        add_update(
            client, admin_headers, created["id"], occurred_on=occurred_on, status=status, note=note
        )

    found = read(client, admin_headers, created["id"])
    assert [(e["occurred_on"], e["status"], e["note"]) for e in found["timeline"]] == steps
    assert found["status"] == "implemented"
    assert found["version"] == 4
    recorded = [e["recorded_at"] for e in found["timeline"]]
    assert recorded == sorted(recorded)


def test_an_update_dated_before_the_latest_fills_in_the_past_and_leaves_the_status(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    add_update(client, admin_headers, created["id"], occurred_on="2026-02-01", status="implemented")

    backdated = add_update(
        client, admin_headers, created["id"], occurred_on="2025-03-01", status="in_progress"
    )

    assert backdated["status"] == "implemented"
    assert [(e["occurred_on"], e["status"]) for e in backdated["timeline"]] == [
        ("2025-03-01", "in_progress"),
        ("2026-02-01", "implemented"),
    ]
    assert read(client, admin_headers, created["id"])["timeline"] == backdated["timeline"]


def test_updates_of_the_same_day_count_in_the_order_they_were_posted(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    add_update(client, admin_headers, created["id"], occurred_on="2026-02-01", status="rejected")

    later = add_update(
        client, admin_headers, created["id"], occurred_on="2026-02-01", status="superseded"
    )

    assert later["status"] == "superseded"
    assert [e["status"] for e in later["timeline"]] == ["rejected", "superseded"]


@pytest.mark.parametrize("status", STATUSES)
def test_an_update_may_move_to_any_status_of_the_vocabulary(
    client: TestClient, admin_headers: Headers, status: str
) -> None:
    created = create(client, admin_headers, status="in_progress")

    updated = add_update(client, admin_headers, created["id"], status=status)

    assert updated["status"] == status
    assert [e["status"] for e in updated["timeline"]] == [status]


def test_an_update_keeping_the_status_still_adds_its_entry(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, status="in_progress")

    updated = add_update(client, admin_headers, created["id"], status="in_progress", note="Still.")

    assert updated["status"] == "in_progress"
    assert updated["version"] == 2
    assert [e["note"] for e in updated["timeline"]] == ["Still."]


@pytest.mark.parametrize("status", ["closed", "Implemented", "done", "", None])
def test_an_update_with_a_status_outside_the_vocabulary_is_refused_and_changes_nothing(
    client: TestClient, session: Session, admin_headers: Headers, status: str | None
) -> None:
    created = create(client, admin_headers)

    assert_invalid(post_update(client, admin_headers, created["id"], {"status": status}), "status")

    assert read(client, admin_headers, created["id"]) == created
    assert timeline_entry_count(session) == 0


def test_an_update_without_a_status_is_refused(client: TestClient, admin_headers: Headers) -> None:
    created = create(client, admin_headers)

    assert_invalid(post_update(client, admin_headers, created["id"], {"note": "Hm."}), "status")
    assert read(client, admin_headers, created["id"]) == created


def test_an_update_dated_in_the_future_is_refused_naming_occurred_on(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    for day in (future_day(), (today() + timedelta(days=2)).isoformat()):
        response = post_update(
            client, admin_headers, created["id"], {"status": "implemented", "occurred_on": day}
        )
        assert_invalid(response, "occurred_on")

    assert read(client, admin_headers, created["id"]) == created
    assert timeline_entry_count(session) == 0


def test_an_update_dated_long_ago_or_yesterday_is_accepted(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    yesterday = (today() - timedelta(days=1)).isoformat()

    add_update(client, admin_headers, created["id"], occurred_on=LONG_AGO)
    updated = add_update(client, admin_headers, created["id"], occurred_on=yesterday)

    assert [e["occurred_on"] for e in updated["timeline"]] == [LONG_AGO, yesterday]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_on", "15/01/2026"),
        ("occurred_on", "2026-02-30"),
        ("evidence_url", "not a url"),
        ("evidence_url", "ftp://example.org/file"),
        ("note", "x" * 5001),
        ("recorded_by", "system"),
        ("position", 0),
    ],
)
def test_an_update_with_a_field_it_cannot_take_is_refused_naming_it(
    client: TestClient, session: Session, admin_headers: Headers, field: str, value: object
) -> None:
    created = create(client, admin_headers)

    response = post_update(
        client, admin_headers, created["id"], {"status": "in_progress", field: value}
    )

    assert_invalid(response, field)
    assert read(client, admin_headers, created["id"]) == created
    assert timeline_entry_count(session) == 0


def test_each_update_leaves_a_revision_holding_the_timeline_so_far(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    add_update(client, admin_headers, created["id"], status="in_progress", note="First.")
    add_update(client, admin_headers, created["id"], status="rejected", note="Second.")

    history = revisions(client, admin_headers, created["id"])

    assert [r["version"] for r in history] == [3, 2, 1]
    assert [r["action"] for r in history] == ["updated", "updated", "created"]
    assert [[e["note"] for e in r["snapshot"]["timeline"]] for r in history] == [
        ["First.", "Second."],
        ["First."],
        [],
    ]
    assert [r["snapshot"]["status"] for r in history] == ["rejected", "in_progress", "open"]
    assert {"status", "timeline"} <= set(history[0]["changed_fields"])


def test_a_patch_keeps_the_timeline_and_the_status(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    updated = add_update(client, admin_headers, created["id"], status="partially_implemented")

    changed = ok(
        client.patch(
            f"{RECOMMENDATIONS}/{created['id']}", json={"priority": "high"}, headers=admin_headers
        )
    )

    assert changed["timeline"] == updated["timeline"]
    assert changed["status"] == "partially_implemented"


def test_a_deleted_and_restored_recommendation_keeps_its_timeline(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    updated = add_update(client, admin_headers, created["id"], note="Kept.")
    path = f"{RECOMMENDATIONS}/{created['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204

    restored = ok(client.post(f"{path}/restore", headers=admin_headers))

    assert restored["timeline"] == updated["timeline"]
    assert restored["status"] == "in_progress"


def test_an_update_to_an_id_that_does_not_exist_is_404(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    assert_problem(post_update(client, admin_headers, NOBODY, {"status": "implemented"}), 404)
    assert timeline_entry_count(session) == 0


# ---- If-Match and Idempotency-Key ------------------------------------------------------------


def test_an_update_with_the_current_if_match_is_accepted(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)

    response = post_update(
        client, admin_headers, created["id"], {"status": "in_progress"}, **{"If-Match": '"1"'}
    )

    assert ok(response)["status"] == "in_progress"
    assert response.headers["etag"] == '"2"'


def test_an_update_with_a_stale_if_match_is_refused_and_changes_nothing(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    first = add_update(client, admin_headers, created["id"], status="in_progress")

    stale = post_update(
        client, admin_headers, created["id"], {"status": "implemented"}, **{"If-Match": '"1"'}
    )

    assert_problem(stale, 412)
    assert read(client, admin_headers, created["id"]) == first
    assert timeline_entry_count(session) == 1


def test_an_update_retried_with_its_idempotency_key_is_replayed_not_added_again(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    entry = {"status": "implemented", "occurred_on": "2026-01-15", "note": "Done."}
    key = {"Idempotency-Key": "nightly-2026-01-15-1"}

    first = post_update(client, admin_headers, created["id"], entry, **key)
    replay = post_update(client, admin_headers, created["id"], entry, **key)

    assert ok(first)["status"] == "implemented"
    assert "idempotent-replayed" not in first.headers
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers["etag"] == first.headers["etag"] == '"2"'
    assert timeline_entry_count(session) == 1
    assert len(read(client, admin_headers, created["id"])["timeline"]) == 1
    assert len(revisions(client, admin_headers, created["id"])) == 2


def test_the_same_idempotency_key_with_another_update_is_refused(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    key = {"Idempotency-Key": "nightly-2026-01-15-2"}
    ok(post_update(client, admin_headers, created["id"], {"status": "in_progress"}, **key))

    other = post_update(client, admin_headers, created["id"], {"status": "rejected"}, **key)

    assert_problem(other, 422)
    assert read(client, admin_headers, created["id"])["status"] == "in_progress"
    assert timeline_entry_count(session) == 1


def test_a_refused_update_frees_its_idempotency_key(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers)
    key = {"Idempotency-Key": "nightly-2026-01-15-3"}
    entry = {"status": "in_progress", "occurred_on": future_day()}
    assert_invalid(post_update(client, admin_headers, created["id"], entry, **key), "occurred_on")

    retried = post_update(
        client, admin_headers, created["id"], {**entry, "occurred_on": LONG_AGO}, **key
    )

    assert ok(retried)["status"] == "in_progress"


def test_idempotency_keys_are_scoped_to_the_caller(
    client: TestClient,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
) -> None:
    partner = headers_of("partner")
    created = create(client, admin_headers)
    entry = {"status": "in_progress", "occurred_on": LONG_AGO}
    key = {"Idempotency-Key": "same-key"}

    ok(post_update(client, admin_headers, created["id"], entry, **key))
    second = post_update(client, partner, created["id"], entry, **key)

    assert "idempotent-replayed" not in second.headers
    assert len(ok(second)["timeline"]) == 2
    assert timeline_entry_count(session) == 2
