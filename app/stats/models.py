"""Statistics: counts over the records the caller may see, in one answer of sections."""

import uuid
from datetime import date

from sqlmodel import Field, SQLModel

from app.agreements.models import AgreementStatus
from app.countries.dossier import StatusCounts
from app.countries.models import Region
from app.countries.summaries import AgreementSummary, Listed
from app.treaties.models import StatusTotals


class InstrumentRatifications(SQLModel):
    """How many countries stand at each status on one instrument, in all and by region."""

    code: str = Field(schema_extra={"examples": ["C189"]})
    short_title: str | None = Field(schema_extra={"examples": ["Domestic Workers"]})
    named_in_founding_statement: bool
    totals: StatusTotals = Field(description="Over the countries of every region counted.")
    by_region: dict[Region, StatusTotals] = Field(
        description="For each region counted, `unknown` for its countries with no record you "
        "may see.",
        schema_extra={"examples": [{"south_east_asia": {"in_force": 1, "unknown": 10}}]},
    )


class CorridorCounts(SQLModel):
    """How many agreements join one country of origin to one of destination, by status."""

    origin: str = Field(schema_extra={"examples": ["PH"]})
    destination: str = Field(schema_extra={"examples": ["SA"]})
    total: int = Field(schema_extra={"examples": [3]})
    by_status: dict[AgreementStatus, int] = Field(
        description="Only the statuses some of them have.",
        schema_extra={"examples": [{"in_force": 2, "expired": 1}]},
    )
    link: str = Field(schema_extra={"examples": ["/api/v1/corridors/PH/SA"]})


class ExpiringAgreements(Listed[AgreementSummary]):
    """Agreements whose expiry date falls from today to `until`, soonest first."""

    within_days: int = Field(schema_extra={"examples": [180]})
    since: date = Field(description="Today (UTC).", schema_extra={"examples": ["2026-12-01"]})
    until: date = Field(
        description="The last day counted: today plus `within_days`.",
        schema_extra={"examples": ["2027-05-30"]},
    )


class AgreementStats(SQLModel):
    corridors: list[CorridorCounts] = Field(
        description="Each pair of a party in the origin role and one in the destination role, "
        "by origin and destination code."
    )
    expiring: ExpiringAgreements


class ImplementationRate(SQLModel):
    """What became of the recommendations addressed to one country."""

    country: str = Field(schema_extra={"examples": ["MY"]})
    total: int = Field(schema_extra={"examples": [8]})
    implemented: int = Field(schema_extra={"examples": [2]})
    partially_implemented: int = Field(schema_extra={"examples": [1]})
    rate: float = Field(
        description="`implemented` / `total`, rounded to 3 decimals: a partially implemented "
        "one counts as not implemented (its count is beside).",
        schema_extra={"examples": [0.25]},
    )
    by_status: StatusCounts
    link: str = Field(schema_extra={"examples": ["/api/v1/recommendations?country=MY"]})


class CriterionCounts(SQLModel):
    """How the assessments counted rate one criterion of their rubric."""

    key: str = Field(schema_extra={"examples": ["fair_recruitment"]})
    title: str = Field(schema_extra={"examples": ["Fair recruitment"]})
    met: int = Field(schema_extra={"examples": [3]})
    partially_met: int = Field(schema_extra={"examples": [5]})
    not_met: int = Field(schema_extra={"examples": [2]})
    not_applicable: int = Field(schema_extra={"examples": [0]})
    unknown: int = Field(
        description="Rated `unknown`, or not rated at all.", schema_extra={"examples": [1]}
    )


class ScoreBucket(SQLModel):
    """How many scores fall from `from_score` (included) to `to_score` (excluded, but for the
    last bucket, which includes 100)."""

    from_score: int = Field(schema_extra={"examples": [50]})
    to_score: int = Field(schema_extra={"examples": [75]})
    count: int = Field(schema_extra={"examples": [4]})


SCORE_BUCKETS_DESCRIPTION = (
    "Four buckets: 0 to 25, 25 to 50, 50 to 75 and 75 to 100; each includes its lower edge "
    "and excludes its upper one, but for 100, counted in the last."
)


class ScoreDistribution(SQLModel):
    """The scores of the assessments counted."""

    mean: float | None = Field(
        description="Their mean, rounded to two decimals; null if none is counted.",
        schema_extra={"examples": [58.33]},
    )
    buckets: list[ScoreBucket] = Field(description=SCORE_BUCKETS_DESCRIPTION)


class RubricScores(SQLModel):
    """The published assessments made against one rubric version."""

    rubric_id: uuid.UUID
    name: str = Field(schema_extra={"examples": ["default"]})
    version: int = Field(schema_extra={"examples": [1]})
    title: str = Field(
        schema_extra={"examples": ["Rights-based review of labour migration agreements and laws"]}
    )
    assessments: int = Field(schema_extra={"examples": [11]})
    scores: ScoreDistribution
    criteria: list[CriterionCounts] = Field(
        description="Each criterion of the rubric, in its order, with how many of "
        "`assessments` rate it each way; the five counts add up to `assessments`."
    )
    link: str = Field(
        schema_extra={
            "examples": [
                "/api/v1/assessments?rubric_id=3b0c5d7e-9f1a-4c2b-8d6e-0a1b2c3d4e5f"
                "&status=published"
            ]
        }
    )


class ScoreStats(SQLModel):
    """The published assessments you may see (not deleted), by rubric version."""

    assessments: int = Field(
        description="How many are counted, over every rubric.", schema_extra={"examples": [11]}
    )
    scores: ScoreDistribution = Field(
        description="Their scores, over every rubric: each is a percentage, whatever its rubric."
    )
    by_rubric: list[RubricScores] = Field(
        description="Only the rubric versions some of them use, by name and version."
    )


class Stats(SQLModel):
    """Counts over the records you may see: a record you may not see is not counted."""

    ratifications: list[InstrumentRatifications] = Field(
        description="Every instrument recorded, by code."
    )
    agreements: AgreementStats
    recommendations: list[ImplementationRate] = Field(
        description="Implementation by country addressed, by country code; only countries "
        "some recommendation is addressed to."
    )
    scores: ScoreStats = Field(
        description="How the published assessments of agreements and laws score, and how they "
        "rate each criterion."
    )
