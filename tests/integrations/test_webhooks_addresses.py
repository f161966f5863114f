"""Where webhooks may point: https in production, never the service's own network, checked when
registered and again when sent. Literal addresses and `localhost` only: no network needed."""

import base64
import socket
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.core.config import Settings
from app.integrations.webhooks import addresses, delivery
from app.integrations.webhooks.addresses import RefusedAddressError, check_url
from tests.activities.helpers import create_law
from tests.api import assert_invalid, ok
from tests.integrations.webhooks import (
    WEBHOOKS,
    Headers,
    Receiver,
    attempts,
    drain,
    subscribe,
    webhook_settings,
)

# Global unicast addresses, as a public receiver's would be.
PUBLIC = ("https://93.184.215.14/hooks", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h")
REFUSED = (
    "http://127.0.0.1:8000/hooks",
    "http://localhost/hooks",
    "http://[::1]/hooks",
    "http://10.1.2.3/hooks",
    "http://172.16.0.9/hooks",
    "http://192.168.1.20/hooks",
    "http://100.64.0.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/hooks",
    "http://224.0.0.251/hooks",
    "http://0.0.0.0/hooks",
    "http://[::]/hooks",
    "http://240.0.0.1/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The settings deployments have: private addresses refused."""
    return webhook_settings(database_url, webhook_allow_private_addresses=False)


@pytest.mark.parametrize("url", REFUSED)
def test_a_private_loopback_link_local_or_metadata_address_is_refused_by_name(
    client: TestClient, partner_headers: Headers, url: str
) -> None:
    response = client.post(
        WEBHOOKS, json={"url": url, "event_types": ["*"]}, headers=partner_headers
    )

    assert_invalid(response, "url")
    assert url not in response.text


@pytest.mark.parametrize("url", PUBLIC)
def test_a_public_address_is_accepted(
    client: TestClient, partner_headers: Headers, url: str
) -> None:
    assert subscribe(client, partner_headers, url)["url"] == url


def test_a_change_of_url_is_checked_too(client: TestClient, partner_headers: Headers) -> None:
    created = subscribe(client, partner_headers, PUBLIC[0])

    response = client.patch(
        f"{WEBHOOKS}/{created['id']}",
        json={"url": "http://169.254.169.254/"},
        headers=partner_headers,
    )

    assert_invalid(response, "url")


def test_the_setting_allows_this_machine_for_development(settings: Settings) -> None:
    allowed = settings.model_copy(update={"webhook_allow_private_addresses": True})

    for url in REFUSED:
        check_url(url, settings=allowed)


def test_production_accepts_https_only(database_url: str) -> None:
    production = webhook_settings(
        database_url,
        environment="production",
        secret_key=SecretStr("k" * 40),
        webhook_allow_private_addresses=False,
    )

    check_url(PUBLIC[0], settings=production)
    with pytest.raises(RefusedAddressError, match="https"):
        check_url(PUBLIC[0].replace("https", "http"), settings=production)
    allowed = production.model_copy(update={"webhook_allow_private_addresses": True})
    with pytest.raises(RefusedAddressError, match="https"):
        check_url("http://127.0.0.1/hooks", settings=allowed)


def resolving_to(*addresses: str) -> Callable[..., list[tuple[Any, ...]]]:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return resolve


def test_every_address_a_name_resolves_to_is_checked(settings: Settings) -> None:
    url = "https://hooks.partner.example/caucus"

    check_url(url, settings=settings, resolve=resolving_to("93.184.215.14"))
    with pytest.raises(RefusedAddressError):
        check_url(url, settings=settings, resolve=resolving_to("93.184.215.14", "10.0.0.7"))
    with pytest.raises(RefusedAddressError):
        check_url(url, settings=settings, resolve=resolving_to("fe80::1%eth0"))


def test_a_name_that_does_not_resolve_is_refused(settings: Settings) -> None:
    def fail(*_: Any, **__: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(RefusedAddressError, match="resolve"):
        check_url("https://nowhere.invalid/", settings=settings, resolve=fail)


def test_an_address_refused_when_sending_is_logged_and_nothing_is_sent(
    app: FastAPI,
    client: TestClient,
    settings: Settings,
    database_url: str,
    admin_headers: Headers,
    receiver: Receiver,
) -> None:
    # Registered while this machine was allowed, e.g. before the setting was turned off.
    allowed = settings.model_copy(update={"webhook_allow_private_addresses": True})
    app.state.settings = allowed
    created = subscribe(client, admin_headers, receiver.url)
    app.state.settings = settings
    create_law(client, admin_headers)

    drain(app)

    assert receiver.requests == []
    [attempt] = attempts(client, admin_headers, created["id"])
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("Refused:")
    assert ok(client.get(f"{WEBHOOKS}/{created['id']}", headers=admin_headers))["active"]


def test_a_delivery_connects_to_the_address_checked_whatever_the_name_answers_next(
    settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = urlsplit(receiver.url).port
    resolve = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        """The name answers the receiver's address once, then one where nothing listens."""
        if host != "hooks.example.test":
            return resolve(host, *args, **kwargs)
        return resolving_to(next(answers, "127.0.0.2"))(host, args[0] if args else kwargs["port"])

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    # The receiver is on this machine: let its address pass the check as a public one would.
    monkeypatch.setattr(addresses, "_refused", lambda address: False)
    claim = delivery.Claim(
        delivery_id="msg_rebinding",
        subscription_id=uuid.uuid4(),
        event_type="webhook.test",
        url=f"http://hooks.example.test:{port}/hooks",
        secret="whsec_" + base64.b64encode(b"k" * 32).decode(),
        payload="{}",
    )

    with delivery.new_client(settings) as client:
        outcome = delivery.send(claim, settings=settings, client=client)

    assert (outcome.status_code, outcome.error) == (204, None)
    [received] = receiver.requests
    assert received.headers["host"] == f"hooks.example.test:{port}"
