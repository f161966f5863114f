"""Several records written in one transaction (`commit=False`), as a bulk import writes them:
all kept by the one commit, and an update that changes nothing undoes only itself."""

from fastapi import FastAPI
from sqlmodel import Session, select

from app.agreements import service as agreements
from app.agreements.models import (
    Agreement,
    AgreementCreate,
    AgreementParty,
    AgreementUpdate,
    Party,
)
from app.identity.models import User
from app.records.models import Revision
from tests.records.helpers import actor_of, body, table_contents


def parties_of(session: Session, agreement: Agreement) -> list[tuple[str, str, int]]:
    statement = select(AgreementParty.country, AgreementParty.role, AgreementParty.position)
    return sorted(session.exec(statement.where(AgreementParty.agreement_id == agreement.id)))


def test_an_update_that_changes_nothing_keeps_the_writes_before_and_after_it(
    app: FastAPI, admin: User, session: Session
) -> None:
    actor = actor_of(admin)
    with Session(app.state.writing_engine, expire_on_commit=False) as writing:
        mou = agreements.create_agreement(
            writing, actor=actor, data=AgreementCreate.model_validate(body())
        )
    before_parties = parties_of(session, mou)

    with Session(app.state.writing_engine, expire_on_commit=False) as writing:
        first = agreements.create_agreement(
            writing,
            actor=actor,
            data=AgreementCreate.model_validate(body(title="First")),
            commit=False,
        )
        stored = writing.get(Agreement, mou.id)
        assert stored is not None
        # The same parties as new child rows: replaced, then found unchanged and undone.
        same_parties = [Party(country=p.country, role=p.role) for p in stored.parties]
        unchanged = agreements.update_agreement(
            writing,
            actor=actor,
            agreement=stored,
            data=AgreementUpdate(parties=same_parties, sources=[]),
            if_match=None,
            commit=False,
        )
        second = agreements.create_agreement(
            writing,
            actor=actor,
            data=AgreementCreate.model_validate(body(title="Second")),
            commit=False,
        )
        writing.commit()
        assert unchanged.version == 1
    titles = set(session.exec(select(Agreement.title)))
    assert titles == {mou.title, "First", "Second"}
    assert parties_of(session, mou) == before_parties
    revisions = set(session.exec(select(Revision.record_id, Revision.version)))
    assert revisions == {(mou.id, 1), (first.id, 1), (second.id, 1)}


def test_nothing_written_without_commit_is_kept(
    app: FastAPI, admin: User, session: Session
) -> None:
    before = table_contents(session)

    with Session(app.state.writing_engine) as writing:
        agreements.create_agreement(
            writing,
            actor=actor_of(admin),
            data=AgreementCreate.model_validate(body()),
            commit=False,
        )
        writing.rollback()

    assert table_contents(session) == before
