"""Idempotency-Key on POST: a replay gets the first response and creates nothing; keys belong to
their caller, are released by a failed request, forgotten after a day, and a duplicate sent
while the first is still being handled is refused with 409."""

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.agreements import service as agreements
from app.agreements.models import AgreementCreate
from app.core.db import utcnow
from app.core.errors import ConflictError
from app.identity.models import User
from app.records import idempotency
from app.records.models import IdempotencyKey
from tests.records.helpers import (
    AGREEMENTS,
    actor_of,
    agreements_titled,
    at_once,
    body,
    live_server,
    ok,
    problem,
    table_of,
)

RACE_ROUNDS = 5
KEYS = table_of(IdempotencyKey)


def _post(client: Any, headers: dict[str, str], key: str, payload: bytes) -> httpx2.Response:
    response: httpx2.Response = client.post(
        AGREEMENTS,
        content=payload,
        headers={**headers, "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    return response


def _payload(**overrides: Any) -> bytes:
    return json.dumps(body(**overrides)).encode()


def _claim_of(user: User, payload: bytes, **fields: Any) -> IdempotencyKey:
    """The claim a request of `user` posting `payload` with `key-1` holds while it runs."""
    return IdempotencyKey(
        caller=f"user:{user.id}",
        key="key-1",
        fingerprint=idempotency.fingerprint("POST", AGREEMENTS, payload),
        expires_at=utcnow() + timedelta(hours=24),
        **fields,
    )


def _stored_keys(session: Session) -> list[Any]:
    return list(session.execute(sa.select(KEYS)))


def test_a_replay_returns_the_first_response_and_creates_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    payload = _payload(title="Sent twice")
    first = _post(client, admin_headers, "key-1", payload)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    replay = _post(client, admin_headers, "key-1", payload)

    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    for header in ("content-type", "location", "etag"):
        assert replay.headers[header] == first.headers[header]
    assert agreements_titled(session, "Sent twice") == 1


def test_the_same_key_with_another_body_is_422_and_creates_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    ok(_post(client, admin_headers, "key-1", _payload(title="First")), 201)

    response = _post(client, admin_headers, "key-1", _payload(title="Second"))

    problem(response, 422)
    assert agreements_titled(session, "Second") == 0
    assert agreements_titled(session, "First") == 1
    # The key still answers for its own request.
    replay = _post(client, admin_headers, "key-1", _payload(title="First"))
    assert replay.headers["idempotent-replayed"] == "true"


def test_another_caller_using_the_same_key_is_independent(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    admin: User,
    editor: User,
) -> None:
    payload = _payload(title="Two callers")
    by_admin = ok(_post(client, admin_headers, "shared-key", payload), 201)

    response = _post(client, editor_headers, "shared-key", payload)

    by_editor = ok(response, 201)
    assert "idempotent-replayed" not in response.headers
    assert by_editor["id"] != by_admin["id"]
    assert by_editor["created_by"] == f"user:{editor.id}"
    assert agreements_titled(session, "Two callers") == 2
    # Each caller's key still replays that caller's own first response.
    assert ok(_post(client, admin_headers, "shared-key", payload), 201) == by_admin
    assert ok(_post(client, editor_headers, "shared-key", payload), 201) == by_editor
    assert {row.caller for row in _stored_keys(session)} == {
        f"user:{admin.id}",
        f"user:{editor.id}",
    }


@pytest.mark.parametrize(
    "broken",
    [
        {"title": ""},  # refused by the schema
        {"signed_on": "2020-01-01", "expires_on": "2019-01-01"},  # refused by the service
    ],
    ids=["schema", "rule"],
)
def test_a_failed_request_releases_its_key(
    client: TestClient, session: Session, admin_headers: dict[str, str], broken: dict[str, str]
) -> None:
    problem(_post(client, admin_headers, "key-1", _payload(**broken)), 422)
    assert _stored_keys(session) == []

    response = _post(client, admin_headers, "key-1", _payload(title="Corrected"))

    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert agreements_titled(session, "Corrected") == 1


def test_a_key_is_kept_for_a_day_and_forgotten_after(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    payload = _payload(title="Sent again next week")
    first = ok(_post(client, admin_headers, "key-1", payload), 201)
    (stored,) = _stored_keys(session)
    assert timedelta(hours=23, minutes=59) < stored.expires_at - utcnow() <= timedelta(hours=24)
    session.execute(sa.update(KEYS).values(expires_at=utcnow() - timedelta(seconds=1)))

    response = _post(client, admin_headers, "key-1", payload)

    again = ok(response, 201)
    assert "idempotent-replayed" not in response.headers
    assert again["id"] != first["id"]
    assert agreements_titled(session, "Sent again next week") == 2


def test_a_duplicate_of_a_request_still_in_progress_is_409_and_creates_nothing(
    client: TestClient, session: Session, admin: User, admin_headers: dict[str, str]
) -> None:
    payload = _payload(title="Still in progress")
    in_progress = _claim_of(admin, payload)
    session.add(in_progress)
    session.commit()

    response = _post(client, admin_headers, "key-1", payload)

    problem(response, 409)
    assert agreements_titled(session, "Still in progress") == 0
    # The first request's claim is left alone: it will store its own response.
    (stored,) = _stored_keys(session)
    assert (stored.caller, stored.key, stored.status_code) == (f"user:{admin.id}", "key-1", None)


def test_of_two_identical_requests_at_once_one_creates_and_the_other_is_409_or_a_replay(
    app: FastAPI, session: Session, admin_headers: dict[str, str]
) -> None:
    with live_server(app) as base_url:
        for round_number in range(RACE_ROUNDS):
            title = f"Posted twice at once, round {round_number}"
            payload = _payload(title=title)
            key = str(uuid.uuid4())

            def send(http: httpx2.Client, key: str = key, payload: bytes = payload) -> Any:
                return _post(http, admin_headers, key, payload)

            responses = at_once(base_url, send, send)

            fresh = [r for r in responses if "idempotent-replayed" not in r.headers]
            replays = [r for r in responses if "idempotent-replayed" in r.headers]
            statuses = sorted(r.status_code for r in fresh)
            assert statuses in ([201], [201, 409]), [r.text for r in responses]
            created = next(r for r in fresh if r.status_code == 201)
            for replay in replays:
                assert replay.status_code == 201
                assert replay.content == created.content
            assert agreements_titled(session, title) == 1


def test_a_response_read_after_the_write_is_stored_and_replayed(
    client: TestClient, reference: None, headers_of: Any
) -> None:
    """A report shown to its authors is read again after its write (for withdrawn consents),
    which on SQLite opened a transaction the store of the response had to wait for."""
    partner = {**headers_of("partner-api-token"), "Idempotency-Key": "report-1"}
    report = {"title": "Visit", "country": "MY", "start_date": "2026-03-10"}
    first = client.post("/api/v1/field-visits", json=report, headers=partner)
    assert first.status_code == 201, first.text

    replay = client.post("/api/v1/field-visits", json=report, headers=partner)

    assert replay.status_code == 201, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content


def test_idempotent_creates_at_once_are_all_created_and_stored_for_replay(
    app: FastAPI, session: Session, admin_headers: dict[str, str]
) -> None:
    """On SQLite, storing a response read its key, then wrote it, in a transaction begun
    without the write lock: a writer committing between the two made it fail at once with
    "database is locked", a 503 for a record already created, its key left in progress."""
    writers = 8
    with live_server(app) as base_url:
        for round_number in range(RACE_ROUNDS):
            keys = [f"round-{round_number}-writer-{n}" for n in range(writers)]

            def send(http: httpx2.Client, key: str) -> Any:
                return _post(http, admin_headers, key, _payload(title=key))

            responses = at_once(base_url, *(lambda h, k=k: send(h, k) for k in keys))

            assert [r.status_code for r in responses] == [201] * writers, [
                r.text for r in responses if r.status_code != 201
            ]
    stored = {row.key: row.status_code for row in _stored_keys(session)}
    assert len(stored) == writers * RACE_ROUNDS
    assert set(stored.values()) == {201}


def test_a_write_whose_response_was_not_stored_is_sent_and_a_retry_is_answered_from_its_record(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database failing between the write's commit and the store of its response, or the
    server dying there, once left the key in progress for a day: every retry a 409."""
    payload = _payload(title="Written, response lost")

    def database_gone(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.OperationalError("UPDATE idempotency_keys", {}, Exception("gone"))

    monkeypatch.setattr(idempotency, "remember", database_gone)
    first = _post(client, admin_headers, "key-1", payload)
    monkeypatch.undo()

    assert first.status_code == 201, first.text
    (stored,) = _stored_keys(session)
    assert stored.status_code is None
    assert (stored.record_type, stored.record_id) == ("agreement", uuid.UUID(first.json()["id"]))

    retry = _post(client, admin_headers, "key-1", payload)

    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    for header in ("location", "etag"):
        assert retry.headers[header] == first.headers[header]
    assert agreements_titled(session, "Written, response lost") == 1


def test_a_claim_left_by_a_request_that_died_before_writing_is_taken_over_once_abandoned(
    client: TestClient, session: Session, admin: User, admin_headers: dict[str, str]
) -> None:
    payload = _payload(title="First attempt died")
    abandoned = _claim_of(
        admin, payload, created_at=utcnow() - idempotency.ABANDONED_AFTER - timedelta(seconds=1)
    )
    session.add(abandoned)
    session.commit()

    response = _post(client, admin_headers, "key-1", payload)

    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert agreements_titled(session, "First attempt died") == 1
    (stored,) = _stored_keys(session)
    assert stored.status_code == 201
    assert stored.attempt != abandoned.attempt
    assert stored.record_id == uuid.UUID(response.json()["id"])
    replay = _post(client, admin_headers, "key-1", payload)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == response.content


def test_a_write_whose_claim_a_retry_took_over_is_refused_and_writes_nothing(
    app: FastAPI, session: Session, admin: User
) -> None:
    taken_over = IdempotencyKey(
        caller=f"user:{admin.id}", key="key-1", fingerprint="f", expires_at=utcnow()
    )
    session.add(taken_over)
    session.commit()
    # The dead attempt's claim: the same key, an attempt the retry has since replaced.
    stale = IdempotencyKey(
        caller=taken_over.caller, key="key-1", fingerprint="f", expires_at=utcnow()
    )

    with (
        Session(app.state.writing_engine) as writing,
        idempotency.attempting(stale, "agreement"),
        pytest.raises(ConflictError),
    ):
        agreements.create_agreement(
            writing,
            actor=actor_of(admin),
            data=AgreementCreate.model_validate(body(title="Late write")),
        )

    assert agreements_titled(session, "Late write") == 0
    (stored,) = _stored_keys(session)
    assert stored.record_id is None
