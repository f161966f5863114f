"""Recommendations: their sources and links, their filters, and the timeline that moves them."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_
from sqlmodel.sql.expression import SelectOfScalar

from app.activities import service as activities
from app.agreements import service as agreements
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import InvalidInputError
from app.field_visits.models import FieldVisit, ReportRecommendation
from app.identity.service import Principal
from app.laws import service as laws
from app.recommendations.models import (
    CLOSED_STATUSES,
    Recommendation,
    RecommendationCreate,
    RecommendationFilters,
    RecommendationPublic,
    RecommendationUpdate,
    SourceFilter,
    SourceType,
    TimelineEntry,
    TimelineEntryCreate,
)
from app.records import links
from app.records import service as records
from app.records.changes import refuse_nulls
from app.records.models import RecordFilters
from app.records.service import RecordKind
from app.search.models import SearchPart
from app.treaties import service as treaties

LINKS = (
    links.LinkField("agreement_id", agreements.KIND),
    links.LinkField("law_id", laws.KIND),
)


def _hide_unseen_links(
    session: Session, principal: Principal, recommendations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The agreement, law and source the caller may not see are named as none."""
    shown = links.hide_all_unseen(session, principal, recommendations, LINKS)
    for source_type in SourceType:
        at = [index for index, item in enumerate(shown) if item["source_type"] == source_type]
        sources = links.hide_unseen_links(
            session,
            principal,
            [shown[index] for index in at],
            field="source_id",
            kind=_source_kind(source_type),
        )
        for index, item in zip(at, sources, strict=True):
            shown[index] = item
    return shown


TITLE_LENGTH = 200


def _searched(recommendation: Recommendation) -> list[SearchPart]:
    """A recommendation has no title: its text is named by its start."""
    text = recommendation.text
    title = text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"
    return [SearchPart(title=title, names=[text], texts=[recommendation.addressed_to])]


KIND = RecordKind(
    name="recommendation",
    model=Recommendation,
    public_model=RecommendationPublic,
    redact=_hide_unseen_links,
    search=_searched,
)


def _source_kind(source_type: SourceType) -> RecordKind[Any]:
    if source_type is SourceType.activity:
        return activities.KIND
    from app.field_visits import service as field_visits  # reports import this module

    return field_visits.KIND


def _checked(
    session: Session,
    principal: Principal | None,
    values: dict[str, Any],
    stored: Recommendation | None = None,
) -> dict[str, Any]:
    """The values to store: a source named whole, links the caller may see, known codes."""
    changes = dict(values)
    source_type = values.get("source_type", getattr(stored, "source_type", None))
    source_id = values.get("source_id", getattr(stored, "source_id", None))
    if (source_type is None) != (source_id is None):
        raise InvalidInputError(
            "source_type and source_id go together: give both, or neither.",
            field="source_id" if "source_id" in values else "source_type",
        )
    if (
        source_type is not None
        and source_id is not None
        and {"source_type", "source_id"} & set(values)
    ):
        kept = stored.source_id if stored and stored.source_type is source_type else None
        links.links(
            session,
            _source_kind(source_type),
            principal,
            [source_id],
            field="source_id",
            stored=[kept] if kept else [],
        )
    for link in LINKS:
        linked = values.get(link.field)
        if linked is not None:
            stored_id = getattr(stored, link.field, None)
            links.links(
                session,
                link.kind,
                principal,
                [linked],
                field=link.field,
                stored=[stored_id] if stored_id else [],
            )
    if values.get("instrument_code") is not None:
        (changes["instrument_code"],) = treaties.known_instrument_codes(
            session, [values["instrument_code"]], field="instrument_code"
        )
    return changes


def select_recommendations(
    principal: Principal, filters: RecommendationFilters
) -> SelectOfScalar[Recommendation]:
    statement = records.select_visible(KIND, principal, filters)
    if filters.country is not None:
        statement = statement.where(Recommendation.country == filters.country)
    if filters.status is not None:
        statement = statement.where(Recommendation.status == filters.status)
    if filters.source is SourceFilter.none:
        statement = statement.where(col(Recommendation.source_type).is_(None))
    elif filters.source is not None:
        statement = statement.where(Recommendation.source_type == SourceType(filters.source))
    if filters.source_id is not None:
        # A source the caller may not see is the source of nothing it is shown, or the filter
        # would reveal the link.
        seen = sa.or_(
            *(
                records.select_visible(_source_kind(source_type), principal, RecordFilters())
                .where(col(_source_kind(source_type).model.id) == filters.source_id)
                .exists()
                for source_type in SourceType
            )
        )
        statement = statement.where(Recommendation.source_id == filters.source_id, seen)
    if filters.overdue is not None:
        due_on = col(Recommendation.due_on)
        overdue = sa.and_(
            due_on.is_not(None),
            due_on < utcnow().date(),
            col(Recommendation.status).not_in(CLOSED_STATUSES),
        )
        statement = statement.where(overdue if filters.overdue else sa.not_(overdue))
    if filters.addressed_to:
        needle = filters.addressed_to.lower()
        statement = statement.where(
            func.lower(Recommendation.addressed_to).contains(needle, autoescape=True)
        )
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(Recommendation.text).contains(needle, autoescape=True),
                func.lower(Recommendation.addressed_to).contains(needle, autoescape=True),
            )
        )
    return statement


def create_recommendation(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    data: RecommendationCreate,
) -> Recommendation:
    recommendation = Recommendation(**_checked(session, principal, data.model_dump()))
    return records.create(session, KIND, recommendation, actor=actor)


def update_recommendation(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    recommendation: Recommendation,
    data: RecommendationUpdate,
    if_match: str | None,
) -> Recommendation:
    """Change the fields sent; the status moves only through the timeline."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "text", "addressed_to", "priority", "visibility")
    changes = _checked(session, principal, changes, stored=recommendation)
    return records.update(session, KIND, recommendation, changes, actor=actor, if_match=if_match)


def add_to_timeline(
    session: Session,
    *,
    actor: Actor,
    recommendation: Recommendation,
    data: TimelineEntryCreate,
    if_match: str | None,
) -> Recommendation:
    """Add a dated entry to the timeline; the recommendation takes the entry's status."""
    today = utcnow().date()
    occurred_on = data.occurred_on or today
    if occurred_on > today:
        raise InvalidInputError("occurred_on cannot be in the future.", field="occurred_on")
    entry = TimelineEntry(
        **data.model_dump(exclude={"occurred_on"}),
        occurred_on=occurred_on,
        position=len(recommendation.timeline),
        recorded_by=actor.key,
    )
    timeline = sorted([*recommendation.timeline, entry], key=_in_time)
    # An entry dated before the latest one fills in the past; the status is the latest one's.
    changes = {"timeline": timeline, "status": timeline[-1].status}
    return records.update(session, KIND, recommendation, changes, actor=actor, if_match=if_match)


def _in_time(entry: TimelineEntry) -> tuple[date, int]:
    return entry.occurred_on, entry.position


def from_report(session: Session, report: FieldVisit, *, actor: Actor) -> list[Recommendation]:
    """The recommendations a report makes, as records of their own, owned and shown as the
    report is; left for the report's publication to commit with it."""
    made = []
    for item in report.recommendations:
        made_in_report = ReportRecommendation.model_validate(item)
        recommendation = Recommendation(
            **made_in_report.model_dump(exclude={"country"}),
            country=made_in_report.country or report.country,
            source_type=SourceType.field_visit,
            source_id=report.id,
            organisation_id=report.organisation_id,
            visibility=report.visibility,
        )
        made.append(records.create(session, KIND, recommendation, actor=actor, commit=False))
    return made
