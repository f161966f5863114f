"""Admission: a few requests in progress at once, the others let in in order of arrival, none
waiting for ever, and none held in line by a slow upload or a health check."""

import logging
from collections.abc import AsyncIterator

import anyio
import httpx2
import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select
from starlette.types import Message, Scope

from app.agreements.models import Agreement
from app.core.admission import Admission
from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE, ServiceBusyError
from app.imports.models import ImportType
from tests.agreements.helpers import AGREEMENTS, body
from tests.api import counting_threads
from tests.imports.helpers import IMPORTS, file_of

pytestmark = pytest.mark.anyio

COUNTRIES = "/api/v1/countries"
WAIT_SECONDS = 0.5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"max_requests_in_progress": 1, "max_request_wait_seconds": WAIT_SECONDS}
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as async_client:
        yield async_client


async def test_requests_beyond_the_limit_wait_and_are_let_in_in_order_of_arrival() -> None:
    admission = Admission(limit=2, wait_seconds=5)
    entered: list[int] = []
    leave = [anyio.Event() for _ in range(8)]

    async def request(number: int) -> None:
        async with admission.admitted():
            entered.append(number)
            await leave[number].wait()

    async with anyio.create_task_group() as requests:
        for number in range(8):
            requests.start_soon(request, number)
            # Each arrives, and is let in or waits, before the next one comes.
            await anyio.wait_all_tasks_blocked()
        assert entered == [0, 1]
        # Whichever leaves, the place it frees goes to the longest waiter.
        for freed, leaving in enumerate((1, 0, 3, 2, 4, 5), start=1):
            leave[leaving].set()
            await anyio.wait_all_tasks_blocked()
            assert entered == list(range(2 + freed))
        for number in (6, 7):
            leave[number].set()


async def test_a_request_that_waited_too_long_is_refused_and_frees_its_place_in_line() -> None:
    admission = Admission(limit=1, wait_seconds=0.05)
    async with admission.admitted():
        with pytest.raises(ServiceBusyError):
            async with admission.admitted():
                pytest.fail("let in while the only place was taken")
    async with admission.admitted():
        pass  # the place freed, and no one left waiting ahead


async def test_an_api_request_waits_while_the_places_are_taken_and_goes_on_when_one_frees(
    app: FastAPI, client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    answered: list[int] = []

    async def list_countries() -> None:
        answered.append((await client.get(COUNTRIES, headers=admin_headers)).status_code)

    async with anyio.create_task_group() as requests, app.state.admission.admitted():
        requests.start_soon(list_countries)
        await anyio.sleep(WAIT_SECONDS / 5)
        assert answered == []
    assert answered == [200]


async def test_a_request_kept_waiting_too_long_is_answered_503_with_retry_after(
    app: FastAPI, client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    async with app.state.admission.admitted():
        response = await client.get(COUNTRIES, headers=admin_headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["retry-after"] == "1"
    assert "busy" in response.json()["detail"]
    assert (await client.get(COUNTRIES, headers=admin_headers)).status_code == 200


async def test_health_checks_are_answered_while_every_place_is_taken(
    app: FastAPI, client: httpx2.AsyncClient
) -> None:
    async with app.state.admission.admitted():
        for probe in ("/healthz", "/readyz"):
            assert (await client.get(probe)).status_code == 200, probe


@pytest.mark.parametrize(
    ("path", "media_type", "content", "status"),
    [
        (AGREEMENTS, "application/json", httpx2.Response(200, json=body()).content, 201),
        # The import reads its body itself, not as a body FastAPI parses.
        (
            f"{IMPORTS}?type=laws&dry_run=true",
            "text/csv",
            file_of(ImportType.laws).encode(),
            200,
        ),
    ],
    ids=["json", "csv"],
)
async def test_a_slow_upload_holds_no_place_while_its_body_arrives(
    reference: None,
    client: httpx2.AsyncClient,
    admin_headers: dict[str, str],
    path: str,
    media_type: str,
    content: bytes,
    status: int,
) -> None:
    half_sent, finish = anyio.Event(), anyio.Event()

    async def slowly() -> AsyncIterator[bytes]:
        yield content[: len(content) // 2]
        half_sent.set()  # the service has asked for the rest
        await finish.wait()
        yield content[len(content) // 2 :]

    answered: list[httpx2.Response] = []

    async def upload() -> None:
        headers = {**admin_headers, "Content-Type": media_type}
        answered.append(await client.post(path, content=slowly(), headers=headers))

    async with anyio.create_task_group() as requests:
        requests.start_soon(upload)
        await half_sent.wait()
        # Had the upload taken the only place, this would wait its turn and be refused.
        assert (await client.get(COUNTRIES, headers=admin_headers)).status_code == 200
        finish.set()
    assert answered[0].status_code == status, answered[0].text


def _agreements_scope(method: str, headers: dict[str, str]) -> Scope:
    """A request to the agreements as a server hands it to the app; its body comes apart."""
    sent = {**headers, "Content-Type": "application/json"}
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": AGREEMENTS,
        "raw_path": AGREEMENTS.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in sent.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }


async def test_a_caller_gone_before_its_body_arrived_is_let_go_without_an_error(
    reference: None,
    app: FastAPI,
    admin_headers: dict[str, str],
    session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope = _agreements_scope("POST", admin_headers)
    arriving = iter(
        [
            {"type": "http.request", "body": b'{"title": "Memor', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(arriving)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert session.exec(select(func.count()).select_from(Agreement)).one() == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_caller_gone_while_it_waited_is_not_worked_for(
    reference: None,
    app: FastAPI,
    admin_headers: dict[str, str],
    session: Session,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    scope = _agreements_scope(method, admin_headers)
    content = httpx2.Response(200, json=body()).content if method == "POST" else b""
    arrived, gone = anyio.Event(), anyio.Event()

    async def receive() -> Message:
        if not arrived.is_set():
            arrived.set()
            return {"type": "http.request", "body": content, "more_body": False}
        # As uvicorn's: at once once the caller has gone, else when it goes.
        if not gone.is_set():
            await gone.wait()
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with counting_threads() as worked_for:
        async with anyio.create_task_group() as requests, app.state.admission.admitted():
            requests.start_soon(app, scope, receive, send)
            await anyio.wait_all_tasks_blocked()  # it waits for the place
            gone.set()  # the caller gives up while the only place is taken
            await anyio.wait_all_tasks_blocked()

    assert sent[0]["status"] == 400
    assert worked_for == []  # not even its token was looked up
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert session.exec(select(func.count()).select_from(Agreement)).one() == 0
