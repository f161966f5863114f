"""A live server for the example scripts, which call it over HTTP as a partner's would."""

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from app.core.config import Settings
from app.main import create_app
from tests.conftest import Headers
from tests.examples.helpers import API, Live


@pytest.fixture
def live(settings: Settings, reference: None, admin_headers: Headers) -> Iterator[Live]:
    """The application on the test's database, served by uvicorn on a free port of 127.0.0.1,
    with an admin's client to arrange records through."""
    application = create_app(settings)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the live server stopped before it started"
        assert time.monotonic() < deadline, "the live server did not start in time"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=url + API, headers=admin_headers, timeout=10) as admin:
            yield Live(url=url, admin=admin)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()
