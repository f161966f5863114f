"""Statistics over the records the caller may see, each section in one or two queries."""

import uuid
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from app.agreements import service as agreements
from app.agreements.models import (
    Agreement,
    AgreementFilters,
    AgreementParty,
    AgreementStatus,
    PartyRole,
)
from app.assessments import service as assessments
from app.assessments.models import (
    Assessment,
    AssessmentFilters,
    AssessmentStatus,
    RatingValue,
    Rubric,
    SubjectType,
)
from app.core.db import utcnow
from app.core.paths import API_PREFIX
from app.countries import summaries
from app.countries.dossier import StatusCounts
from app.countries.models import Country, Region
from app.countries.summaries import link
from app.identity.service import Principal
from app.laws.models import Law
from app.recommendations import service as recommendations
from app.recommendations.models import Recommendation, RecommendationFilters, RecommendationStatus
from app.stats.models import (
    AgreementStats,
    CorridorCounts,
    CriterionCounts,
    ExpiringAgreements,
    ImplementationRate,
    InstrumentRatifications,
    RubricScores,
    ScoreBucket,
    ScoreDistribution,
    ScoreStats,
    Stats,
)
from app.treaties import service as treaties
from app.treaties.models import (
    Instrument,
    MatrixStatus,
    Ratification,
    RatificationFilters,
    StatusTotals,
)

DEFAULT_EXPIRING_WITHIN_DAYS = 180
MAX_EXPIRING_WITHIN_DAYS = 3650
# The edges of the score buckets; a score of 100 falls in the last.
SCORE_EDGES = (0, 25, 50, 75, 100)


def _in_region(code: Any, region: Region | None) -> sa.ColumnElement[bool]:
    if region is None:
        return sa.true()
    return col(code).in_(select(Country.code).where(Country.region == region))


def ratifications(
    session: Session, *, principal: Principal, region: Region | None
) -> list[InstrumentRatifications]:
    """Three queries: instruments, countries per region, and the records counted."""
    instruments = session.exec(select(Instrument).order_by(col(Instrument.code))).all()
    regions = select(Country.region, func.count()).group_by(col(Country.region))
    if region is not None:
        regions = regions.where(Country.region == region)
    countries_in = {Region(name): n for name, n in session.exec(regions)}
    visible = treaties.select_ratifications(principal, RatificationFilters(region=region))
    counted: dict[tuple[str, Region], dict[str, int]] = defaultdict(dict)
    for code, where, status, n in session.exec(
        select(Ratification.instrument, Country.region, Ratification.status, func.count())
        .join(Country, col(Country.code) == col(Ratification.country))
        .where(visible.whereclause)  # type: ignore[arg-type]
        .group_by(col(Ratification.instrument), col(Country.region), col(Ratification.status))
    ):
        counted[code, Region(where)][MatrixStatus(status).value] = n

    def totals(code: str, where: Region) -> StatusTotals:
        known = counted[code, where]
        return StatusTotals(**known, unknown=countries_in[where] - sum(known.values()))

    answer = []
    for instrument in instruments:
        by_region = {
            where: totals(instrument.code, where) for where in Region if where in countries_in
        }
        summed = {
            status.value: sum(getattr(item, status.value) for item in by_region.values())
            for status in MatrixStatus
        }
        answer.append(
            InstrumentRatifications(
                code=instrument.code,
                short_title=instrument.short_title,
                named_in_founding_statement=instrument.named_in_founding_statement,
                totals=StatusTotals(**summed),
                by_region=by_region,
            )
        )
    return answer


def corridors(
    session: Session, *, principal: Principal, region: Region | None
) -> list[CorridorCounts]:
    """One query: each origin and destination party pair of the agreements the caller may see,
    with either end in `region` when given."""
    origin, destination = aliased(AgreementParty), aliased(AgreementParty)
    visible = agreements.select_agreements(principal, AgreementFilters())
    rows = session.exec(
        select(origin.country, destination.country, Agreement.status, func.count())
        .join(
            origin,
            sa.and_(
                col(origin.agreement_id) == col(Agreement.id),
                col(origin.role) == PartyRole.origin,
            ),
        )
        .join(
            destination,
            sa.and_(
                col(destination.agreement_id) == col(Agreement.id),
                col(destination.role) == PartyRole.destination,
            ),
        )
        .where(visible.whereclause)  # type: ignore[arg-type]
        .where(
            sa.or_(
                _in_region(origin.country, region),
                _in_region(destination.country, region),
            )
        )
        .group_by(col(origin.country), col(destination.country), col(Agreement.status))
        .order_by(col(origin.country), col(destination.country), col(Agreement.status))
    )
    by_pair: dict[tuple[str, str], dict[AgreementStatus, int]] = defaultdict(dict)
    for sending, receiving, status, n in rows:
        by_pair[sending, receiving][AgreementStatus(status)] = n
    return [
        CorridorCounts(
            origin=sending,
            destination=receiving,
            total=sum(by_status.values()),
            by_status=by_status,
            link=f"{API_PREFIX}/corridors/{sending}/{receiving}",
        )
        for (sending, receiving), by_status in by_pair.items()
    ]


def expiring(
    session: Session, *, principal: Principal, within_days: int, limit: int
) -> ExpiringAgreements:
    """Two queries: the soonest to expire with how many in all, and their parties."""
    since = utcnow().date()
    until = since + timedelta(days=within_days)
    # The collection's filter takes the day after the last, as the end is exclusive there.
    window = {"expiring_from": since, "expiring_before": until + timedelta(days=1)}
    listed = summaries.agreements(
        session,
        agreements.select_agreements(principal, AgreementFilters.model_validate(window)),
        principal=principal,
        limit=limit,
        link_to=link("agreements", **window),
        order=[col(Agreement.expires_on), col(Agreement.id)],
    )
    return ExpiringAgreements(
        **listed.model_dump(), within_days=within_days, since=since, until=until
    )


def implementation(
    session: Session, *, principal: Principal, region: Region | None
) -> list[ImplementationRate]:
    """One query: recommendations the caller may see by country addressed and status."""
    visible = recommendations.select_recommendations(principal, RecommendationFilters())
    addressed: Any = col(Recommendation.country)
    counted: dict[str, dict[str, int]] = defaultdict(dict)
    for country, status, n in session.exec(
        select(addressed, Recommendation.status, func.count())
        .where(visible.whereclause)  # type: ignore[arg-type]
        .where(addressed.is_not(None), _in_region(addressed, region))
        .group_by(addressed, col(Recommendation.status))
        .order_by(addressed)
    ):
        counted[country][RecommendationStatus(status).value] = n
    answer = []
    for country, by_status in counted.items():
        total = sum(by_status.values())
        done = by_status.get(RecommendationStatus.implemented.value, 0)
        answer.append(
            ImplementationRate(
                country=country,
                total=total,
                implemented=done,
                partially_implemented=by_status.get(
                    RecommendationStatus.partially_implemented.value, 0
                ),
                rate=round(done / total, 3),
                by_status=StatusCounts(**by_status),
                link=link("recommendations", country=country),
            )
        )
    return answer


def _subject_in_region(region: Region | None) -> sa.ColumnElement[bool]:
    """A law of a country of `region`, or an agreement with a party there."""
    if region is None:
        return sa.true()
    return sa.or_(
        sa.and_(
            col(Assessment.subject_type) == SubjectType.law,
            col(Assessment.subject_id).in_(select(Law.id).where(_in_region(Law.country, region))),
        ),
        sa.and_(
            col(Assessment.subject_type) == SubjectType.agreement,
            col(Assessment.subject_id).in_(
                select(AgreementParty.agreement_id).where(
                    _in_region(AgreementParty.country, region)
                )
            ),
        ),
    )


def _distribution(scores: list[float]) -> ScoreDistribution:
    counted = [0] * (len(SCORE_EDGES) - 1)
    for score in scores:
        counted[min(bisect_right(SCORE_EDGES, score), len(counted)) - 1] += 1
    return ScoreDistribution(
        mean=round(sum(scores) / len(scores), 2) if scores else None,
        buckets=[
            ScoreBucket(from_score=low, to_score=high, count=n)
            for (low, high), n in zip(pairwise(SCORE_EDGES), counted, strict=True)
        ],
    )


def scores(session: Session, *, principal: Principal, region: Region | None) -> ScoreStats:
    """Two queries: the ratings and scores of the published assessments the caller may see, and
    the rubrics they use. The ratings are JSON, which SQLite and PostgreSQL unnest each their
    own way, so they are tallied here, over the one query's rows."""
    visible = assessments.select_assessments(
        principal, AssessmentFilters(status=AssessmentStatus.published)
    )
    rows = session.exec(
        select(Assessment.rubric_id, Assessment.ratings, Assessment.score)
        .where(visible.whereclause)  # type: ignore[arg-type]
        .where(_subject_in_region(region))
    ).all()
    used = {rubric_id for rubric_id, _, _ in rows}
    rubrics = session.exec(
        select(Rubric)
        .where(col(Rubric.id).in_(used))
        .order_by(col(Rubric.name), col(Rubric.version))
    ).all()
    ratings_of: dict[uuid.UUID, list[dict[str, str]]] = defaultdict(list)
    scores_of: dict[uuid.UUID, list[float]] = defaultdict(list)
    for rubric_id, ratings, score in rows:
        ratings_of[rubric_id].append({r["criterion"]: r["rating"] for r in ratings})
        # A published assessment always has one; the type does not say so.
        if score is not None:
            scores_of[rubric_id].append(score)
    by_rubric = []
    for rubric in rubrics:
        tallies = {key: Counter[str]() for key in rubric.criterion_keys}
        for given in ratings_of[rubric.id]:
            for key, tally in tallies.items():
                tally[given.get(key, RatingValue.unknown.value)] += 1
        by_rubric.append(
            RubricScores(
                rubric_id=rubric.id,
                name=rubric.name,
                version=rubric.version,
                title=rubric.title,
                assessments=len(ratings_of[rubric.id]),
                scores=_distribution(scores_of[rubric.id]),
                criteria=[
                    CriterionCounts(
                        key=criterion["key"],
                        title=criterion["title"],
                        **{v.value: tallies[criterion["key"]][v.value] for v in RatingValue},
                    )
                    for criterion in rubric.criteria
                ],
                link=link("assessments", rubric_id=rubric.id, status="published"),
            )
        )
    return ScoreStats(
        assessments=len(rows),
        scores=_distribution([score for listed in scores_of.values() for score in listed]),
        by_rubric=by_rubric,
    )


def stats(
    session: Session,
    *,
    principal: Principal,
    region: Region | None,
    expiring_within_days: int,
    limit: int,
) -> Stats:
    return Stats(
        ratifications=ratifications(session, principal=principal, region=region),
        agreements=AgreementStats(
            corridors=corridors(session, principal=principal, region=region),
            expiring=expiring(
                session, principal=principal, within_days=expiring_within_days, limit=limit
            ),
        ),
        recommendations=implementation(session, principal=principal, region=region),
        scores=scores(session, principal=principal, region=region),
    )
