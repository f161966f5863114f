"""Agreements: the rules an agreement keeps, its filters, and its writes through the lifecycle."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.agreements.models import (
    TWO_PARTIES_AT_LEAST,
    Agreement,
    AgreementCreate,
    AgreementFilters,
    AgreementKind,
    AgreementParty,
    AgreementPublic,
    AgreementUpdate,
    Party,
    PartyRole,
)
from app.assessments import service as assessments
from app.assessments.models import SubjectType
from app.audit.service import Actor
from app.core.errors import InvalidInputError
from app.identity.service import Principal
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, unique, unique_lists
from app.records.service import RecordKind
from app.search.models import SearchPart


def _present(
    session: Session, principal: Principal, agreements: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return assessments.with_latest_scores(session, principal, SubjectType.agreement, agreements)


def _searched(agreement: Agreement) -> list[SearchPart]:
    return [SearchPart(title=agreement.title, names=[agreement.title], texts=[agreement.summary])]


KIND = RecordKind(
    name="agreement",
    model=Agreement,
    public_model=AgreementPublic,
    redact=_present,
    search=_searched,
)


DATE_ORDER = ("signed_on", "effective_on", "expires_on")


def _check_parties(kind: AgreementKind, countries: list[str]) -> None:
    repeated = [country for country, n in Counter(countries).items() if n > 1]
    if repeated:
        raise InvalidInputError(
            f"Each country is a party once; repeated: {', '.join(sorted(repeated))}.",
            field="parties",
        )
    if kind in TWO_PARTIES_AT_LEAST and len(countries) < 2:
        raise InvalidInputError(
            f"A {kind.value.replace('_', ' ')} has at least two parties.", field="parties"
        )


def _party_rows(
    kind: AgreementKind, parties: list[Party], agreement: Agreement
) -> list[AgreementParty]:
    _check_parties(kind, [party.country for party in parties])
    return [
        AgreementParty(
            country=party.country,
            role=party.role,
            position=position,
            created_at=agreement.created_at,
            updated_at=agreement.updated_at,
        )
        for position, party in enumerate(parties)
    ]


# The party a list filtered by parties is walked by, in its index of the list's order.
_LISTED_BY = aliased(AgreementParty, name="listed_by")


def _party_filters(filters: AgreementFilters) -> list[tuple[str, PartyRole | None]]:
    """The (country, role) pairs an agreement must have a party of, a role first: those are
    the fewer agreements, so the better to walk."""
    pairs = (
        (filters.origin, PartyRole.origin),
        (filters.destination, PartyRole.destination),
        (filters.country, None),
    )
    return [(country, role) for country, role in pairs if country is not None]


def _walks_a_party(filters: AgreementFilters) -> bool:
    """Whether a list is read off the index of its first party filter's party.

    Not with `updated_since`: the agreements changed lately are mostly the newest, and a walk
    from a country's oldest agreement probes most of them to find the first few changed (525 ms
    a page on PostgreSQL at 100k, against 34 ms scanning the agreements in order).
    """
    return bool(_party_filters(filters)) and filters.updated_since is None


def _is_party(party: Any, country: str, role: PartyRole | None) -> sa.ColumnElement[bool]:
    condition = col(party.country) == country
    return condition if role is None else sa.and_(condition, col(party.role) == role)


def select_agreements(principal: Principal, filters: AgreementFilters) -> SelectOfScalar[Agreement]:
    """The agreements the caller may see that match the filters; a list of them is sought by
    `list_seek(filters)`."""
    statement = records.select_visible(KIND, principal, filters)
    party_filters = _party_filters(filters)
    walks = _walks_a_party(filters)
    if walks:
        (country, role), *party_filters = party_filters
        # Joined in the WHERE clause, which is all some callers keep of the statement. A
        # country is a party to an agreement once, so each agreement is still one row.
        statement = statement.where(
            col(_LISTED_BY.agreement_id) == col(Agreement.id), _is_party(_LISTED_BY, country, role)
        )
    for country, role in party_filters:
        party = select(AgreementParty.agreement_id).where(_is_party(AgreementParty, country, role))
        if walks:
            # Looked up for each agreement walked: as a set, SQLite would gather all of them
            # (every agreement with Saudi Arabia as destination) for each page.
            matched: sa.ColumnElement[bool] = party.where(
                col(AgreementParty.agreement_id) == col(Agreement.id)
            ).exists()
        else:
            matched = col(Agreement.id).in_(party)
        statement = statement.where(matched)
    if filters.kind is not None:
        statement = statement.where(Agreement.kind == filters.kind)
    if filters.status is not None:
        statement = statement.where(Agreement.status == filters.status)
    if filters.sector is not None:
        # Sectors are a fixed vocabulary of plain words: the quoted word is one whole element.
        as_text = sa.cast(Agreement.sectors, sa.Text)
        statement = statement.where(as_text.contains(f'"{filters.sector.value}"'))
    if filters.signed_from is not None:
        statement = statement.where(col(Agreement.signed_on) >= filters.signed_from)
    if filters.signed_to is not None:
        statement = statement.where(col(Agreement.signed_on) <= filters.signed_to)
    if filters.expiring_from is not None:
        statement = statement.where(col(Agreement.expires_on) >= filters.expiring_from)
    if filters.expiring_before is not None:
        statement = statement.where(col(Agreement.expires_on) < filters.expiring_before)
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(Agreement.title).contains(needle, autoescape=True),
                func.lower(col(Agreement.summary)).contains(needle, autoescape=True),
            )
        )
    return statement


def list_seek(filters: AgreementFilters) -> Sequence[InstrumentedAttribute[Any]] | None:
    """What a list of `select_agreements(principal, filters)` is ordered and paged by, when
    not the record key itself: the walked party's copy of it, so the page is read off that
    party's index, with cursors the same as the unfiltered list's."""
    if not _walks_a_party(filters):
        return None
    return (_LISTED_BY.created_at, _LISTED_BY.agreement_id)  # type: ignore[return-value]


def create_agreement(
    session: Session, *, actor: Actor, data: AgreementCreate, commit: bool = True
) -> Agreement:
    """Record an agreement; with `commit` false it waits for the transaction's commit."""
    dates_in_order(data.model_dump(), DATE_ORDER)
    agreement = Agreement(
        **data.model_dump(exclude={"parties", "sectors", "sources"}),
        sectors=unique(data.sectors),
        sources=unique(data.sources),
    )
    agreement.parties = _party_rows(data.kind, data.parties, agreement)
    return records.create(session, KIND, agreement, actor=actor, commit=commit)


def update_agreement(
    session: Session,
    *,
    actor: Actor,
    agreement: Agreement,
    data: AgreementUpdate,
    if_match: str | None,
    commit: bool = True,
) -> Agreement:
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "title", "kind", "status", "sectors", "sources", "parties", "visibility")
    dates_in_order(changes, DATE_ORDER, stored=agreement)
    kind = changes.get("kind", agreement.kind)
    if data.parties is not None:
        changes["parties"] = _party_rows(kind, data.parties, agreement)
    else:
        _check_parties(kind, [party.country for party in agreement.parties])
    unique_lists(changes, "sectors", "sources")
    return records.update(
        session, KIND, agreement, changes, actor=actor, if_match=if_match, commit=commit
    )
