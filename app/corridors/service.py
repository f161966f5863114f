"""A corridor's records, in a fixed number of queries whatever their number."""

from sqlmodel import Session

from app.agreements import service as agreements
from app.agreements.models import AgreementFilters
from app.core.errors import InvalidInputError
from app.corridors.models import Corridor, CorridorLaws, CorridorRecommendations, SideBySide
from app.countries import summaries
from app.countries.codes import CountryCode
from app.countries.dossier import standings
from app.countries.models import Country, CountryPublic
from app.countries.summaries import LawSummary, Listed, RecommendationSummary, link
from app.field_visits import service as field_visits
from app.field_visits.models import FieldVisitFilters
from app.identity.service import Principal
from app.laws import service as laws
from app.laws.models import LawFilters
from app.recommendations import service as recommendations
from app.recommendations.models import RecommendationFilters


def corridor(
    session: Session, *, principal: Principal, origin: Country, destination: Country, limit: int
) -> Corridor:
    if origin.code == destination.code:
        raise InvalidInputError(
            "A corridor joins two different countries: origin and destination are the same.",
            field="destination",
            location="path",
        )
    sending, receiving = CountryCode(origin.code), CountryCode(destination.code)
    standing = standings(session, principal=principal, codes=[sending, receiving])

    def laws_of(code: CountryCode) -> Listed[LawSummary]:
        return summaries.laws(
            session,
            laws.select_laws(principal, LawFilters(country=code)),
            principal=principal,
            limit=limit,
            link_to=link("laws", country=code),
        )

    def addressed_to(code: CountryCode) -> Listed[RecommendationSummary]:
        return summaries.recommendations(
            session,
            recommendations.select_recommendations(principal, RecommendationFilters(country=code)),
            limit=limit,
            link_to=link("recommendations", country=code),
        )

    visits = FieldVisitFilters(country=receiving, origin=sending)
    return Corridor(
        origin=CountryPublic.model_validate(origin),
        destination=CountryPublic.model_validate(destination),
        agreements=summaries.agreements(
            session,
            agreements.select_agreements(
                principal, AgreementFilters(origin=sending, destination=receiving)
            ),
            principal=principal,
            limit=limit,
            link_to=link("agreements", origin=sending, destination=receiving),
        ),
        ratifications=[
            SideBySide(
                code=there.code,
                short_title=there.short_title,
                origin=there.status,
                destination=here.status,
            )
            for there, here in zip(standing[sending], standing[receiving], strict=True)
        ],
        laws=CorridorLaws(origin=laws_of(sending), destination=laws_of(receiving)),
        field_visits=summaries.field_visits(
            session,
            field_visits.select_field_visits(principal, visits),
            limit=limit,
            link_to=link("field-visits", country=receiving, origin=sending),
        ),
        recommendations=CorridorRecommendations(
            origin=addressed_to(sending), destination=addressed_to(receiving)
        ),
    )
