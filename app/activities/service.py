"""Activities: the rules an activity keeps, its filters, and its writes through the lifecycle."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_
from sqlmodel.sql.expression import SelectOfScalar

from app.activities.models import (
    Activity,
    ActivityCreate,
    ActivityFilters,
    ActivityPublic,
    ActivityUpdate,
)
from app.agreements import service as agreements
from app.audit.service import Actor
from app.core.errors import InvalidInputError
from app.identity import service as identity
from app.identity.service import Principal
from app.laws import service as laws
from app.members import service as members
from app.members.models import Parliamentarian
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, unique_lists
from app.records.links import LinkField, check_links, hide_all_unseen
from app.records.models import RecordFilters
from app.records.service import RecordKind
from app.search.models import SearchPart
from app.treaties import service as treaties

LINKS = (
    LinkField("parliamentarian_ids", members.KIND),
    LinkField("agreement_ids", agreements.KIND),
    LinkField("law_ids", laws.KIND),
)
DATE_ORDER = ("start_date", "end_date")


def _hide_unseen_links(
    session: Session, principal: Principal, activities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return hide_all_unseen(session, principal, activities, LINKS)


def _searched(activity: Activity) -> list[SearchPart]:
    return [
        SearchPart(
            title=activity.title,
            names=[activity.title],
            texts=[activity.summary, activity.city, *activity.outcomes],
        )
    ]


KIND = RecordKind(
    name="activity",
    model=Activity,
    public_model=ActivityPublic,
    plural="activities",
    redact=_hide_unseen_links,
    search=_searched,
)


def _year(values: dict[str, Any], stored: Activity | None = None) -> dict[str, Any]:
    """The year follows the start date; given alone, it stands for a date not known."""
    start = values["start_date"] if "start_date" in values else getattr(stored, "start_date", None)
    year = values["year"] if "year" in values else getattr(stored, "year", None)
    if start is None:
        return {}
    if "year" in values and year is not None and year != start.year:
        raise InvalidInputError(
            f"year {year} is not the year of start_date ({start.year}).", field="year"
        )
    return {"year": start.year}


def _checked(
    session: Session,
    principal: Principal | None,
    values: dict[str, Any],
    stored: Activity | None = None,
) -> dict[str, Any]:
    """The values to store: dates in order, links checked, lists kept once each."""
    dates_in_order(values, DATE_ORDER, stored=stored)
    changes = {**values, **_year(values, stored)}
    changes.update(check_links(session, principal, values, LINKS, stored=stored))
    if "partner_organisation_ids" in values:
        changes["partner_organisation_ids"] = identity.known_organisation_ids(
            session, values["partner_organisation_ids"]
        )
    if "instrument_codes" in values:
        changes["instrument_codes"] = treaties.known_instrument_codes(
            session, values["instrument_codes"]
        )
    unique_lists(changes, "outcomes", "links")
    return changes


def select_activities(principal: Principal, filters: ActivityFilters) -> SelectOfScalar[Activity]:
    statement = records.select_visible(KIND, principal, filters)
    if filters.kind is not None:
        statement = statement.where(Activity.kind == filters.kind)
    if filters.country is not None:
        statement = statement.where(Activity.country == filters.country)
    if filters.year is not None:
        statement = statement.where(Activity.year == filters.year)
    if filters.parliamentarian is not None:
        # An id's text appears in the JSON list only as that id. A parliamentarian the caller
        # may not see takes part in nothing it is shown, or the filter would reveal the link.
        ids_text = sa.cast(col(Activity.parliamentarian_ids), sa.Text)
        seen = records.select_visible(members.KIND, principal, RecordFilters()).where(
            col(Parliamentarian.id) == filters.parliamentarian
        )
        statement = statement.where(ids_text.contains(str(filters.parliamentarian)), seen.exists())
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(Activity.title).contains(needle, autoescape=True),
                func.lower(col(Activity.city)).contains(needle, autoescape=True),
                func.lower(col(Activity.summary)).contains(needle, autoescape=True),
            )
        )
    return statement


def create_activity(
    session: Session, *, actor: Actor, principal: Principal | None = None, data: ActivityCreate
) -> Activity:
    """Record an activity; linked records must be ones `principal` can see."""
    activity = Activity(**_checked(session, principal, data.model_dump()))
    return records.create(session, KIND, activity, actor=actor)


def update_activity(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    activity: Activity,
    data: ActivityUpdate,
    if_match: str | None,
) -> Activity:
    """Change the fields sent; lists are replaced whole, keeping links the caller cannot see."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(
        changes,
        "kind",
        "title",
        "outcomes",
        "links",
        "parliamentarian_ids",
        "partner_organisation_ids",
        "agreement_ids",
        "law_ids",
        "instrument_codes",
        "visibility",
    )
    changes = _checked(session, principal, changes, stored=activity)
    return records.update(session, KIND, activity, changes, actor=actor, if_match=if_match)
