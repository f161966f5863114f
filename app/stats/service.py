"""Statistics over the records the caller may see, each section in one or two queries."""

from collections import defaultdict
from datetime import timedelta
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
from app.core.db import utcnow
from app.countries import summaries
from app.countries.dossier import StatusCounts
from app.countries.models import Country, Region
from app.countries.summaries import API, link
from app.identity.service import Principal
from app.recommendations import service as recommendations
from app.recommendations.models import Recommendation, RecommendationFilters, RecommendationStatus
from app.stats.models import (
    AgreementStats,
    CorridorCounts,
    ExpiringAgreements,
    ImplementationRate,
    InstrumentRatifications,
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
            link=f"{API}/corridors/{sending}/{receiving}",
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
    )
