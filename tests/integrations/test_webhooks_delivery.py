"""Deliveries: the feed's thin events, signed (Standard Webhooks), each received at least once,
retried with backoff, given up on, stopped by 410 Gone."""

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from standardwebhooks import Webhook
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings
from app.core.db import create_db_engine
from app.identity.models import Organisation
from app.integrations.webhooks import delivery
from app.integrations.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.activities.helpers import LAWS, create_agreement, create_law
from tests.api import ok
from tests.integrations.helpers import feed
from tests.integrations.webhooks import (
    WEBHOOKS,
    Headers,
    Receiver,
    attempts,
    drain,
    subscribe,
    webhook_settings,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return webhook_settings(database_url, webhook_max_attempts=3)


def verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Each body received, checked against its signature as a receiver would."""
    return [Webhook(secret).verify(request.body, request.headers) for request in receiver.requests]


def deliveries(session: Session) -> list[WebhookDelivery]:
    statement = select(WebhookDelivery).order_by(col(WebhookDelivery.created_at))
    return list(session.exec(statement.execution_options(populate_existing=True)))


def make_due(session: Session) -> None:
    """As if the time each pending delivery waits for had come."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    session.execute(sa.update(WebhookDelivery).values(next_attempt_at=past))


def test_a_change_is_delivered_signed_as_the_event_the_feed_lists(
    app: FastAPI,
    client: TestClient,
    admin_headers: Headers,
    partner_headers: Headers,
    receiver: Receiver,
) -> None:
    webhook = subscribe(client, partner_headers, receiver.url, "law.created")
    create_law(client, admin_headers)

    drain(app)

    [event] = verified(receiver, webhook["secret"])
    [listed] = feed(client, partner_headers)["items"]
    assert event == {"type": "law.created", "timestamp": listed["occurred_at"], "data": listed}
    [request] = receiver.requests
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    [attempt] = attempts(client, partner_headers, webhook["id"])
    assert attempt["webhook_id"] == request.headers["webhook-id"]
    assert (attempt["event_type"], attempt["status_code"], attempt["error"]) == (
        "law.created",
        204,
        None,
    )
    assert attempt["latency_ms"] >= 0


def test_nothing_is_sent_when_subscribing_nor_of_changes_made_before(
    app: FastAPI, client: TestClient, admin_headers: Headers, receiver: Receiver
) -> None:
    create_law(client, admin_headers)
    subscribe(client, admin_headers, receiver.url)
    drain(app)
    assert receiver.requests == []

    later = create_agreement(client, admin_headers)
    drain(app)

    assert [json.loads(r.body)["data"]["id"] for r in receiver.requests] == [later]


def test_only_the_event_types_subscribed_to_are_delivered(
    app: FastAPI, client: TestClient, admin_headers: Headers, receiver: Receiver
) -> None:
    subscribe(client, admin_headers, receiver.url, "law.updated", "agreement.created")
    law = create_law(client, admin_headers)
    ok(client.patch(f"{LAWS}/{law}", json={"status": "repealed"}, headers=admin_headers))
    create_agreement(client, admin_headers)

    drain(app)

    assert [json.loads(r.body)["type"] for r in receiver.requests] == [
        "law.updated",
        "agreement.created",
    ]


def test_an_organisation_is_told_only_of_changes_its_feed_would_show(
    app: FastAPI,
    client: TestClient,
    admin_headers: Headers,
    partner_headers: Headers,
    receiver: Receiver,
) -> None:
    partners = subscribe(client, partner_headers, receiver.url)
    secretariat = subscribe(client, admin_headers, receiver.url)
    hidden = create_law(client, admin_headers, visibility="restricted")
    shared = create_law(client, admin_headers, title="Shared act")

    drain(app)

    def told(webhook: dict[str, Any]) -> list[str]:
        secret = Webhook(webhook["secret"])
        ids = []
        for request in receiver.requests:
            try:
                ids.append(secret.verify(request.body, request.headers)["data"]["id"])
            except Exception:  # noqa: S112 - signed for the other subscription
                continue
        return ids

    assert told(partners) == [shared]
    assert sorted(told(secretariat)) == sorted([hidden, shared])
    assert [item["id"] for item in feed(client, partner_headers)["items"]] == [shared]


def test_a_deactivated_organisation_is_sent_nothing_until_it_is_active_again(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
    partner_organisation: Organisation,
    receiver: Receiver,
) -> None:
    """As its tokens stop reading the moment it is deactivated, so do its webhooks: neither
    what was queued for it before nor what happens meanwhile is sent."""
    subscribe(client, partner_headers, receiver.url)
    queued_before = create_law(client, admin_headers, title="Queued before")
    receiver.answer(500)
    drain(app)
    assert len(receiver.requests) == 1
    receiver.answer(204)

    def set_active(active: bool) -> None:
        session.execute(
            sa.update(Organisation)
            .where(col(Organisation.id) == partner_organisation.id)
            .values(is_active=active)
        )

    set_active(False)
    meanwhile = create_law(client, admin_headers, title="Made meanwhile")
    make_due(session)
    drain(app)

    assert len(receiver.requests) == 1
    assert {d.status for d in deliveries(session)} == {DeliveryStatus.pending}

    set_active(True)
    make_due(session)
    drain(app)

    sent = [json.loads(r.body)["data"]["id"] for r in receiver.requests[1:]]
    assert sorted(sent) == sorted([queued_before, meanwhile])


def test_a_failed_delivery_is_retried_later_with_the_same_id_until_received(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    receiver.answer(500)

    drain(app)
    [waiting] = deliveries(session)
    drain(app)  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    assert waiting.status is DeliveryStatus.pending
    [failed] = attempts(client, admin_headers, webhook["id"])
    wait = waiting.next_attempt_at - datetime.fromisoformat(failed["attempted_at"])
    base = app.state.settings.webhook_backoff_base_seconds
    assert timedelta(0) < wait <= timedelta(seconds=base + 5)  # the attempt took a moment

    make_due(session)
    drain(app)

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    [delivered] = deliveries(session)
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.delivered, 2)
    assert [a["status_code"] for a in attempts(client, admin_headers, webhook["id"])] == [204, 500]


def test_a_delivery_is_given_up_after_the_attempts_the_settings_allow(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    for _ in range(4):
        receiver.answer(503)

    for _ in range(4):
        drain(app)
        make_due(session)

    assert len(receiver.requests) == 3
    [given_up] = deliveries(session)
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.failed, 3)


def test_410_gone_turns_the_subscription_off(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    receiver.answer(410)

    drain(app)
    create_agreement(client, admin_headers)
    make_due(session)
    drain(app)

    assert len(receiver.requests) == 1
    read = ok(client.get(f"{WEBHOOKS}/{webhook['id']}", headers=admin_headers))
    assert read["active"] is False
    assert "410" in read["disabled_reason"]
    assert [d.status for d in deliveries(session)] == [DeliveryStatus.failed]


def test_retry_after_in_seconds_sets_when_the_next_attempt_is_made(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    receiver.answer(429, retry_after="7200")

    drain(app)

    [waiting] = deliveries(session)
    wait = waiting.next_attempt_at - datetime.now(UTC)
    assert timedelta(seconds=7100) < wait <= timedelta(seconds=7200)


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)

    assert delivery.retry_after_seconds("120", now) == 120
    assert delivery.retry_after_seconds("Wed, 02 Dec 2026 01:10:00 GMT", now) == 600
    assert delivery.retry_after_seconds("Wed, 02 Dec 2026 00:50:00 GMT", now) == 0
    assert delivery.retry_after_seconds("soon", now) is None
    assert delivery.retry_after_seconds(None, now) is None


def test_backoff_doubles_with_each_attempt_up_to_the_cap_with_full_jitter(
    settings: Settings,
) -> None:
    capped = settings.model_copy(
        update={"webhook_backoff_base_seconds": 10, "webhook_backoff_max_seconds": 60}
    )

    ceilings = [delivery.backoff_seconds(n, capped, rng=lambda: 1.0) for n in range(1, 6)]

    assert ceilings == [10, 20, 40, 60, 60]
    assert delivery.backoff_seconds(3, capped, rng=lambda: 0.25) == 10


def test_a_worker_dying_between_send_and_record_leads_to_a_resend_with_the_same_id(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    engine = app.state.engine
    delivery.fan_out(engine, url_for=delivery.links(settings))
    claimed = delivery.claim(engine, settings=settings, due_by=datetime.now(UTC))
    assert claimed is not None
    with delivery.new_client(settings) as http:
        delivery.send(claimed, settings=settings, client=http)
    # The worker dies here, before recording the outcome.

    drain(app)
    assert len(receiver.requests) == 1  # the claim still holds
    make_due(session)  # as once the lease has run out
    drain(app)

    assert receiver.ids() == [claimed.delivery_id, claimed.delivery_id]
    [delivered] = deliveries(session)
    assert delivered.status is DeliveryStatus.delivered
    assert len(verified(receiver, webhook["secret"])) == 2


def test_two_workers_draining_one_backlog_send_each_delivery_once(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    admin_headers: Headers,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    senders: list[str] = []
    send = delivery.send

    def send_noting_who(claimed: delivery.Claim, **options: Any) -> delivery.Outcome:
        senders.append(threading.current_thread().name)
        return send(claimed, **options)

    monkeypatch.setattr(delivery, "send", send_noting_who)
    receiver.delay_seconds = 0.01  # so that the two workers' sends overlap
    for _ in range(3):
        subscribe(client, admin_headers, receiver.url)
    for n in range(12):
        create_agreement(client, admin_headers, title=f"MOU {n}")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        engine = create_db_engine(settings)
        try:
            start.wait(timeout=10)
            delivery.work(engine, settings=settings, once=True, stop=threading.Event())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            engine.dispose()

    workers = [threading.Thread(target=work, name=f"worker-{n}") for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors

    ids = receiver.ids()
    assert len(ids) == 36
    assert len(set(ids)) == 36
    assert set(senders) == {"worker-0", "worker-1"}
    assert {d.status for d in deliveries(session)} == {DeliveryStatus.delivered}


def test_a_test_event_is_sent_on_request_through_the_queue(
    app: FastAPI, client: TestClient, admin_headers: Headers, receiver: Receiver
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)

    queued = ok(client.post(f"{WEBHOOKS}/{webhook['id']}/test", headers=admin_headers), 202)
    assert receiver.requests == []
    drain(app)

    [event] = verified(receiver, webhook["secret"])
    assert event["type"] == "webhook.test"
    assert event["data"] == {"subscription_id": webhook["id"]}
    assert receiver.ids() == [queued["webhook_id"]]


def test_deliveries_are_signed_with_the_secret_in_force_when_sent(
    app: FastAPI, client: TestClient, admin_headers: Headers, receiver: Receiver
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    rotated = ok(client.post(f"{WEBHOOKS}/{webhook['id']}/rotate-secret", headers=admin_headers))

    drain(app)

    assert len(verified(receiver, rotated["secret"])) == 1
    with pytest.raises(Exception, match="signature"):
        verified(receiver, webhook["secret"])


def test_caucus_worker_once_sends_what_is_due_and_exits(
    client: TestClient,
    database_url: str,
    admin_headers: Headers,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)
    create_law(client, admin_headers)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        result = CliRunner().invoke(
            cli,
            ["worker", "--once"],
            env={
                "CAUCUS_DATABASE_URL": database_url,
                "CAUCUS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
            },
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    assert result.exit_code == 0, result.output
    [event] = verified(receiver, webhook["secret"])
    assert event["type"] == "law.created"


def test_a_ratification_s_delivery_links_to_its_country_and_instrument(
    app: FastAPI, client: TestClient, admin_headers: Headers, receiver: Receiver
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url, "ratification.created")
    ok(
        client.put(
            "/api/v1/ratifications/PH/C189", json={"status": "in_force"}, headers=admin_headers
        ),
        201,
    )

    drain(app)

    [event] = verified(receiver, webhook["secret"])
    assert event["data"]["link"] == "http://testserver/api/v1/ratifications/PH/C189"
    assert ok(client.get(event["data"]["link"], headers=admin_headers))["id"] == event["data"]["id"]


def test_a_running_worker_delivers_changes_as_they_are_made_until_stopped(
    app: FastAPI,
    client: TestClient,
    settings: Settings,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    subscribe(client, admin_headers, receiver.url)
    stop = threading.Event()
    polling = settings.model_copy(update={"webhook_poll_seconds": 0.02})
    worker = threading.Thread(
        target=delivery.work,
        args=(app.state.engine,),
        kwargs={"settings": polling, "once": False, "stop": stop},
    )
    worker.start()
    try:
        made = [create_law(client, admin_headers, title=f"Act {n}") for n in range(2)]
        deadline = time.monotonic() + 10
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)

    assert not worker.is_alive()
    assert [json.loads(r.body)["data"]["id"] for r in receiver.requests] == made


def test_deliveries_finished_longer_ago_than_the_log_keeps_are_forgotten_with_their_attempts(
    app: FastAPI,
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    webhook = subscribe(client, admin_headers, receiver.url)
    for title in ("Received long ago", "Given up long ago", "Received lately", "Still trying"):
        create_law(client, admin_headers, title=title)
    receiver.answer(204)
    drain(app)
    old, given_up, recent, pending = deliveries(session)
    days = app.state.settings.webhook_log_days
    long_ago = datetime.now(UTC) - timedelta(days=days, minutes=1)
    for delivery_, status in (
        (old, DeliveryStatus.delivered),
        (given_up, DeliveryStatus.failed),
        (pending, DeliveryStatus.pending),
    ):
        session.execute(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_.id)
            .values(created_at=long_ago, status=status)
        )

    assert delivery.prune(app.state.engine, settings=app.state.settings) == 2

    assert {d.id for d in deliveries(session)} == {recent.id, pending.id}
    logged = {a["webhook_id"] for a in attempts(client, admin_headers, webhook["id"])}
    assert logged == {recent.id, pending.id}
    assert delivery.prune(app.state.engine, settings=app.state.settings) == 0
