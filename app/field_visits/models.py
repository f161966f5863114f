"""Field-visit reports: the communities met, findings, testimonies and recommendations."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field as PydanticField
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.agreements.models import Sector
from app.core.db import UTCDateTime, enum_column_type
from app.core.schemas import HttpUrlStr, IsoDate, NotBoolean, NotNull, SearchText, WriteModel
from app.countries.codes import CountryCode
from app.records.models import Record, RecordFilters, RecordPublic, Shared, Visibility


class ReportStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    published = "published"


class Consent(StrEnum):
    given = "given"
    withdrawn = "withdrawn"


class Priority(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


Place = Annotated[str, StringConstraints(min_length=1, max_length=200)]

MAX_LINKS = 100
EXAMPLE_ID = "5d70e6d8-033e-452a-a1bf-f36a6c165897"


class Community(WriteModel):
    """A community of migrant workers the delegation met."""

    sector: Sector = Field(schema_extra={"examples": ["domestic_work"]})
    origin_countries: list[CountryCode] = Field(
        default_factory=list,
        max_length=30,
        description="The workers' countries of origin, ISO 3166-1 alpha-2 codes.",
        schema_extra={"examples": [["ID", "PH"]]},
    )
    workers_met: Annotated[int, PydanticField(ge=0, le=1_000_000), NotBoolean] | None = Field(
        default=None,
        description="How many workers the delegation met.",
    )


class TestimonyFields(SQLModel):
    pseudonym: str = Field(
        min_length=1,
        max_length=200,
        description="The name the testimony is published under.",
        schema_extra={"examples": ["Worker A"]},
    )
    real_name: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=500)
    consent: Consent = Field(
        description="`withdrawn` hides the testimony from everyone but the secretariat.",
        schema_extra={"examples": ["given"]},
    )
    text: str = Field(
        min_length=1,
        max_length=20_000,
        schema_extra={"examples": ["We were not paid for the last three months."]},
    )


class TestimonyIn(TestimonyFields, WriteModel):
    id: uuid.UUID | None = Field(
        default=None,
        description="The id of a testimony already in the report, to change it; none for a new "
        "one. A testimony left out of the list is removed.",
    )


class TestimonyPublic(TestimonyFields):
    id: uuid.UUID


class ReportRecommendation(WriteModel):
    """A recommendation as the report makes it; it becomes a record of its own on publication."""

    text: str = Field(
        min_length=1,
        max_length=5000,
        schema_extra={"examples": ["Include domestic workers in the minimum wage order."]},
    )
    addressed_to: str = Field(
        min_length=1,
        max_length=300,
        description="The body it is addressed to.",
        schema_extra={"examples": ["Ministry of Human Resources"]},
    )
    country: CountryCode | None = Field(
        default=None,
        description="The country of that body; the report's country when not given.",
        schema_extra={"examples": ["MY"]},
    )
    priority: Priority = Priority.medium
    due_on: IsoDate | None = Field(default=None, schema_extra={"examples": ["2027-06-30"]})


class ReportRecommendationPublic(ReportRecommendation):
    recommendation_id: uuid.UUID | None = Field(
        default=None, description="The recommendation record made when the report was published."
    )


class FieldVisitFields(SQLModel):
    title: str = Field(
        min_length=1,
        max_length=500,
        schema_extra={"examples": ["Visit to domestic workers' shelters in Kuala Lumpur"]},
    )
    country: CountryCode = Field(
        sa_type=sa.String(2),
        foreign_key="countries.code",
        description="ISO 3166-1 alpha-2 code of the country visited.",
        schema_extra={"examples": ["MY"]},
    )
    start_date: IsoDate = Field(schema_extra={"examples": ["2026-03-10"]})
    end_date: IsoDate | None = Field(
        default=None,
        description="Not before start_date.",
        schema_extra={"examples": ["2026-03-12"]},
    )
    places: list[Place] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=50,
        schema_extra={"examples": [["Kuala Lumpur", "Petaling Jaya"]]},
    )
    findings: str | None = Field(default=None, max_length=50_000)
    attachments: list[HttpUrlStr] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=50,
        description="Links to photographs, documents and other attachments.",
    )


class FieldVisit(FieldVisitFields, Record, table=True):
    __tablename__ = "field_visits"
    __table_args__ = (
        sa.Index("ix_field_visits_created_at_id", "created_at", "id"),
        sa.Index("ix_field_visits_country_created_at_id", "country", "created_at", "id"),
        sa.Index("ix_field_visits_status_created_at_id", "status", "created_at", "id"),
        sa.Index("ix_field_visits_updated_at", "updated_at"),
    )

    status: ReportStatus = Field(default=ReportStatus.draft, sa_type=enum_column_type(ReportStatus))
    returned_reason: str | None = Field(default=None, sa_type=sa.Text)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    communities: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    # Personal data: shown only to the owning organisation and the secretariat (see service).
    testimonies: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    recommendations: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    # Links to other records are read with the report and never queried across reports, so
    # they are kept as lists of ids rather than one link table each.
    delegation: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    partner_organisation_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    agreement_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    law_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)


DELEGATION = "The parliamentarians of the delegation, by id; each must be one you can see."
ORGANISATION_IDS = "Partner organisations that took part, by their id."
AGREEMENT_IDS = "Agreements the findings concern; each must be one you can see."
LAW_IDS = "Laws the findings concern; each must be one you can see."
TESTIMONIES = (
    "Personal data: only your organisation (if it owns the report) and the secretariat see and "
    "write testimonies. Everyone else reads null, and a null they send changes nothing."
)
RECOMMENDATIONS = "Recommendations the report makes; each becomes a record when it is published."
EACH_ONCE = " Kept once each, in order."
REPLACES = " Replaces the list."


class FieldVisitContent(SQLModel):
    communities: list[Community] = Field(default_factory=list, max_length=50)
    delegation: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_LINKS,
        description=DELEGATION + EACH_ONCE,
        schema_extra={"examples": [[EXAMPLE_ID]]},
    )
    partner_organisation_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_LINKS, description=ORGANISATION_IDS + EACH_ONCE
    )
    agreement_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_LINKS, description=AGREEMENT_IDS + EACH_ONCE
    )
    law_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_LINKS, description=LAW_IDS + EACH_ONCE
    )


class FieldVisitCreate(FieldVisitFields, FieldVisitContent, Shared, WriteModel):
    testimonies: list[TestimonyIn] = Field(
        default_factory=list, max_length=200, description=TESTIMONIES
    )
    recommendations: list[ReportRecommendation] = Field(
        default_factory=list, max_length=100, description=RECOMMENDATIONS
    )


class FieldVisitUpdate(WriteModel):
    title: Annotated[str | None, NotNull] = Field(
        default=None, min_length=1, max_length=500, schema_extra={"examples": ["Visit to shelters"]}
    )
    country: Annotated[CountryCode | None, NotNull] = None
    start_date: Annotated[IsoDate | None, NotNull] = None
    end_date: IsoDate | None = Field(default=None, description="Not before start_date.")
    places: Annotated[list[Place] | None, NotNull] = Field(default=None, max_length=50)
    findings: str | None = Field(default=None, max_length=50_000)
    attachments: Annotated[list[HttpUrlStr] | None, NotNull] = Field(default=None, max_length=50)
    communities: Annotated[list[Community] | None, NotNull] = Field(default=None, max_length=50)
    delegation: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=DELEGATION + REPLACES
    )
    partner_organisation_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=ORGANISATION_IDS + REPLACES
    )
    agreement_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=AGREEMENT_IDS + REPLACES
    )
    law_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=LAW_IDS + REPLACES
    )
    testimonies: list[TestimonyIn] | None = Field(
        default=None,
        max_length=200,
        description=TESTIMONIES + " Replaces the testimonies you can see; keep each one's `id`.",
    )
    recommendations: Annotated[list[ReportRecommendation] | None, NotNull] = Field(
        default=None,
        max_length=100,
        description=RECOMMENDATIONS + " Replaces the list; once published, only an editor "
        "corrects it, and the recommendation records are left as they are.",
    )
    visibility: Annotated[Visibility | None, NotNull] = None


class FieldVisitPublic(FieldVisitFields, FieldVisitContent, RecordPublic):
    status: ReportStatus = Field(
        description="`draft` -> `submitted` -> `published`, or `returned` (with a reason) to be "
        "worked on and submitted again."
    )
    returned_reason: str | None = Field(description="Why the report was last returned.")
    submitted_at: datetime | None
    published_at: datetime | None
    testimonies: list[TestimonyPublic] | None = Field(description=TESTIMONIES)
    recommendations: list[ReportRecommendationPublic]


class ReturnRequest(WriteModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True)] = Field(
        min_length=1,
        max_length=5000,
        description="What the authors are to change before they submit it again.",
        schema_extra={"examples": ["Please add the number of workers met in Petaling Jaya."]},
    )


class FieldVisitFilters(RecordFilters):
    country: CountryCode | None = Field(default=None, description="The country visited.")
    origin: CountryCode | None = Field(
        default=None,
        description="Reports that met workers from this country of origin (in any community's "
        "`origin_countries`).",
    )
    status: ReportStatus | None = None
    q: SearchText | None = Field(default=None, description="Words in the title or findings.")
