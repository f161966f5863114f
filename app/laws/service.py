"""Laws: the rules a law keeps, its filters, and its writes through the lifecycle."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.agreements import service as agreements
from app.assessments import service as assessments
from app.assessments.models import SubjectType
from app.audit.service import Actor
from app.identity.service import Principal
from app.laws.models import (
    Law,
    LawAgreement,
    LawCreate,
    LawFilters,
    LawInstrument,
    LawPublic,
    LawUpdate,
)
from app.records import links
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, unique, unique_lists
from app.records.service import ChildRows, RecordKind
from app.search.models import SearchPart
from app.treaties import service as treaties


def _with_agreements_shown(
    session: Session, principal: Principal, laws: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Only the agreements the caller may see."""
    return links.hide_unseen_links(
        session, principal, laws, field="agreement_ids", kind=agreements.KIND
    )


def _present(
    session: Session, principal: Principal, laws: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Only the agreements the caller may see, and the latest score it may see."""
    shown = _with_agreements_shown(session, principal, laws)
    return assessments.with_latest_scores(session, principal, SubjectType.law, shown)


def _present_new(
    session: Session, principal: Principal, laws: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return assessments.unscored(_with_agreements_shown(session, principal, laws))


def _searched(law: Law) -> list[SearchPart]:
    return [
        SearchPart(
            title=law.title,
            names=[law.title, law.title_original, law.reference],
            texts=[law.summary],
        )
    ]


_INSTRUMENT = LawInstrument.__table__.c  # type: ignore[attr-defined]
_AGREEMENT = LawAgreement.__table__.c  # type: ignore[attr-defined]
# Built once: building a statement and its cache key cost about as much as running it.
_INSTRUMENTS_OF = (
    sa.select(_INSTRUMENT.law_id, _INSTRUMENT.instrument)
    .where(_INSTRUMENT.law_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_INSTRUMENT.law_id, _INSTRUMENT.instrument)
)
_AGREEMENTS_OF = (
    sa.select(_AGREEMENT.law_id, _AGREEMENT.agreement_id)
    .where(_AGREEMENT.law_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_AGREEMENT.law_id, _AGREEMENT.agreement_id)
)


def _with_links(session: Session, laws: list[dict[str, Any]]) -> None:
    """Each law's instrument codes and agreement ids in their order, each read for all of the
    laws in one query."""
    by_id = {law["id"]: law for law in laws}
    for law in laws:
        law["instrument_codes"] = []
        law["agreement_ids"] = []
    ids = {"ids": list(by_id)}
    for law_id, code in session.execute(_INSTRUMENTS_OF, ids):
        by_id[law_id]["instrument_codes"].append(code)
    for law_id, agreement_id in session.execute(_AGREEMENTS_OF, ids):
        by_id[law_id]["agreement_ids"].append(agreement_id)


def _link_rows(law: Law) -> ChildRows:
    return [
        (
            LawInstrument.__table__,  # type: ignore[attr-defined]
            [{"law_id": law.id, "instrument": link.instrument} for link in law.instrument_links],
        ),
        (
            LawAgreement.__table__,  # type: ignore[attr-defined]
            [{"law_id": law.id, "agreement_id": link.agreement_id} for link in law.agreement_links],
        ),
    ]


KIND = RecordKind(
    name="law",
    model=Law,
    public_model=LawPublic,
    redact=_present,
    redact_new=_present_new,
    search=_searched,
    read_related=_with_links,
    child_rows=_link_rows,
)


DATE_ORDER = ("enacted_on", "effective_on")


def _instrument_links(law: Law | None, codes: list[str]) -> list[LawInstrument]:
    # A link kept is the same row, so replacing a list only deletes and inserts what differs.
    kept = {link.instrument: link for link in law.instrument_links} if law else {}
    return [kept.get(code) or LawInstrument(instrument=code) for code in codes]


def _agreement_links(law: Law | None, ids: list[uuid.UUID]) -> list[LawAgreement]:
    kept = {link.agreement_id: link for link in law.agreement_links} if law else {}
    return [
        kept.get(agreement_id) or LawAgreement(agreement_id=agreement_id) for agreement_id in ids
    ]


def select_laws(principal: Principal, filters: LawFilters) -> SelectOfScalar[Law]:
    statement = records.select_visible(KIND, principal, filters)
    if filters.country is not None:
        statement = statement.where(Law.country == filters.country)
    if filters.kind is not None:
        statement = statement.where(Law.kind == filters.kind)
    if filters.status is not None:
        statement = statement.where(Law.status == filters.status)
    if filters.instrument is not None:
        related = select(LawInstrument.law_id).where(
            LawInstrument.instrument == filters.instrument.upper()
        )
        statement = statement.where(col(Law.id).in_(related))
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(Law.title).contains(needle, autoescape=True),
                func.lower(col(Law.title_original)).contains(needle, autoescape=True),
                func.lower(col(Law.summary)).contains(needle, autoescape=True),
            )
        )
    return statement


def create_law(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    data: LawCreate,
    commit: bool = True,
) -> Law:
    """Record a law; `agreement_ids` must name agreements `principal` can see. With `commit`
    false it waits for the transaction's commit."""
    dates_in_order(data.model_dump(), DATE_ORDER)
    codes = treaties.known_instrument_codes(session, data.instrument_codes)
    agreement_ids = links.links(
        session, agreements.KIND, principal, data.agreement_ids, field="agreement_ids"
    )
    law = Law(
        **data.model_dump(exclude={"instrument_codes", "agreement_ids", "sources"}),
        sources=unique(data.sources),
        instrument_links=_instrument_links(None, codes),
        agreement_links=_agreement_links(None, agreement_ids),
    )
    return records.create(session, KIND, law, actor=actor, commit=commit)


def update_law(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    law: Law,
    data: LawUpdate,
    if_match: str | None,
    commit: bool = True,
) -> Law:
    """Change the fields sent; lists are replaced whole. An agreement the law already names may
    stay in `agreement_ids` even if the caller can no longer see it (deleted meanwhile)."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(
        changes,
        "country",
        "title",
        "kind",
        "status",
        "sources",
        "instrument_codes",
        "agreement_ids",
        "visibility",
    )
    dates_in_order(changes, DATE_ORDER, stored=law)
    if "instrument_codes" in changes:
        codes = treaties.known_instrument_codes(session, changes.pop("instrument_codes"))
        changes["instrument_links"] = _instrument_links(law, codes)
    if "agreement_ids" in changes:
        ids = links.links(
            session,
            agreements.KIND,
            principal,
            changes.pop("agreement_ids"),
            field="agreement_ids",
            stored=law.agreement_ids,
        )
        changes["agreement_links"] = _agreement_links(law, ids)
    unique_lists(changes, "sources")
    return records.update(
        session, KIND, law, changes, actor=actor, if_match=if_match, commit=commit
    )
