"""Laws: the rules a law keeps, its filters, and its writes through the lifecycle."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.agreements import service as agreements
from app.agreements.models import Agreement
from app.audit.service import Actor
from app.core.errors import InvalidInputError
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
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, unique, unique_lists
from app.records.models import RecordFilters
from app.records.service import RecordKind
from app.treaties.models import Instrument


def _seen_agreements(
    session: Session, principal: Principal | None, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `ids` naming agreements the caller may see (any not deleted, with no caller)."""
    if principal is None:
        statement = select(Agreement).where(col(Agreement.deleted_at).is_(None))
    else:
        statement = records.select_visible(agreements.KIND, principal, RecordFilters())
    visible = statement.with_only_columns(col(Agreement.id))
    return set(
        session.exec(
            select(Agreement.id).where(
                col(Agreement.id).in_(list(ids)), col(Agreement.id).in_(visible)
            )
        )
    )


def _hide_unseen_agreements(
    session: Session, principal: Principal, laws: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A law names only the agreements the caller may see: an id is itself a finding."""
    named = {uuid.UUID(agreement_id) for law in laws for agreement_id in law["agreement_ids"]}
    if not named or principal.is_secretariat:
        return laws
    seen = {str(agreement_id) for agreement_id in _seen_agreements(session, principal, named)}
    return [
        {**law, "agreement_ids": [i for i in law["agreement_ids"] if i in seen]} for law in laws
    ]


KIND = RecordKind(name="law", model=Law, public_model=LawPublic, redact=_hide_unseen_agreements)


DATE_ORDER = ("enacted_on", "effective_on")


def _instrument_codes(session: Session, codes: list[str]) -> list[str]:
    """The codes upper-cased, each once, in code order; every one must be a known instrument."""
    wanted = sorted(unique(code.upper() for code in codes))
    if not wanted:
        return []
    known = set(session.exec(select(Instrument.code).where(col(Instrument.code).in_(wanted))))
    unknown = [code for code in wanted if code not in known]
    if unknown:
        raise InvalidInputError(
            f"No instrument with the code {', '.join(unknown)}.", field="instrument_codes"
        )
    return wanted


def _agreement_ids(
    session: Session,
    principal: Principal | None,
    ids: list[uuid.UUID],
    *,
    already: Iterable[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """The ids each once, in id order; every one not `already` linked must name an agreement the
    caller can see (any agreement not deleted when there is no caller, as for scripts)."""
    wanted = sorted(unique(ids))
    to_check = set(wanted) - set(already)
    found = _seen_agreements(session, principal, to_check) if to_check else set()
    missing = sorted(agreement_id for agreement_id in to_check if agreement_id not in found)
    if missing:
        raise InvalidInputError(
            f"No agreement with the id {', '.join(str(agreement_id) for agreement_id in missing)}"
            ", or not one you can see.",
            field="agreement_ids",
        )
    return wanted


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
    session: Session, *, actor: Actor, principal: Principal | None = None, data: LawCreate
) -> Law:
    """Record a law; `agreement_ids` must name agreements `principal` can see."""
    dates_in_order(data.model_dump(), DATE_ORDER)
    codes = _instrument_codes(session, data.instrument_codes)
    agreement_ids = _agreement_ids(session, principal, data.agreement_ids)
    law = Law(
        **data.model_dump(exclude={"instrument_codes", "agreement_ids", "sources"}),
        sources=unique(data.sources),
        instrument_links=_instrument_links(None, codes),
        agreement_links=_agreement_links(None, agreement_ids),
    )
    return records.create(session, KIND, law, actor=actor)


def update_law(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    law: Law,
    data: LawUpdate,
    if_match: str | None,
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
        codes = _instrument_codes(session, changes.pop("instrument_codes"))
        changes["instrument_links"] = _instrument_links(law, codes)
    if "agreement_ids" in changes:
        ids = _agreement_ids(
            session, principal, changes.pop("agreement_ids"), already=law.agreement_ids
        )
        # The caller was never shown the links it may not see, so its list cannot drop them.
        if principal is not None and not principal.is_secretariat:
            seen = _seen_agreements(session, principal, law.agreement_ids)
            ids = sorted(set(ids) | (set(law.agreement_ids) - seen))
        changes["agreement_links"] = _agreement_links(law, ids)
    unique_lists(changes, "sources")
    return records.update(session, KIND, law, changes, actor=actor, if_match=if_match)
