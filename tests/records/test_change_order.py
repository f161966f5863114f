"""Change events commit in the order of their numbers: a writer that took a number waits for
every writer that took an earlier one, so a feed reader that has seen a number never misses an
earlier one committed after it (`records.service._hold_change_feed_order`)."""

import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.agreements import service as agreements
from app.agreements.models import AgreementCreate
from app.identity.models import User
from app.records.models import ChangeEvent
from tests import databases
from tests.records.helpers import actor_of, body

# SQLite lets one writer in at a time, whatever it writes: there is nothing to order.
postgres_only = pytest.mark.skipif(databases.ON_SQLITE, reason="PostgreSQL writers overlap")


@postgres_only
def test_a_writer_waits_for_an_earlier_writer_s_change_to_commit(
    app: FastAPI, admin: User, session: Session
) -> None:
    actor = actor_of(admin)
    engine = app.state.writing_engine
    with (
        Session(engine, expire_on_commit=False) as first,
        Session(engine, expire_on_commit=False) as second,
    ):
        earlier = agreements.create_agreement(
            first,
            actor=actor,
            data=AgreementCreate.model_validate(body(title="Earlier")),
            commit=False,
        )
        # Rather than wait for the first to commit, give up at once: a wait shows as a timeout.
        second.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(sa.exc.OperationalError) as waited:
            agreements.create_agreement(
                second, actor=actor, data=AgreementCreate.model_validate(body(title="Later"))
            )
        assert isinstance(waited.value.orig, psycopg.errors.LockNotAvailable)
        second.rollback()

        first.commit()
        later = agreements.create_agreement(
            second, actor=actor, data=AgreementCreate.model_validate(body(title="Later"))
        )

    numbers = session.exec(
        select(ChangeEvent.record_id, ChangeEvent.seq).order_by(col(ChangeEvent.seq))
    ).all()
    assert [record_id for record_id, _ in numbers] == [earlier.id, later.id]
