"""What the record lifecycle tests share: bodies, quick seeding, table contents, a live server."""

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import httpx2
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, SQLModel

from app.agreements import service as agreements
from app.agreements.models import Agreement, AgreementCreate, AgreementParty
from app.audit.models import AuditEntry
from app.audit.service import Actor
from app.identity.models import User
from app.records.models import ChangeEvent, IdempotencyKey, Revision
from app.search.models import SearchEntry

AGREEMENTS = "/api/v1/agreements"
PROBLEM_JSON = "application/problem+json"

T = TypeVar("T")


# Every table a record write touches: a failed or empty write leaves them as they were.
def table_of(model: type[SQLModel]) -> sa.Table:
    return cast(sa.Table, sa.inspect(model).local_table)


LIFECYCLE_TABLES = tuple(
    table_of(model)
    for model in (
        Agreement,
        AgreementParty,
        Revision,
        AuditEntry,
        ChangeEvent,
        IdempotencyKey,
        SearchEntry,
    )
)


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: an MOU between the Philippines and Saudi Arabia."""
    return {
        "title": "Memorandum of Understanding on the Recruitment of Domestic Workers",
        "kind": "mou",
        "status": "in_force",
        "parties": [
            {"country": "PH", "role": "origin"},
            {"country": "SA", "role": "destination"},
        ],
        **overrides,
    }


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    found: dict[str, Any] = response.json()
    assert found["status"] == status
    return found


def create(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(AGREEMENTS, json=body(**overrides), headers=headers), 201
    )
    return created


def read(client: Any, headers: dict[str, str], agreement_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"{AGREEMENTS}/{agreement_id}", headers=headers))
    return found


def listed_ids(client: Any, headers: dict[str, str], **params: Any) -> list[str]:
    """The ids of every agreement one list page of up to 200 gives for these filters."""
    page = ok(client.get(AGREEMENTS, params={"limit": 200, **params}, headers=headers))
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, organisation_id=user.organisation_id)


def seed(app: FastAPI, actor: Actor, count: int, **overrides: Any) -> list[uuid.UUID]:
    """`count` agreements written through the service, as quickly as the lifecycle allows."""
    ids = []
    with Session(app.state.writing_engine, expire_on_commit=False) as session:
        for n in range(count):
            data = AgreementCreate.model_validate(body(**{"title": f"Seeded {n:04d}", **overrides}))
            ids.append(agreements.create_agreement(session, actor=actor, data=data).id)
    return ids


def table_contents(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a record write touches, in a comparable form."""
    return {
        table.name: sorted((tuple(row) for row in session.execute(sa.select(table))), key=repr)
        for table in LIFECYCLE_TABLES
    }


def count_rows(session: Session, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    statement = sa.select(sa.func.count()).select_from(table).where(*where)
    return int(session.execute(statement).scalar_one())


def revisions_of(session: Session, record_id: str) -> int:
    column = table_of(Revision).c.record_id
    return count_rows(session, table_of(Revision), column == uuid.UUID(record_id))


def agreements_titled(session: Session, title: str) -> int:
    return count_rows(session, table_of(Agreement), table_of(Agreement).c.title == title)


# ---- a real server, for requests that must really run at the same time --------------------


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free local port in a background thread; yield its URL.

    Starlette's TestClient handles one request at a time; this server handles them as
    production does, each sync endpoint in a worker thread.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started, "the live server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def at_once(base_url: str, *requests: Callable[[httpx2.Client], T]) -> list[T]:
    """Send each request from a thread of its own, all released together by a barrier.

    Each thread has its own connection, opened before the barrier so that only the requests
    themselves race.
    """
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        try:
            with httpx2.Client(base_url=base_url, timeout=30) as http:
                http.get("/healthz").raise_for_status()
                barrier.wait(timeout=10)
                results[index] = requests[index](http)
        except BaseException as exc:  # re-raised in the test's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
