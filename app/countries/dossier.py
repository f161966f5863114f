"""A country's dossier: where it stands on the founding statement's instruments, and the newest
of its laws, agreements, field visits, recommendations and activities, as the caller may see
them. A fixed number of queries, whatever the number of records."""

from sqlmodel import Field, Session, SQLModel

from app.activities import service as activities
from app.activities.models import ActivityFilters
from app.agreements import service as agreements
from app.agreements.models import AgreementFilters
from app.countries import summaries
from app.countries.codes import CountryCode
from app.countries.models import Country, CountryPublic
from app.countries.summaries import (
    ActivitySummary,
    AgreementSummary,
    FieldVisitSummary,
    LawSummary,
    Listed,
    RecommendationSummary,
    link,
)
from app.field_visits import service as field_visits
from app.field_visits.models import FieldVisitFilters
from app.identity.service import Principal
from app.laws import service as laws
from app.laws.models import LawFilters
from app.recommendations import service as recommendations
from app.recommendations.models import (
    Recommendation,
    RecommendationFilters,
    RecommendationStatus,
)
from app.treaties import service as treaties
from app.treaties.models import MatrixStatus

# A record saying so, that the caller may see: not ratified, only signed, or denounced.
NOT_RATIFIED = frozenset({MatrixStatus.not_ratified, MatrixStatus.signed, MatrixStatus.denounced})


class InstrumentStanding(SQLModel):
    code: str = Field(schema_extra={"examples": ["C189"]})
    short_title: str | None = Field(schema_extra={"examples": ["Domestic Workers"]})
    status: MatrixStatus = Field(
        description="The status a ratification record you may see gives, or `unknown`."
    )


class DossierRatifications(SQLModel):
    instruments: list[InstrumentStanding] = Field(
        description="The six instruments the founding statement names, by code."
    )
    not_ratified: list[str] = Field(
        description="Those a record you may see says the country has not ratified, only "
        "signed, or denounced.",
        schema_extra={"examples": [["C087", "C143"]]},
    )
    unknown: list[str] = Field(
        description="Those no record you may see speaks of.",
        schema_extra={"examples": [["C097"]]},
    )
    link: str = Field(schema_extra={"examples": ["/api/v1/ratifications?country=PH"]})


class DossierAgreements(SQLModel):
    as_origin: Listed[AgreementSummary] = Field(
        description="Agreements the country is a party to in the origin role."
    )
    as_destination: Listed[AgreementSummary] = Field(
        description="Agreements the country is a party to in the destination role."
    )


class StatusCounts(SQLModel):
    """How many recommendations are at each status."""

    open: int = Field(default=0, schema_extra={"examples": [4]})
    in_progress: int = 0
    partially_implemented: int = 0
    implemented: int = 0
    rejected: int = 0
    superseded: int = 0


class DossierRecommendations(Listed[RecommendationSummary]):
    by_status: StatusCounts = Field(description="How many of `total` are at each status.")
    overdue: Listed[RecommendationSummary] = Field(
        description="Those whose due date has passed and that are not yet closed."
    )


class CountryDossier(SQLModel):
    """Everything recorded about one country that you may see, each list its newest records
    first (most recently recorded), with how many there are and the link to all of them."""

    country: CountryPublic
    ratifications: DossierRatifications
    laws: Listed[LawSummary]
    agreements: DossierAgreements
    field_visits: Listed[FieldVisitSummary] = Field(description="Reports of visits to it.")
    recommendations: DossierRecommendations = Field(description="Those addressed to it.")
    activities: Listed[ActivitySummary] = Field(description="Those that took place in it.")


def standings(
    session: Session, *, principal: Principal, codes: list[str]
) -> dict[str, list[InstrumentStanding]]:
    """For each country, its standing on each instrument of the founding statement."""
    matrix = treaties.ratification_matrix(session, principal=principal, countries=codes)
    titles = {instrument.code: instrument.short_title for instrument in matrix.instruments}
    return {
        row.country: [
            InstrumentStanding(code=code, short_title=titles[code], status=status)
            for code, status in row.statuses.items()
        ]
        for row in matrix.countries
    }


def status_counts(
    session: Session, *, principal: Principal, filters: RecommendationFilters
) -> StatusCounts:
    statement = recommendations.select_recommendations(principal, filters)
    counted = summaries.counts_by(session, statement, Recommendation.status)
    return StatusCounts(**{RecommendationStatus(status).value: n for status, n in counted})


def country_dossier(
    session: Session, *, principal: Principal, country: Country, limit: int
) -> CountryDossier:
    code = CountryCode(country.code)
    instruments = standings(session, principal=principal, codes=[code])[code]
    ratifications = DossierRatifications(
        instruments=instruments,
        not_ratified=[item.code for item in instruments if item.status in NOT_RATIFIED],
        unknown=[item.code for item in instruments if item.status is MatrixStatus.unknown],
        link=link("ratifications", country=code),
    )

    def agreements_as(role: str) -> Listed[AgreementSummary]:
        filters = AgreementFilters.model_validate({role: code})
        return summaries.agreements(
            session,
            agreements.select_agreements(principal, filters),
            principal=principal,
            limit=limit,
            link_to=link("agreements", **{role: code}),
        )

    addressed = RecommendationFilters(country=code)
    overdue = RecommendationFilters(country=code, overdue=True)
    listed = summaries.recommendations(
        session,
        recommendations.select_recommendations(principal, addressed),
        limit=limit,
        link_to=link("recommendations", country=code),
    )
    return CountryDossier(
        country=CountryPublic.model_validate(country),
        ratifications=ratifications,
        laws=summaries.laws(
            session,
            laws.select_laws(principal, LawFilters(country=code)),
            principal=principal,
            limit=limit,
            link_to=link("laws", country=code),
        ),
        agreements=DossierAgreements(
            as_origin=agreements_as("origin"), as_destination=agreements_as("destination")
        ),
        field_visits=summaries.field_visits(
            session,
            field_visits.select_field_visits(principal, FieldVisitFilters(country=code)),
            limit=limit,
            link_to=link("field-visits", country=code),
        ),
        recommendations=DossierRecommendations(
            **listed.model_dump(),
            by_status=status_counts(session, principal=principal, filters=addressed),
            overdue=summaries.recommendations(
                session,
                recommendations.select_recommendations(principal, overdue),
                limit=limit,
                link_to=link("recommendations", country=code, overdue="true"),
            ),
        ),
        activities=summaries.activities(
            session,
            activities.select_activities(principal, ActivityFilters(country=code)),
            limit=limit,
            link_to=link("activities", country=code),
        ),
    )
