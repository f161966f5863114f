"""Rubrics (versioned lists of criteria) and assessments of agreements and laws against them."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, new_id, utcnow
from app.core.schemas import HttpUrlStr, IsoDate, NotNull, SearchText, Timestamp, WriteModel
from app.records.models import Record, RecordFilters, RecordPublic, Shared, Visibility

# The rubric shipped in app/reference/rubric.csv, loaded as reference data under this id so
# that scripts (and tests) can name it without looking it up.
DEFAULT_RUBRIC_ID = uuid.UUID("3b0c5d7e-9f1a-4c2b-8d6e-0a1b2c3d4e5f")
DEFAULT_RUBRIC_NAME = "default"
MAX_CRITERIA = 100

CriterionKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$"),
    Field(
        description="Lower-case letters, digits and `_`; unique within the rubric.",
        schema_extra={"examples": ["fair_recruitment"]},
    ),
]
RubricName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9-]*$"),
    Field(
        description="What the versions of one rubric share, e.g. `default`.",
        schema_extra={"examples": ["default"]},
    ),
]


class Criterion(WriteModel):
    """One question an assessment answers."""

    key: CriterionKey
    title: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["Fair recruitment"]}
    )
    question: str = Field(
        min_length=1,
        max_length=2000,
        schema_extra={
            "examples": [
                "Are recruitment fees and costs banned for workers (employer pays), agencies "
                "regulated and misleading propaganda prohibited?"
            ]
        },
    )
    basis: str | None = Field(
        default=None,
        max_length=2000,
        description="Where the criterion comes from: the instruments, articles or guidance it "
        "rests on.",
        schema_extra={"examples": ["ILO C181 Art. 7"]},
    )


CRITERIA_DESCRIPTION = "The criteria in the order they are asked; each `key` once."


class RubricFields(SQLModel):
    title: str = Field(
        min_length=1,
        max_length=300,
        schema_extra={"examples": ["Rights-based review of labour migration agreements"]},
    )
    description: str | None = Field(default=None, max_length=5000)


class Rubric(RubricFields, table=True):
    """One version of a rubric. Never changed once an assessment uses it."""

    __tablename__ = "rubrics"
    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=64)
    version: int
    criteria: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def criterion_keys(self) -> list[str]:
        return [criterion["key"] for criterion in self.criteria]


class RubricCreate(RubricFields, WriteModel):
    name: RubricName
    criteria: list[Criterion] = Field(
        min_length=1, max_length=MAX_CRITERIA, description=CRITERIA_DESCRIPTION
    )


class RubricVersionCreate(WriteModel):
    """What a new version changes; what is left out is copied from the version it follows."""

    title: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    criteria: Annotated[list[Criterion] | None, NotNull] = Field(
        default=None,
        min_length=1,
        max_length=MAX_CRITERIA,
        description=CRITERIA_DESCRIPTION + " Replaces the list whole.",
    )


class RubricUpdate(RubricVersionCreate):
    """A change to a version no assessment uses yet."""


class RubricPublic(RubricFields):
    id: uuid.UUID
    name: str = Field(schema_extra={"examples": ["default"]})
    version: int = Field(description="1 for a rubric's first version, then one more for each.")
    criteria: list[Criterion] = Field(description=CRITERIA_DESCRIPTION)
    created_at: datetime
    created_by: str = Field(description="`user:<id>`, `token:<id>` or `system`.")
    updated_at: datetime


class RubricFilters(SQLModel):
    name: RubricName | None = Field(default=None, description="Every version of this rubric.")
    q: SearchText | None = Field(default=None, description="Words in the title.")
    updated_since: Timestamp | None = Field(
        default=None, description="Only versions changed at or after this time (RFC 3339)."
    )


# ---- assessments ----------------------------------------------------------------------------


class SubjectType(StrEnum):
    agreement = "agreement"
    law = "law"


class RatingValue(StrEnum):
    met = "met"
    partially_met = "partially_met"
    not_met = "not_met"
    not_applicable = "not_applicable"
    unknown = "unknown"


class AssessmentStatus(StrEnum):
    draft = "draft"
    published = "published"


# What each rating counts towards the score; the others are left out of it.
POINTS = {RatingValue.met: 2, RatingValue.partially_met: 1, RatingValue.not_met: 0}

SCORE_DESCRIPTION = (
    "Derived, never sent: `met` counts 2, `partially_met` 1 and `not_met` 0, over 2 for each "
    "criterion rated one of those three, as a percentage rounded to two decimals (2 met, 1 "
    "partially met and 1 not met: 5 of 8, 62.5). `not_applicable` and `unknown` are left out "
    "and counted apart. Null when no criterion is rated met, partially met or not met."
)
RATINGS_DESCRIPTION = (
    "At most one rating per criterion of the rubric, each naming a criterion by its `key`; kept "
    "in the rubric's order. A criterion with no rating counts as `unknown`."
)


class Evidence(WriteModel):
    """Where in the text, or elsewhere, a rating is borne out."""

    clause: str | None = Field(
        default=None,
        max_length=200,
        description="The article, clause or section of the text.",
        schema_extra={"examples": ["Art. 5(2)"]},
    )
    quote: str | None = Field(
        default=None,
        max_length=5000,
        schema_extra={"examples": ["The employer shall bear the cost of recruitment."]},
    )
    source_url: HttpUrlStr | None = Field(
        default=None, description="Where the text quoted can be read."
    )


class Rating(WriteModel):
    criterion: CriterionKey
    rating: RatingValue = Field(schema_extra={"examples": ["partially_met"]})
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    notes: str | None = Field(
        default=None,
        max_length=5000,
        schema_extra={"examples": ["Fees are banned, but the ban is not enforced."]},
    )


class AssessmentFields(SQLModel):
    assessor: str = Field(
        min_length=1,
        max_length=200,
        description="Who made the assessment: a person, a committee or an organisation.",
        schema_extra={"examples": ["Migrant Forum in Asia, policy team"]},
    )
    assessed_on: IsoDate = Field(
        description="When the assessment was made; the latest one of a subject is its score.",
        schema_extra={"examples": ["2026-11-30"]},
    )
    summary: str | None = Field(default=None, max_length=20_000)


class SubjectFields(SQLModel):
    subject_type: SubjectType = Field(sa_type=enum_column_type(SubjectType))
    subject_id: uuid.UUID = Field(
        description="The agreement or law assessed; one you can see.",
        schema_extra={"examples": ["0f8a4c1e-6b2d-4e57-9a3c-2d1e7f6b5a40"]},
    )
    rubric_id: uuid.UUID = Field(
        foreign_key="rubrics.id",
        description="The rubric version assessed against; see /api/v1/rubrics.",
        schema_extra={"examples": [str(DEFAULT_RUBRIC_ID)]},
    )


class Assessment(AssessmentFields, SubjectFields, Record, table=True):
    __tablename__ = "assessments"
    __table_args__ = (
        sa.Index("ix_assessments_created_at_id", "created_at", "id"),
        sa.Index(
            "ix_assessments_subject_type_subject_id_created_at_id",
            "subject_type",
            "subject_id",
            "created_at",
            "id",
        ),
        sa.Index("ix_assessments_rubric_id_created_at_id", "rubric_id", "created_at", "id"),
        sa.Index("ix_assessments_updated_at", "updated_at"),
    )

    ratings: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    status: AssessmentStatus = Field(
        default=AssessmentStatus.draft, sa_type=enum_column_type(AssessmentStatus)
    )
    score: float | None = None
    not_applicable_count: int = 0
    unknown_count: int = 0
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AssessmentCreate(AssessmentFields, SubjectFields, Shared, WriteModel):
    ratings: list[Rating] = Field(
        default_factory=list, max_length=MAX_CRITERIA, description=RATINGS_DESCRIPTION
    )


class AssessmentUpdate(WriteModel):
    """The subject and rubric stay: to assess another, make a new assessment."""

    assessor: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=200)
    assessed_on: Annotated[IsoDate | None, NotNull] = Field(
        default=None, schema_extra={"examples": ["2026-12-01"]}
    )
    summary: str | None = Field(default=None, max_length=20_000)
    ratings: Annotated[list[Rating] | None, NotNull] = Field(
        default=None,
        max_length=MAX_CRITERIA,
        description=RATINGS_DESCRIPTION + " Replaces the list whole.",
    )
    visibility: Annotated[Visibility | None, NotNull] = None


class AssessmentPublic(AssessmentFields, SubjectFields, RecordPublic):
    ratings: list[Rating] = Field(description=RATINGS_DESCRIPTION)
    status: AssessmentStatus = Field(
        description="`draft` until published (POST .../publish); a published assessment is "
        "changed only as a correction, each kept as a revision."
    )
    score: float | None = Field(description=SCORE_DESCRIPTION, schema_extra={"examples": [62.5]})
    not_applicable_count: int = Field(description="Criteria rated `not_applicable`.")
    unknown_count: int = Field(
        description="Criteria rated `unknown`, and those of the rubric not rated at all."
    )
    published_at: datetime | None


class AssessmentFilters(RecordFilters):
    subject_type: SubjectType | None = None
    subject_id: uuid.UUID | None = Field(default=None, description="The agreement or law.")
    rubric_id: uuid.UUID | None = Field(default=None, description="The rubric version.")
    status: AssessmentStatus | None = None
    q: SearchText | None = Field(default=None, description="Words in the assessor or summary.")


class LatestScore(SQLModel):
    """The latest published assessment of an agreement or law the caller can see."""

    assessment_id: uuid.UUID
    score: float = Field(description=SCORE_DESCRIPTION, schema_extra={"examples": [62.5]})
    assessed_on: date


LATEST_SCORE_DESCRIPTION = (
    "Read-only: the score of its latest published assessment you can see (by `assessed_on`, "
    "then publication time), or null if none. See /api/v1/assessments."
)
