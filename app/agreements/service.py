"""Agreements: the rules an agreement keeps, its filters, and its writes through the lifecycle."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
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
from app.core.pagination import decode_cursor
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

# A list by a party changed since a time walks that party's agreements in order when, of the
# next this many, enough changed to fill a page of any size (with room for those the caller
# may not see); otherwise the changed ones are found by the index of changes and sorted.
_WALK_PROBED = 2000
_WALK_WHEN_CHANGED = 300


def _party_filters(filters: AgreementFilters) -> list[tuple[str, PartyRole | None]]:
    """The (country, role) pairs an agreement must have a party of, a role first: those are
    the fewer agreements, so the better to walk."""
    pairs = (
        (filters.origin, PartyRole.origin),
        (filters.destination, PartyRole.destination),
        (filters.country, None),
    )
    return [(country, role) for country, role in pairs if country is not None]


def _is_party(party: Any, country: str, role: PartyRole | None) -> sa.ColumnElement[bool]:
    condition = col(party.country) == country
    return condition if role is None else sa.and_(condition, col(party.role) == role)


def _changed_since(country: str, role: PartyRole | None, since: datetime) -> Any:
    """The party rows of `country` (in `role`) whose agreement changed since `since`, as rows
    of agreement parties holding the list's order."""
    changed = (
        select(AgreementParty.agreement_id, AgreementParty.created_at)
        .where(_is_party(AgreementParty, country, role), col(AgreementParty.updated_at) >= since)
        # Sorted here, narrow, before the agreements are joined in that order up to the page's
        # end; OFFSET keeps both engines from merging this into the page's query, where they
        # would rather walk all the country's agreements, guessing the changes spread evenly.
        .order_by(
            # As an expression, which no index walk can give, so that SQLite too finds the
            # rows by the index of changes.
            func.coalesce(AgreementParty.created_at, AgreementParty.created_at),
            col(AgreementParty.agreement_id),
        )
        .offset(0)
        .subquery("listed_by")
    )
    return aliased(AgreementParty, changed, name="listed_by")


def _walk_finds_changes(
    session: Session, country: str, role: PartyRole | None, since: datetime, after: datetime | None
) -> bool:
    """Whether, of the party's next agreements in creation order (from `after`, the page's
    cursor), enough changed since `since` for a walk to find a page soon. Changes cluster
    (the newest agreements, a batch edited last month): when they are sparse here, sorting
    them all is cheaper than walking to them."""
    walked = select(AgreementParty.updated_at).where(_is_party(AgreementParty, country, role))
    if after is not None:
        walked = walked.where(col(AgreementParty.created_at) >= after)
    window = (
        walked.order_by(col(AgreementParty.created_at), col(AgreementParty.agreement_id))
        .limit(_WALK_PROBED)
        .subquery()
    )
    changed = select(func.count()).select_from(window).where(window.c.updated_at >= since)
    return session.exec(changed).one() >= _WALK_WHEN_CHANGED


def _listed_by(
    session: Session | None, filters: AgreementFilters, cursor: str | None = None
) -> Any | None:
    """The party rows a list filtered by a party is read off in list order: all of the first
    party filter's agreements, in its index of the list's order, or with `updated_since`,
    unless the walk from `cursor` soon finds changes, those changed since, sorted. None when
    no party is filtered, or with `updated_since` and no `session` to probe the walk with:
    then the agreements are scanned."""
    party_filters = _party_filters(filters)
    if not party_filters:
        return None
    if filters.updated_since is None:
        return _LISTED_BY
    if session is None:
        return None
    country, role = party_filters[0]
    after = None if cursor is None else decode_cursor(cursor, KIND.key())[0]
    if _walk_finds_changes(session, country, role, filters.updated_since, after):
        return _LISTED_BY
    return _changed_since(country, role, filters.updated_since)


def select_listed(
    session: Session, principal: Principal, filters: AgreementFilters, cursor: str | None
) -> tuple[SelectOfScalar[Agreement], Sequence[InstrumentedAttribute[Any]] | None]:
    """The statement of a list of agreements, and what its pages are sought by when not the
    record key itself (`keyset_page`'s `seek`): the copy of the key on the party rows it is
    read off, so that a page reads about as many of them as it shows, with cursors the same as
    the unfiltered list's. `cursor` is the page's, which the walk would start from."""
    listed_by = _listed_by(session, filters, cursor)
    statement = _select(principal, filters, listed_by)
    if listed_by is None:
        return statement, None
    return statement, (listed_by.created_at, listed_by.agreement_id)


def select_agreements(principal: Principal, filters: AgreementFilters) -> SelectOfScalar[Agreement]:
    """The agreements the caller may see that match the filters; a list of them is made with
    `select_listed`."""
    return _select(principal, filters, _listed_by(None, filters))


def _select(
    principal: Principal, filters: AgreementFilters, listed_by: Any | None
) -> SelectOfScalar[Agreement]:
    statement = records.select_visible(KIND, principal, filters)
    party_filters = _party_filters(filters)
    walks = listed_by is not None
    if listed_by is not None:
        (country, role), *party_filters = party_filters
        # Joined in the WHERE clause, which is all some callers keep of the statement. A
        # country is a party to an agreement once, so each agreement is still one row.
        statement = statement.where(col(listed_by.agreement_id) == col(Agreement.id))
        if listed_by is _LISTED_BY:
            statement = statement.where(_is_party(_LISTED_BY, country, role))
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
