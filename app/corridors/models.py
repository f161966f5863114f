"""A corridor: one country of origin and one of destination, side by side."""

from sqlmodel import Field, SQLModel

from app.countries.models import CountryPublic
from app.countries.summaries import (
    AgreementSummary,
    FieldVisitSummary,
    LawSummary,
    Listed,
    RecommendationSummary,
)
from app.treaties.models import MatrixStatus


class SideBySide(SQLModel):
    """Where the two countries stand on one instrument of the founding statement."""

    code: str = Field(schema_extra={"examples": ["C189"]})
    short_title: str | None = Field(schema_extra={"examples": ["Domestic Workers"]})
    origin: MatrixStatus = Field(schema_extra={"examples": ["in_force"]})
    destination: MatrixStatus = Field(schema_extra={"examples": ["unknown"]})


class CorridorLaws(SQLModel):
    origin: Listed[LawSummary]
    destination: Listed[LawSummary]


class CorridorRecommendations(SQLModel):
    origin: Listed[RecommendationSummary] = Field(description="Those addressed to the origin.")
    destination: Listed[RecommendationSummary] = Field(
        description="Those addressed to the destination."
    )


class Corridor(SQLModel):
    """What you may see of the migration of workers from one country to another; each list
    its newest records first (most recently recorded), with how many there are and the link to
    all of them."""

    origin: CountryPublic
    destination: CountryPublic
    agreements: Listed[AgreementSummary] = Field(
        description="Agreements with the origin as a party in the origin role and the "
        "destination in the destination role."
    )
    ratifications: list[SideBySide] = Field(
        description="The six instruments of the founding statement, `unknown` where nothing "
        "you may see is recorded."
    )
    laws: CorridorLaws = Field(description="The laws of each country.")
    field_visits: Listed[FieldVisitSummary] = Field(
        description="Visits to the destination that met workers from the origin."
    )
    recommendations: CorridorRecommendations
