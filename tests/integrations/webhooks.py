"""What the webhook tests share: a receiver on 127.0.0.1, registering, and running the worker."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.integrations.webhooks import delivery
from tests.api import ok

WEBHOOKS = "/api/v1/webhooks"

Headers = dict[str, str]


def webhook_settings(database_url: str, **overrides: Any) -> Settings:
    """The test settings, with deliveries to this machine allowed (the receiver is on it)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": "development",
        "webhook_allow_private_addresses": True,
        "webhook_timeout_seconds": 5,
        # Links in deliveries then read as those the test client gets from the feed.
        "public_url": "http://testserver",
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server recording each POST and answering the scripted statuses in turn (204 once
    the script runs out)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # How long each answer takes, as a slow receiver's would.
    delay_seconds: float = 0.0

    def answer(self, status: int, **headers: str) -> None:
        self.script.append((status, {k.replace("_", "-"): v for k, v in headers.items()}))

    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.requests]


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            time.sleep(receiver.delay_seconds)
            with receiver.lock:
                receiver.requests.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers = receiver.script.pop(0) if receiver.script else (204, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            """Quiet: the test asserts on what was received."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def subscribe(
    client: TestClient, headers: Headers, url: str, *event_types: str, **fields: Any
) -> dict[str, Any]:
    body = {"url": url, "event_types": list(event_types or ("*",)), **fields}
    created: dict[str, Any] = ok(client.post(WEBHOOKS, json=body, headers=headers), 201)
    return created


def drain(app: FastAPI, settings: Settings | None = None) -> None:
    """Run the worker as `caucus worker --once` does."""
    delivery.work(
        app.state.engine,
        settings=settings or app.state.settings,
        once=True,
        stop=threading.Event(),
    )


def attempts(client: TestClient, headers: Headers, webhook_id: str) -> list[dict[str, Any]]:
    page: dict[str, Any] = ok(
        client.get(f"{WEBHOOKS}/{webhook_id}/deliveries", params={"limit": 200}, headers=headers)
    )
    return list(page["items"])
