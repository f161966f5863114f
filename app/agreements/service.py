"""Agreements: the rules an agreement keeps, its filters, and its writes through the lifecycle."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

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
from app.core.pagination import PageParams, decode_cursor
from app.identity.service import Principal
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, unique, unique_lists
from app.records.service import RecordKind
from app.search.models import SearchPart


def _present(
    session: Session, principal: Principal, agreements: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return assessments.with_latest_scores(session, principal, SubjectType.agreement, agreements)


def _present_new(
    _session: Session, _principal: Principal, agreements: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return assessments.unscored(agreements)


def _searched(agreement: Agreement) -> list[SearchPart]:
    return [SearchPart(title=agreement.title, names=[agreement.title], texts=[agreement.summary])]


_PARTY = AgreementParty.__table__.c  # type: ignore[attr-defined]
# Built once: building a statement and its cache key cost about as much as running it.
_PARTIES_OF = (
    sa.select(_PARTY.agreement_id, _PARTY.country, _PARTY.role)
    .where(_PARTY.agreement_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_PARTY.agreement_id, _PARTY.position)
)


def _with_parties(session: Session, agreements: list[dict[str, Any]]) -> None:
    """Each agreement's parties in their order, read for all of them in one query."""
    by_id = {agreement["id"]: agreement for agreement in agreements}
    for agreement in agreements:
        agreement["parties"] = []
    for agreement_id, country, role in session.execute(_PARTIES_OF, {"ids": list(by_id)}):
        by_id[agreement_id]["parties"].append({"country": country, "role": role})


KIND = RecordKind(
    name="agreement",
    model=Agreement,
    public_model=AgreementPublic,
    redact=_present,
    redact_new=_present_new,
    search=_searched,
    read_related=_with_parties,
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

# How a list by a party changed since a time is read, page by page: walking the party's
# agreements in order, from the page's cursor or from the oldest one changed since if later,
# when of the next this many enough changed to fill the page (the cheapest when changes are
# dense); otherwise sorting the party's rows changed since, found by the index of changes
# (the cheapest when they are few, or lie far apart: a sort of their index entries alone,
# never of more rows than the party has).
_WALK_PROBED = 2000


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


def _changed_since(
    country: str, role: PartyRole | None, since: datetime, after: datetime | None
) -> Any:
    """The party rows of `country` (in `role`) whose agreement changed since `since`, from
    the page's cursor `after` on, as rows of agreement parties holding the list's order."""
    changed = select(AgreementParty.agreement_id, AgreementParty.created_at).where(
        _is_party(AgreementParty, country, role), col(AgreementParty.updated_at) >= since
    )
    if after is not None:
        changed = changed.where(col(AgreementParty.created_at) >= after)
    # Sorted here, so that a page joins its agreements to the first rows only: sorted after
    # the join, PostgreSQL would read every agreement changed since (28,648 for the
    # Philippines at 1M: 150 ms against 25). OFFSET keeps both engines from merging this
    # into the page's query, where they would rather walk all the country's agreements in
    # order, guessing the changes spread evenly.
    changed = changed.order_by(
        col(AgreementParty.created_at), col(AgreementParty.agreement_id)
    ).offset(0)
    return aliased(AgreementParty, changed.subquery("listed_by"), name="listed_by")


def _walk_finds_changes(
    session: Session,
    country: str,
    role: PartyRole | None,
    since: datetime,
    after: datetime | None,
    wanted: int,
) -> bool:
    """Whether, of the party's next agreements in creation order (from the page's cursor
    `after`), at least `wanted` changed since `since`: read off the index of the list's order
    alone, never past `_WALK_PROBED` rows."""
    walked = select(AgreementParty.updated_at).where(_is_party(AgreementParty, country, role))
    if after is not None:
        walked = walked.where(col(AgreementParty.created_at) >= after)
    window = (
        walked.order_by(col(AgreementParty.created_at), col(AgreementParty.agreement_id))
        .limit(_WALK_PROBED)
        .subquery()
    )
    changed = select(func.count()).select_from(window).where(window.c.updated_at >= since)
    return session.exec(changed).one() >= wanted


def _oldest_changed(session: Session, country: str, since: datetime) -> datetime | None:
    """The created_at of the country's oldest agreement changed since `since`, if any: read
    off the index of changes alone (the agreements changed since are fewer than those before),
    so that a walk need not probe every older one on its way there."""
    # As an expression, so that no engine reads it off the walk of all agreements in order.
    created_at = func.coalesce(AgreementParty.created_at, AgreementParty.created_at)
    oldest = select(func.min(created_at)).where(
        col(AgreementParty.country) == country, col(AgreementParty.updated_at) >= since
    )
    found: datetime | None = session.exec(oldest).one()
    return found


class _Plan(NamedTuple):
    """How a list of agreements is read."""

    # The party rows it is read off in list order (all the first party filter's agreements,
    # or those changed since); None: the agreements, as the engine plans it.
    listed_by: Any | None
    # Where a walk of all the party's agreements starts when not at the cursor: no agreement
    # before it changed since `updated_since`.
    start: datetime | None = None


def _plan(
    session: Session | None, filters: AgreementFilters, params: PageParams | None = None
) -> _Plan:
    """A list filtered by a party walks the party's agreements in its index of the list's
    order; with `updated_since`, the page's plan (see `_WALK_PROBED`) is probed with `session`
    for the page `params` asks for. Otherwise the engine plans it."""
    party_filters = _party_filters(filters)
    if not party_filters:
        return _Plan(None)
    since = filters.updated_since
    if since is None:
        return _Plan(_LISTED_BY)
    if session is None or params is None:
        return _Plan(None)
    country, role = party_filters[0]
    after = None if params.cursor is None else decode_cursor(params.cursor, KIND.key())[0]
    wanted = params.limit + 1
    if _walk_finds_changes(session, country, role, since, after, wanted):
        return _Plan(_LISTED_BY)
    oldest = _oldest_changed(session, country, since)
    if oldest is not None and (after is None or oldest > after):
        if _walk_finds_changes(session, country, role, since, oldest, wanted):
            return _Plan(_LISTED_BY, start=oldest)
        after = oldest
    return _Plan(_changed_since(country, role, since, after))


def select_listed(
    session: Session, principal: Principal, filters: AgreementFilters, params: PageParams
) -> tuple[SelectOfScalar[Agreement], Sequence[InstrumentedAttribute[Any]] | None]:
    """The statement of a list of agreements, and what its pages are sought by when not the
    record key itself (`keyset_page`'s `seek`): the copy of the key on the party rows it is
    read off, so that a page reads about as many of them as it shows, with cursors the same as
    the unfiltered list's. `params` are the page's, which the plan is chosen for."""
    plan = _plan(session, filters, params)
    statement = _select(principal, filters, plan)
    if plan.listed_by is None:
        return statement, None
    return statement, (plan.listed_by.created_at, plan.listed_by.agreement_id)


def select_agreements(principal: Principal, filters: AgreementFilters) -> SelectOfScalar[Agreement]:
    """The agreements the caller may see that match the filters; a list of them is made with
    `select_listed`."""
    return _select(principal, filters, _plan(None, filters))


def _select(
    principal: Principal, filters: AgreementFilters, plan: _Plan
) -> SelectOfScalar[Agreement]:
    listed_by = plan.listed_by
    since = filters.updated_since
    if listed_by is not None and since is not None:
        # Asked of the party rows' copy, in the index walked: asked of the agreements,
        # PostgreSQL would join all of those changed, then sort them, instead of a page's.
        filters = filters.model_copy(update={"updated_since": None})
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
            if since is not None:
                statement = statement.where(col(_LISTED_BY.updated_at) >= since)
            if plan.start is not None:
                statement = statement.where(col(_LISTED_BY.created_at) >= plan.start)
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
