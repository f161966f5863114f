"""What the example scripts' tests share: running a script as a partner would, and a proxy that
fails chosen requests as networks and busy servers do."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
EXAMPLES = Path(__file__).parents[2] / "examples"


@dataclass(frozen=True)
class Live:
    url: str
    admin: httpx.Client  # an admin's client on the live server's API

    def api_token(self, organisation_id: object, scopes: list[str]) -> str:
        """A new API token of the organisation, issued by the admin through the API."""
        body = {"name": "example", "organisation_id": str(organisation_id), "scopes": scopes}
        response = self.admin.post("/api-tokens", json=body)
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    def create(self, collection: str, **body: Any) -> dict[str, Any]:
        response = self.admin.post(f"/{collection}", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def law(**overrides: Any) -> dict[str, Any]:
    return {
        "country": "PH",
        "title": "Domestic Workers Act",
        "kind": "act",
        "status": "in_force",
    } | overrides


def script(name: str, *args: str, url: str, token: str) -> subprocess.Popen[str]:
    """Start an example script with the venv's Python, as a partner runs it."""
    environment = {**os.environ, "CAUCUS_URL": url, "CAUCUS_TOKEN": token}
    return subprocess.Popen(  # noqa: S603 - our own script, with arguments the test chose
        [sys.executable, str(EXAMPLES / name), *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def run(name: str, *args: str, url: str, token: str) -> Finished:
    process = script(name, *args, url=url, token=token)
    stdout, stderr = process.communicate(timeout=60)
    return Finished(process.returncode, stdout, stderr)


@dataclass(frozen=True)
class Seen:
    """A request the proxy received."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


# What the proxy does to a request instead of passing its answer on.
HANG_UP = "hang up"  # close the connection without forwarding or answering
FORWARD_THEN_HANG_UP = "forward then hang up"  # the server acts, the answer is lost
# Answered instead of forwarding, with Retry-After: 1.
UNAVAILABLE = "503"
TOO_MANY = "429"
BUSY = "409"

Fault = Callable[[Seen, list[Seen]], str | None]


@dataclass
class Proxy:
    """Forwards to the live server, keeping the Host header so the links it answers with lead
    back through the proxy; `fault` may fail any request it is shown (with those before it)."""

    upstream: str
    fault: Fault = lambda seen, before: None
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        seen = Seen(handler.command, handler.path, headers, time.monotonic())
        fault = self.fault(seen, list(self.seen))
        self.seen.append(seen)
        body = handler.rfile.read(int(headers.get("content-length", 0)))
        if fault in (UNAVAILABLE, TOO_MANY, BUSY):
            handler.send_response(int(fault))
            handler.send_header("Retry-After", "1")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault == HANG_UP:
            return
        forwarded = {
            name: value
            for name, value in headers.items()
            if name not in ("connection", "keep-alive", "content-length")
        }
        with httpx.Client(base_url=self.upstream, timeout=30) as client:
            answer = client.request(handler.command, handler.path, headers=forwarded, content=body)
        if fault == FORWARD_THEN_HANG_UP:
            return
        handler.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name not in ("content-length", "transfer-encoding", "connection"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer.content)))
        handler.end_headers()
        handler.wfile.write(answer.content)


@contextmanager
def proxy_to(upstream: str, fault: Fault | None = None) -> Iterator[Proxy]:
    proxy = Proxy(upstream, fault) if fault else Proxy(upstream)

    class Handler(BaseHTTPRequestHandler):
        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                self.close_connection = True
                return
            proxy.handle(self)
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `proxy.seen` instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
