"""Parliamentarians: who sits in the caucus, in which role and when; contacts kept private."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit.service import Actor
from app.core.errors import InvalidInputError, PermissionDeniedError
from app.identity.service import Principal
from app.members.models import (
    Membership,
    MembershipIn,
    Parliamentarian,
    ParliamentarianCreate,
    ParliamentarianFilters,
    ParliamentarianPublic,
    ParliamentarianUpdate,
)
from app.records import service as records
from app.records.changes import refuse_nulls, unique, unique_lists
from app.records.service import RecordKind
from app.search.models import SearchPart


def _hide_contacts(
    session: Session, principal: Principal, parliamentarians: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Contact details are personal data: the secretariat alone sees them."""
    if principal.is_secretariat:
        return parliamentarians
    return [{**parliamentarian, "contact": None} for parliamentarian in parliamentarians]


def _searched(parliamentarian: Parliamentarian) -> list[SearchPart]:
    """Names, party and seat; never contact details, which are the secretariat's alone."""
    return [
        SearchPart(
            title=parliamentarian.name,
            names=[parliamentarian.name, *parliamentarian.other_names],
            texts=[parliamentarian.party, parliamentarian.constituency, parliamentarian.parliament],
        )
    ]


KIND = RecordKind(
    name="parliamentarian",
    model=Parliamentarian,
    public_model=ParliamentarianPublic,
    redact=_hide_contacts,
    search=_searched,
)


def _membership_rows(memberships: list[MembershipIn]) -> list[Membership]:
    for index, membership in enumerate(memberships):
        if membership.ended_on is not None and membership.ended_on < membership.started_on:
            raise InvalidInputError(
                f"memberships[{index}]: ended_on cannot be before started_on.",
                field="memberships",
            )
    return [
        Membership(**membership.model_dump(), position=position)
        for position, membership in enumerate(memberships)
    ]


def _contact(contact: Any) -> dict[str, Any] | None:
    """Stored without empty parts; no parts at all is no contact."""
    if contact is None:
        return None
    parts = {name: value for name, value in contact.model_dump().items() if value}
    return parts or None


def _holding(role_filter: ParliamentarianFilters) -> sa.ColumnElement[bool]:
    condition = []
    if role_filter.role is not None:
        condition.append(col(Membership.role) == role_filter.role)
    if role_filter.active_on is not None:
        day: date = role_filter.active_on
        condition.append(col(Membership.started_on) <= day)
        condition.append(or_(col(Membership.ended_on).is_(None), col(Membership.ended_on) >= day))
    return col(Parliamentarian.id).in_(select(Membership.parliamentarian_id).where(*condition))


def select_parliamentarians(
    principal: Principal, filters: ParliamentarianFilters
) -> SelectOfScalar[Parliamentarian]:
    statement = records.select_visible(KIND, principal, filters)
    if filters.country is not None:
        statement = statement.where(Parliamentarian.country == filters.country)
    if filters.role is not None or filters.active_on is not None:
        statement = statement.where(_holding(filters))
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(Parliamentarian.name).contains(needle, autoescape=True),
                func.lower(Parliamentarian.other_names_text).contains(needle, autoescape=True),
                func.lower(col(Parliamentarian.party)).contains(needle, autoescape=True),
                func.lower(col(Parliamentarian.constituency)).contains(needle, autoescape=True),
            )
        )
    return statement


def _contact_written_by(principal: Principal | None, contact: Any) -> bool:
    """Whether the caller's `contact` is to be written. The secretariat alone reads contact
    details, so it alone writes them; a null from anyone else is what they were shown."""
    if principal is None or principal.is_secretariat:
        return True
    if contact is not None:
        raise PermissionDeniedError("Only the secretariat records contact details.")
    return False


def create_parliamentarian(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    data: ParliamentarianCreate,
    commit: bool = True,
) -> Parliamentarian:
    """Record a parliamentarian; `principal` None is a script acting for the secretariat. With
    `commit` false it waits for the transaction's commit."""
    _contact_written_by(principal, data.contact)
    other_names = unique(data.other_names)
    parliamentarian = Parliamentarian(
        **data.model_dump(exclude={"memberships", "contact", "other_names", "links"}),
        other_names=other_names,
        other_names_text="\n".join(other_names),
        links=unique(data.links),
        contact=_contact(data.contact),
        memberships=_membership_rows(data.memberships),
    )
    return records.create(session, KIND, parliamentarian, actor=actor, commit=commit)


def update_parliamentarian(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    parliamentarian: Parliamentarian,
    data: ParliamentarianUpdate,
    if_match: str | None,
    commit: bool = True,
) -> Parliamentarian:
    """Change the fields sent; lists (memberships, names, links) are replaced whole."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(
        changes,
        "name",
        "other_names",
        "country",
        "parliament",
        "links",
        "memberships",
        "visibility",
    )
    if data.memberships is not None:
        changes["memberships"] = _membership_rows(data.memberships)
    if "contact" in changes:
        if _contact_written_by(principal, data.contact):
            changes["contact"] = _contact(data.contact)
        else:
            del changes["contact"]
    unique_lists(changes, "other_names", "links")
    if "other_names" in changes:
        changes["other_names_text"] = "\n".join(changes["other_names"])
    return records.update(
        session, KIND, parliamentarian, changes, actor=actor, if_match=if_match, commit=commit
    )
