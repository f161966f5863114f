"""Compact summaries of records, and capped lists of them, as dossiers and statistics show them.

A list is the newest few records the caller may see of a collection's filter, with how many
there are in all and the link to that filtered collection: one query each, however many match
(laws and agreements one more, for their latest scores; agreements another, for their parties).
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel
from sqlmodel import Field, Session, SQLModel, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.activities.models import Activity, ActivityKind
from app.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    PartyPublic,
)
from app.assessments import service as assessments
from app.assessments.models import LATEST_SCORE_DESCRIPTION, LatestScore, SubjectType
from app.core.db import utcnow
from app.core.paths import API_PREFIX
from app.field_visits.models import FieldVisit, Priority, ReportStatus
from app.identity.service import Principal
from app.laws.models import Law, LawKind, LawStatus
from app.recommendations.models import Recommendation, RecommendationStatus, is_overdue

DEFAULT_LISTED = 10
MAX_LISTED = 50

EXAMPLE_ID = "5d70e6d8-033e-452a-a1bf-f36a6c165897"

S = TypeVar("S", bound=BaseModel)


def link(collection: str, **filters: Any) -> str:
    """The path of a collection narrowed by filters it takes, e.g. `/api/v1/laws?country=PH`."""
    query = urlencode({name: str(value) for name, value in filters.items() if value is not None})
    return f"{API_PREFIX}/{collection}?{query}" if query else f"{API_PREFIX}/{collection}"


class Listed(BaseModel, Generic[S]):
    """The first records of a filtered collection, how many it holds, and where to read it all."""

    total: int = Field(
        description="How many records of the list you may see.", schema_extra={"examples": [12]}
    )
    items: list[S] = Field(description="The first of them, at most `limit`.")
    link: str = Field(
        description="The collection with the filters giving exactly these records.",
        schema_extra={"examples": ["/api/v1/laws?country=PH"]},
    )


class LawSummary(SQLModel):
    id: uuid.UUID = Field(schema_extra={"examples": [EXAMPLE_ID]})
    title: str = Field(schema_extra={"examples": ["Domestic Workers Act (Batas Kasambahay)"]})
    country: str = Field(schema_extra={"examples": ["PH"]})
    kind: LawKind
    status: LawStatus
    enacted_on: date | None
    effective_on: date | None
    latest_score: LatestScore | None = Field(description=LATEST_SCORE_DESCRIPTION)
    link: str = Field(schema_extra={"examples": [f"{API_PREFIX}/laws/{EXAMPLE_ID}"]})


class AgreementSummary(SQLModel):
    id: uuid.UUID = Field(schema_extra={"examples": [EXAMPLE_ID]})
    title: str = Field(schema_extra={"examples": ["MOU on the Recruitment of Domestic Workers"]})
    kind: AgreementKind
    status: AgreementStatus
    parties: list[PartyPublic] = Field(
        schema_extra={
            "examples": [
                [{"country": "PH", "role": "origin"}, {"country": "SA", "role": "destination"}]
            ]
        }
    )
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    latest_score: LatestScore | None = Field(description=LATEST_SCORE_DESCRIPTION)
    link: str = Field(schema_extra={"examples": [f"{API_PREFIX}/agreements/{EXAMPLE_ID}"]})


class FieldVisitSummary(SQLModel):
    id: uuid.UUID = Field(schema_extra={"examples": [EXAMPLE_ID]})
    title: str = Field(schema_extra={"examples": ["Visit to domestic workers' shelters"]})
    country: str = Field(schema_extra={"examples": ["MY"]})
    status: ReportStatus
    start_date: date
    end_date: date | None
    link: str = Field(schema_extra={"examples": [f"{API_PREFIX}/field-visits/{EXAMPLE_ID}"]})


class RecommendationSummary(SQLModel):
    id: uuid.UUID = Field(schema_extra={"examples": [EXAMPLE_ID]})
    text: str = Field(schema_extra={"examples": ["Include domestic workers in the wage order."]})
    addressed_to: str = Field(schema_extra={"examples": ["Ministry of Human Resources"]})
    country: str | None = Field(schema_extra={"examples": ["MY"]})
    status: RecommendationStatus
    priority: Priority
    due_on: date | None
    overdue: bool = Field(description="Its due date has passed and it is not yet closed.")
    link: str = Field(schema_extra={"examples": [f"{API_PREFIX}/recommendations/{EXAMPLE_ID}"]})


class ActivitySummary(SQLModel):
    id: uuid.UUID = Field(schema_extra={"examples": [EXAMPLE_ID]})
    title: str = Field(schema_extra={"examples": ["Seminar with trade unions"]})
    kind: ActivityKind
    country: str | None = Field(schema_extra={"examples": ["MY"]})
    start_date: date | None
    end_date: date | None
    year: int | None = Field(schema_extra={"examples": [2026]})
    link: str = Field(schema_extra={"examples": [f"{API_PREFIX}/activities/{EXAMPLE_ID}"]})


def _first(
    session: Session,
    statement: SelectOfScalar[Any],
    columns: Sequence[Any],
    *,
    order: Sequence[Any],
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """How many rows `statement` selects, and the first `limit` of them (only `columns`), in
    one query: the total is a window over every row, computed before the limit applies."""
    total = func.count().over().label("_total")
    query = select(*columns, total).where(statement.whereclause).order_by(*order).limit(limit)  # type: ignore[call-overload]
    rows = [dict(row._mapping) for row in session.exec(query)]
    count = rows[0]["_total"] if rows else 0
    for row in rows:
        del row["_total"]
    return count, rows


def _newest(model: Any) -> list[Any]:
    return [col(model.created_at).desc(), col(model.id).desc()]


def laws(
    session: Session,
    statement: SelectOfScalar[Law],
    *,
    principal: Principal,
    limit: int,
    link_to: str,
) -> Listed[LawSummary]:
    """Laws with the latest score `principal` may see of each: one query more, for all."""
    columns = [Law.id, Law.title, Law.country, Law.kind, Law.status]
    total, rows = _first(
        session,
        statement,
        [*columns, Law.enacted_on, Law.effective_on],
        order=_newest(Law),
        limit=limit,
    )
    scores = assessments.latest_published_scores(
        session, principal, SubjectType.law, {row["id"] for row in rows}
    )
    items = [
        LawSummary(**row, latest_score=scores.get(row["id"]), link=f"{API_PREFIX}/laws/{row['id']}")
        for row in rows
    ]
    return Listed(total=total, items=items, link=link_to)


def agreements(
    session: Session,
    statement: SelectOfScalar[Agreement],
    *,
    principal: Principal,
    limit: int,
    link_to: str,
    order: Sequence[Any] | None = None,
) -> Listed[AgreementSummary]:
    """Agreements with their parties and the latest score `principal` may see of each: two
    queries more, one for the parties of all of them and one for their scores."""
    columns = [Agreement.id, Agreement.title, Agreement.kind, Agreement.status]
    dates = [Agreement.signed_on, Agreement.effective_on, Agreement.expires_on]
    total, rows = _first(
        session, statement, [*columns, *dates], order=order or _newest(Agreement), limit=limit
    )
    parties: dict[uuid.UUID, list[PartyPublic]] = {row["id"]: [] for row in rows}
    for party in session.exec(
        select(AgreementParty)
        .where(col(AgreementParty.agreement_id).in_(list(parties)))
        .order_by(col(AgreementParty.agreement_id), col(AgreementParty.position))
    ):
        parties[party.agreement_id].append(PartyPublic(country=party.country, role=party.role))  # type: ignore[index]
    scores = assessments.latest_published_scores(
        session, principal, SubjectType.agreement, set(parties)
    )
    items = [
        AgreementSummary(
            **row,
            parties=parties[row["id"]],
            latest_score=scores.get(row["id"]),
            link=f"{API_PREFIX}/agreements/{row['id']}",
        )
        for row in rows
    ]
    return Listed(total=total, items=items, link=link_to)


def field_visits(
    session: Session, statement: SelectOfScalar[FieldVisit], *, limit: int, link_to: str
) -> Listed[FieldVisitSummary]:
    columns = [FieldVisit.id, FieldVisit.title, FieldVisit.country, FieldVisit.status]
    total, rows = _first(
        session,
        statement,
        [*columns, FieldVisit.start_date, FieldVisit.end_date],
        order=_newest(FieldVisit),
        limit=limit,
    )
    items = [
        FieldVisitSummary(**row, link=f"{API_PREFIX}/field-visits/{row['id']}") for row in rows
    ]
    return Listed(total=total, items=items, link=link_to)


def recommendations(
    session: Session, statement: SelectOfScalar[Recommendation], *, limit: int, link_to: str
) -> Listed[RecommendationSummary]:
    columns = [
        Recommendation.id,
        Recommendation.text,
        Recommendation.addressed_to,
        Recommendation.country,
        Recommendation.status,
        Recommendation.priority,
        Recommendation.due_on,
    ]
    total, rows = _first(session, statement, columns, order=_newest(Recommendation), limit=limit)
    today = utcnow().date()
    items = [
        RecommendationSummary(
            **row,
            overdue=is_overdue(row["status"], row["due_on"], today),
            link=f"{API_PREFIX}/recommendations/{row['id']}",
        )
        for row in rows
    ]
    return Listed(total=total, items=items, link=link_to)


def activities(
    session: Session, statement: SelectOfScalar[Activity], *, limit: int, link_to: str
) -> Listed[ActivitySummary]:
    columns = [Activity.id, Activity.title, Activity.kind, Activity.country]
    total, rows = _first(
        session,
        statement,
        [*columns, Activity.start_date, Activity.end_date, Activity.year],
        order=_newest(Activity),
        limit=limit,
    )
    items = [ActivitySummary(**row, link=f"{API_PREFIX}/activities/{row['id']}") for row in rows]
    return Listed(total=total, items=items, link=link_to)


def counts_by(
    session: Session, statement: SelectOfScalar[Any], *group: Any
) -> list[tuple[Any, ...]]:
    """How many rows of `statement` there are for each value of the `group` columns."""
    query = (
        select(*group, func.count())  # type: ignore[call-overload]
        .where(statement.whereclause)
        .group_by(*group)
    )
    return [tuple(row) for row in session.exec(query)]
