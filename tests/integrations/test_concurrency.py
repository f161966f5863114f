"""Read while others write: the pages, each resumed from the last `seq`, hold every change once
and in order, none skipped however the writers' commits interleave."""

import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.identity.models import User
from app.laws import service as laws
from app.laws.models import Law
from app.records import service as records
from app.records.models import ChangeEvent
from tests.integrations.helpers import Headers, feed
from tests.records.helpers import actor_of, seed

WRITERS = 3
WRITES_EACH = 15


def test_pages_read_while_records_are_written_hold_every_change_once_in_order(
    app: FastAPI, client: TestClient, admin: User, admin_headers: Headers
) -> None:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            seed(app, actor_of(admin), WRITES_EACH)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    seen: list[int] = []
    after = 0
    while True:
        writing = any(writer.is_alive() for writer in writers)
        page = feed(client, admin_headers, after=after, limit=7)
        seen += [item["seq"] for item in page["items"]]
        after = page["next_after"]
        if not writing and not page["items"]:
            break
    for writer in writers:
        writer.join(timeout=60)
    assert not errors, errors

    with Session(app.state.engine) as session:
        committed = list(session.exec(select(ChangeEvent.seq).order_by(col(ChangeEvent.seq))))
    assert len(committed) == WRITERS * WRITES_EACH
    assert seen == committed


def test_a_change_is_not_shown_while_an_earlier_one_is_still_uncommitted(
    app: FastAPI, client: TestClient, admin: User, admin_headers: Headers
) -> None:
    actor = actor_of(admin)
    with Session(app.state.writing_engine) as first:
        held = Law(country="PH", title="Held open", kind="act", status="in_force")
        records.create(first, laws.KIND, held, actor=actor, commit=False)
        later = threading.Thread(target=seed, args=(app, actor, 1))
        later.start()
        # The later write waits for the first to commit (or, were it let through, commits now).
        later.join(timeout=1)

        assert feed(client, admin_headers)["items"] == []
        first.commit()
    later.join(timeout=30)

    items = feed(client, admin_headers)["items"]
    assert [item["type"] for item in items] == ["law", "agreement"]
