"""Registering webhooks: an organisation's own, the secret shown once, the delivery log."""

import base64
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from standardwebhooks import Webhook

from app.core.config import Settings
from app.integrations.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.activities.helpers import create_law
from tests.api import assert_invalid, assert_problem, ok
from tests.integrations.webhooks import (
    WEBHOOKS,
    Headers,
    Receiver,
    attempts,
    drain,
    subscribe,
    webhook_settings,
)

URL = "https://partner.example.org/caucus/hooks"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return webhook_settings(database_url)


def test_the_secret_is_standard_webhooks_and_shown_only_when_made_or_rotated(
    client: TestClient, partner_headers: Headers
) -> None:
    created = subscribe(client, partner_headers, URL, "law.created", "field_visit.published")
    path = f"{WEBHOOKS}/{created['id']}"

    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    Webhook(secret)  # accepted by the package receivers verify with
    assert created["event_types"] == ["law.created", "field_visit.published"]
    assert created["active"] is True
    read = ok(client.get(path, headers=partner_headers))
    assert "secret" not in read
    assert read == {key: value for key, value in created.items() if key != "secret"}
    [listed] = ok(client.get(WEBHOOKS, headers=partner_headers))["items"]
    assert "secret" not in listed
    rotated = ok(client.post(f"{path}/rotate-secret", headers=partner_headers))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != secret


def test_a_webhook_is_its_organisation_s_alone(
    client: TestClient,
    partner_headers: Headers,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
) -> None:
    own = subscribe(client, partner_headers, URL)
    path = f"{WEBHOOKS}/{own['id']}"

    for other in (admin_headers, headers_of("reader")):
        assert ok(client.get(WEBHOOKS, headers=other))["items"] == []
        assert_problem(client.get(path, headers=other), 404)
        assert_problem(client.patch(path, json={"active": False}, headers=other), 404)
        assert_problem(client.post(f"{path}/rotate-secret", headers=other), 404)
        assert_problem(client.post(f"{path}/test", headers=other), 404)
        assert_problem(client.get(f"{path}/deliveries", headers=other), 404)
        assert_problem(client.delete(path, headers=other), 404)
    # A colleague in the same organisation manages it too.
    colleague = headers_of("partner-api-token")
    assert ok(client.get(path, headers=colleague))["id"] == own["id"]


def test_reading_records_is_enough_to_register_one(
    client: TestClient, headers_of: Callable[[str], Headers]
) -> None:
    reader = headers_of("reader")

    created = subscribe(client, reader, URL)

    assert ok(client.get(f"{WEBHOOKS}/{created['id']}", headers=reader))["url"] == URL


@pytest.mark.parametrize(
    "event_types",
    [[], ["law.archived"], ["treaty.created"], ["law"], ["law.*"], [""], ["webhook.test"]],
)
def test_event_types_must_be_a_record_type_and_action_or_every_one(
    client: TestClient, partner_headers: Headers, event_types: list[str]
) -> None:
    response = client.post(
        WEBHOOKS, json={"url": URL, "event_types": event_types}, headers=partner_headers
    )

    problem = assert_problem(response, 422)
    assert all(error["location"][:2] == ["body", "event_types"] for error in problem["errors"])


def test_a_webhook_is_changed_and_deleted_with_its_deliveries(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    receiver: Receiver,
    app: FastAPI,
) -> None:
    created = subscribe(client, admin_headers, receiver.url)
    path = f"{WEBHOOKS}/{created['id']}"
    create_law(client, admin_headers)
    drain(app)

    changed = ok(
        client.patch(
            path,
            json={"event_types": ["law.deleted", "law.deleted"], "active": False},
            headers=admin_headers,
        )
    )
    assert (changed["event_types"], changed["active"]) == (["law.deleted"], False)
    assert_invalid(client.patch(path, json={"url": None}, headers=admin_headers), "url")
    assert_invalid(client.patch(path, json={"color": "red"}, headers=admin_headers), "color")

    assert client.delete(path, headers=admin_headers).status_code == 204
    assert_problem(client.get(path, headers=admin_headers), 404)
    for model in (WebhookDelivery, WebhookAttempt):
        assert session.exec(select(func.count()).select_from(model)).one() == 0


def test_the_delivery_log_is_paged_newest_first(
    client: TestClient, admin_headers: Headers, receiver: Receiver, app: FastAPI
) -> None:
    created = subscribe(client, admin_headers, receiver.url)
    for title in ("First act", "Second act", "Third act"):
        create_law(client, admin_headers, title=title)
    drain(app)
    path = f"{WEBHOOKS}/{created['id']}/deliveries"

    first = client.get(path, params={"limit": 2}, headers=admin_headers)
    page = ok(first)
    rest = ok(client.get(path, params={"cursor": page["next_cursor"]}, headers=admin_headers))

    assert 'rel="next"' in first.headers["link"]
    paged = [attempt["webhook_id"] for attempt in page["items"] + rest["items"]]
    assert rest["next_cursor"] is None
    assert paged == list(reversed(receiver.ids()))
    assert paged == [a["webhook_id"] for a in attempts(client, admin_headers, created["id"])]


def test_a_test_event_is_refused_while_the_webhook_is_off(
    client: TestClient, admin_headers: Headers
) -> None:
    created = subscribe(client, admin_headers, URL, active=False)

    assert_problem(client.post(f"{WEBHOOKS}/{created['id']}/test", headers=admin_headers), 409)
